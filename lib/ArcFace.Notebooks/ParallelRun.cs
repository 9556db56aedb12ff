using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ArcFace.Evaluation;

namespace ArcFace.Notebooks;

/// <summary>
/// The main job with several notebooks at once: each notebook runs in a worker process (this program's
/// <c>run &lt;notebook&gt; --worker</c>, the settings reaching it through the environment as they reach the notebooks),
/// up to N at a time, started in name order. On the 2-core CPU two training notebooks side by side did 1.4× the work
/// of one (a step's many small kernels leave the cores idle between them), with the same numbers: each worker keeps
/// the thread count, and so the arithmetic, of a notebook run alone. Workers share checkpoints and the scoreboard
/// through <see cref="ArcFace.Runtime.FileLock"/>, so a notebook that reaches a run another one is training waits for it
/// and reloads it. Their output is relayed line by line, prefixed with the notebook's name. The first failing notebook
/// stops the others; their finished training runs stay as checkpoints, and a killed run resumes from its last one.
/// </summary>
static class ParallelRun
{
    public static async Task<int> RunAsync(IReadOnlyList<Ipynb> notebooks, string output, TextWriter log, int jobs)
    {
        var clock = Stopwatch.StartNew();
        var gate = new Lock();
        void Write(string line) { lock (gate) log.WriteLine(line); }
        var finished = new NotebookRun?[notebooks.Count];
        var workers = new Dictionary<Task<NotebookRun>, (int Index, Process Process)>();
        int next = 0;
        NotebookRun? failed = null;
        while (next < notebooks.Count || workers.Count > 0)
        {
            while (failed is null && next < notebooks.Count && workers.Count < jobs)
            {
                var process = Start(notebooks[next], output);
                workers.Add(Watch(notebooks[next], process, output, Write), (next, process));
                next++;
            }
            if (workers.Count == 0) break;
            var done = await Task.WhenAny(workers.Keys);
            int at = workers[done].Index;
            workers.Remove(done);
            var run = await done;
            if (failed is null || run.Failure is null) finished[at] = run;
            if (run.Failure is not null && failed is null)
            {
                failed = run;
                foreach (var (_, process) in workers.Values)
                    try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }   // already gone
            }
            var runs = finished.OfType<NotebookRun>().ToList();
            var notRun = notebooks.Where((_, i) => finished[i] is null).Select(n => n.Path).ToList();
            HtmlReport.WriteIndex(Runner.IndexPath(output), runs, notRun, Scoreboard.Read(output));
        }
        var passed = finished.OfType<NotebookRun>().Where(r => r.Failure is null).ToList();
        string timing = failed is not null ? ""
            : string.Create(CultureInfo.InvariantCulture, $" ({clock.Elapsed.TotalSeconds:F1} s; {jobs} notebooks at a time, {passed.Sum(r => r.Seconds):F1} s of notebook time)");
        return Runner.Summarise(output, log, passed.Count, notebooks.Count, failed, timing);
    }

    static Process Start(Ipynb notebook, string output)
    {
        // The host that runs this program (dotnet ArcFace.Notebooks.dll, or a test host under dotnet test).
        string host = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? self : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // Never written: the worker stops when it closes, so a worker never outlives a killed run.
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { typeof(ParallelRun).Assembly.Location, "run", notebook.Path, "--output", Path.GetFullPath(output), "--worker" })
            start.ArgumentList.Add(arg);
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start a worker for {notebook.Path} ({host})");
    }

    static async Task<NotebookRun> Watch(Ipynb notebook, Process process, string output, Action<string> write)
    {
        var clock = Stopwatch.StartNew();
        string? failure = null;
        string errorPrefix = $"error: {notebook.Path}: ";
        void Relay(string? line)
        {
            if (line is null) return;
            if (line.StartsWith(errorPrefix, StringComparison.Ordinal)) failure ??= line[errorPrefix.Length..];
            write($"[{notebook.Name}] {line}");
        }
        process.OutputDataReceived += (_, e) => Relay(e.Data);
        process.ErrorDataReceived += (_, e) => Relay(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync();
        process.WaitForExit();   // the redirected streams are drained too
        if (process.ExitCode != 0) failure ??= $"the worker process exited with code {process.ExitCode}";
        process.Dispose();
        string executed = Runner.ExecutedPath(output, notebook);
        int cells = File.Exists(executed)
            ? JsonNode.Parse(File.ReadAllText(executed))?["cells"]?.AsArray().Count(c => c?["execution_count"] is JsonValue) ?? 0
            : 0;
        return new NotebookRun(notebook.Name, HtmlReport.Title(notebook), notebook.Path, executed,
            Runner.PagePath(output, notebook), cells, clock.Elapsed.TotalSeconds, failure);
    }
}
