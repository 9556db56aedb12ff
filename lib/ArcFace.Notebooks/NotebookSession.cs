using System.Reflection;
using ArcFace.Runtime;
using ArcFace.Interactive;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;

namespace ArcFace.Notebooks;

/// <summary>Where a cell's outputs go: the runner keeps them for the .ipynb and report; the Jupyter kernel publishes them.</summary>
public interface IOutputSink
{
    void Stream(string name, string text);
    /// <summary>A displayed value; <paramref name="update"/> replaces the value shown earlier under <paramref name="displayId"/>.</summary>
    void Display(string? displayId, IReadOnlyDictionary<string, string> data, bool update);
    void Result(IReadOnlyDictionary<string, string> data);
    void Error(CellError error);
}

/// <summary>A failed cell: Jupyter's ename/evalue/traceback.</summary>
public sealed record CellError(string Name, string Value, IReadOnlyList<string> Traceback);

/// <summary>
/// One notebook's kernel: a CompositeKernel with a C# kernel that has the library, TorchSharp, Plotly.NET and Deedle
/// referenced and their namespaces imported, and the notebook formatters registered.
/// </summary>
public sealed class NotebookSession : IDisposable
{
    /// <summary>Namespaces every notebook imports, where the library has them (later folders may not exist yet).</summary>
    public static readonly string[] Namespaces =
    [
        "ArcFace.Runtime", "ArcFace.Losses", "ArcFace.Backbones", "ArcFace.Data", "ArcFace.Evaluation", "ArcFace.Training",
        "ArcFace.Interactive", "TorchSharp", "Plotly.NET.CSharp", "Deedle", "Microsoft.DotNet.Interactive",
    ];

    readonly CompositeKernel kernel;
    readonly Lock gate = new();
    CancellationTokenSource? running;

    NotebookSession(CompositeKernel kernel) => this.kernel = kernel;

    /// <summary>The code submitted before the first cell: usings present in the loaded assemblies, aliases and statics.</summary>
    public static string Prelude
    {
        get
        {
            var present = PreloadedAssemblies.SelectMany(a => a.GetExportedTypes()).Select(t => t.Namespace).ToHashSet();
            var usings = Namespaces.Where(present.Contains).Select(n => $"using {n};");
            // GenericChart by its short name; torch's functions as in PyTorch code (torch.randn(...)) need only `using TorchSharp;`.
            return string.Join("\n", usings.Append("using GenericChart = Plotly.NET.GenericChart;"));
        }
    }

    static Assembly[] PreloadedAssemblies =>
    [
        typeof(ArcFace.Runtime.Settings).Assembly, typeof(Charts).Assembly, typeof(TorchSharp.torch).Assembly,
        typeof(Plotly.NET.GenericChart).Assembly, typeof(Plotly.NET.CSharp.Chart).Assembly, typeof(Deedle.Frame).Assembly,
        typeof(Microsoft.FSharp.Core.FSharpOption<>).Assembly,
    ];

    /// <summary>Starts a kernel and runs the prelude.</summary>
    public static async Task<NotebookSession> StartAsync()
    {
        NotebookFormatters.Register();
        var csharp = new CSharpKernel().UseKernelHelpers().UseValueSharing();
        csharp.AddAssemblyReferences(PreloadedAssemblies.Select(a => a.Location));
        var composite = new CompositeKernel { csharp };
        composite.DefaultKernelName = csharp.Name;
        var session = new NotebookSession(composite);
        var result = await composite.SendAsync(new SubmitCode(Prelude, csharp.Name));
        if (result.Events.OfType<CommandFailed>().FirstOrDefault() is { } failed)
            throw new InvalidOperationException($"The notebook prelude failed to compile: {failed.Message}\n{Prelude}");
        return session;
    }

    /// <summary>
    /// Runs one cell, sending its outputs to <paramref name="sink"/> as they come; returns the error or null. The cell
    /// runs under its own <see cref="Interruption.Token"/>, which <see cref="Interrupt"/> cancels.
    /// </summary>
    public async Task<CellError?> ExecuteAsync(string code, IOutputSink sink)
    {
        using var subscription = kernel.KernelEvents.Subscribe(e => Forward(e, sink));
        using var cell = new CancellationTokenSource();
        lock (gate) running = cell;
        KernelCommandResult result;
        try
        {
            using (Interruption.Begin(cell.Token)) result = await kernel.SendAsync(new SubmitCode(code));
        }
        finally { lock (gate) running = null; }
        if (result.Events.OfType<CommandFailed>().FirstOrDefault() is not { } failed) return null;
        var error = cell.IsCancellationRequested ? Interrupted : Describe(failed);
        sink.Error(error);
        return error;
    }

    static readonly CellError Interrupted = new("Interrupted",
        "the cell was interrupted and stopped (at its check of Interruption.Token)", ["Interrupted: the cell was interrupted by the user."]);

    /// <summary>
    /// Interrupts the running cell (Jupyter's interrupt): cancels its <see cref="Interruption.Token"/>, so code that
    /// checks the token (training steps) stops and the cell reports <c>Interrupted</c>. Code that never checks it runs
    /// on: the kernel's own Cancel would answer at once while the code kept running behind the next cell.
    /// </summary>
    public void Interrupt()
    {
        lock (gate) running?.Cancel();
    }

    /// <summary>Completions at a position: the matches and the span of text they replace.</summary>
    public async Task<(IReadOnlyList<string> Matches, LinePositionSpan? Span)> CompleteAsync(string code, int line, int character)
    {
        var result = await kernel.SendAsync(new RequestCompletions(code, new LinePosition(line, character), "csharp"));
        var produced = result.Events.OfType<CompletionsProduced>().FirstOrDefault();
        return produced is null ? ([], null) : (produced.Completions.Select(c => c.InsertText ?? c.DisplayText).Distinct().ToList(), produced.LinePositionSpan);
    }

    static void Forward(KernelEvent e, IOutputSink sink)
    {
        switch (e)
        {
            case StandardOutputValueProduced o: sink.Stream("stdout", Text(o)); break;
            case StandardErrorValueProduced o: sink.Stream("stderr", Text(o)); break;
            case ErrorProduced o: sink.Stream("stderr", o.Message + "\n"); break;
            case DisplayedValueUpdated o: sink.Display(o.ValueId, Data(o), update: true); break;
            case DisplayedValueProduced o: sink.Display(o.ValueId, Data(o), update: false); break;
            case ReturnValueProduced o when Data(o).Count > 0: sink.Result(Data(o)); break;
        }
    }

    static string Text(DisplayEvent e) => e.FormattedValues.FirstOrDefault()?.Value ?? e.Value?.ToString() ?? "";

    // Jupyter front ends and nbconvert fall back to text/plain: every value gets one.
    static Dictionary<string, string> Data(DisplayEvent e)
    {
        var data = e.FormattedValues.Where(v => !v.SuppressDisplay).GroupBy(v => v.MimeType).ToDictionary(g => g.Key, g => g.First().Value);
        if (data.Count > 0 && !data.ContainsKey(PlainTextFormatter.MimeType) && e.Value is not null)
            data[PlainTextFormatter.MimeType] = e.Value.ToDisplayString(PlainTextFormatter.MimeType);
        return data;
    }

    static CellError Describe(CommandFailed failed) => failed.Exception switch
    {
        null => new("CompilationError", failed.Message, failed.Message.Split('\n')),
        var e => new(e.GetType().Name, e.Message, e.ToString().Split('\n')),
    };

    public void Dispose() => kernel.Dispose();
}
