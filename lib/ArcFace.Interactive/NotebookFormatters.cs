using System.Collections;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;
using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Interactive;

/// <summary>
/// How notebook values show: Plotly.NET charts as offline HTML (plotly.js once per kernel, i.e. once per notebook
/// page), Deedle frames and series as HTML tables, tensors compactly, training progress and paper tables. The host
/// registers these before the first cell; registering again does nothing.
/// </summary>
public static class NotebookFormatters
{
    /// <summary>Rows and columns a frame shows before eliding the middle.</summary>
    public const int MaxRows = 20, MaxColumns = 20;

    /// <summary>Elements a tensor shows in full; larger ones show their shape, dtype, device and summary numbers.</summary>
    public const int MaxTensorElements = 64;

    static readonly ConditionalWeakTable<Kernel, object> kernelsWithPlotlyJs = [];
    static int registered;

    /// <summary>Registers the formatters (once per process).</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref registered, 1) == 1) return;
        Html<GenericChart>(chart => ChartHtml.Render(chart, includePlotlyJs: NeedsPlotlyJs()));
        Text<GenericChart>(chart => $"Plotly chart ({GenericChart.countTrace(chart)} traces)");
        Html<ProgressView>(view => view.ToHtml());
        Text<ProgressView>(view => view.ToText());
        Html<PaperTable>(table => table.ToHtml());
        Text<PaperTable>(table => table.ToString());
        Html<Tensor>(t => $"<pre>{WebUtility.HtmlEncode(TensorText(t))}</pre>");
        Text<Tensor>(TensorText);
        foreach (var type in new[] { typeof(Deedle.Frame<,>), typeof(Deedle.Series<,>) })
        {
            Formatter.Register(type, (value, writer) => writer.Write(FrameHtml(value)), HtmlFormatter.MimeType);
            Formatter.Register(type, (value, writer) => writer.Write(((dynamic)value).Format()), PlainTextFormatter.MimeType);
        }
    }

    /// <summary>A tensor as its shape, dtype and device, then its values (small tensors) or min/mean/max.</summary>
    public static string TensorText(Tensor t)
    {
        string header = $"tensor [{string.Join("×", t.shape)}] {t.dtype} on {t.device}";
        if (t.numel() <= MaxTensorElements) return header + "\n" + t.ToString(TorchSharp.TensorStringStyle.Numpy);
        if (!t.is_floating_point()) return header;
        using var scope = torch.NewDisposeScope();
        var f = t.detach().to(float64);
        return string.Create(CultureInfo.InvariantCulture, $"{header}  min {f.min().item<double>():G5}  mean {f.mean().item<double>():G5}  max {f.max().item<double>():G5}");
    }

    /// <summary>A Deedle frame or series as an HTML table (the middle elided past <see cref="MaxRows"/>).</summary>
    public static string FrameHtml(object frameOrSeries)
    {
        var html = new StringBuilder("<table class=\"arcface-frame\">");
        string enc(object? o) => WebUtility.HtmlEncode(Convert.ToString(o, CultureInfo.InvariantCulture) ?? "");
        var type = frameOrSeries.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Deedle.Frame<,>))
        {
            // Deedle's own text layout (row keys, column keys, missing values as N/A, elision), as cells.
            string[][] grid = ((dynamic)frameOrSeries).FormatStrings(MaxRows / 2, MaxRows / 2, MaxColumns / 2, MaxColumns / 2, false);
            // The second column holds Deedle's "->" between row keys and values: not a column of the table.
            int separator = grid.Skip(1).All(row => row.Length > 1 && row[1] == "->") ? 1 : -1;
            for (int r = 0; r < grid.Length; r++)
            {
                html.Append("<tr>");
                foreach (var (cell, c) in grid[r].Select((cell, c) => (cell, c)).Where(p => p.c != separator))
                    html.Append(r == 0 || c == 0 ? $"<th>{enc(cell)}</th>" : $"<td>{enc(cell)}</td>");
                html.Append("</tr>");
            }
        }
        else
        {
            var keys = ((IEnumerable)((dynamic)frameOrSeries).Keys).Cast<object>().ToList();
            var values = ((IEnumerable)((dynamic)frameOrSeries).Values).Cast<object>().ToList();
            html.Append("<tr><th>key</th><th>value</th></tr>");
            foreach (var (k, v) in keys.Zip(values).Take(MaxRows)) html.Append($"<tr><th>{enc(k)}</th><td>{enc(v)}</td></tr>");
            if (keys.Count > MaxRows) html.Append($"<tr><td colspan=\"2\">… {keys.Count - MaxRows} more</td></tr>");
        }
        return html.Append("</table>").ToString();
    }

    // A chart carries plotly.js when it is the first of its kernel (the notebook page); outside a kernel, always.
    static bool NeedsPlotlyJs()
    {
        if (KernelInvocationContext.Current?.HandlingKernel?.RootKernel is not { } kernel) return true;
        lock (kernelsWithPlotlyJs)
        {
            if (kernelsWithPlotlyJs.TryGetValue(kernel, out _)) return false;
            kernelsWithPlotlyJs.Add(kernel, true);
            return true;
        }
    }

    static void Html<T>(Func<T, string> format) => Formatter.Register<T>((value, context) => { context.Writer.Write(format(value)); return true; }, HtmlFormatter.MimeType);

    static void Text<T>(Func<T, string> format) => Formatter.Register<T>((value, context) => { context.Writer.Write(format(value)); return true; }, PlainTextFormatter.MimeType);
}
