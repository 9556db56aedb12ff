using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ArcFace.Evaluation;

namespace ArcFace.Notebooks;

/// <summary>How one notebook went.</summary>
/// <param name="Failure">"cell N: error" where a cell failed, else null.</param>
public sealed record NotebookRun(string Name, string Title, string Source, string Executed, string Page, int CodeCells, double Seconds, string? Failure);

/// <summary>
/// The main job: runs notebooks cell by cell, a fresh kernel each, and writes the executed notebooks
/// (<c>output/notebooks/</c>) and a static HTML report (<c>output/report/index.html</c>). Stops at the first failing cell.
/// </summary>
public static class Runner
{
    /// <summary>
    /// Runs <paramref name="notebooks"/> in order; 0 when all pass, 1 at the first failing cell. With
    /// <paramref name="jobs"/> &gt; 1, up to that many notebooks run at once, each in a process of its own
    /// (<see cref="ParallelRun"/>). <paramref name="writeIndex"/> false leaves <c>report/index.html</c> to the caller
    /// (a worker of a parallel run).
    /// </summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> notebooks, string output, TextWriter log, int jobs = 1, bool writeIndex = true)
    {
        // All read first: a malformed notebook late in the list stops the run before hours of cells, not after.
        var loaded = notebooks.Select(Ipynb.Load).ToList();
        if (jobs > 1 && notebooks.Count > 1) return await ParallelRun.RunAsync(loaded, output, log, jobs);
        var runs = new List<NotebookRun>();
        foreach (var notebook in loaded)
        {
            var run = await RunNotebookAsync(notebook, output, log);
            runs.Add(run);
            if (writeIndex) HtmlReport.WriteIndex(IndexPath(output), runs, notebooks.Skip(runs.Count).ToList(), Scoreboard.Read(output));
            if (run.Failure is not null) return Summarise(output, log, runs.Count - 1, notebooks.Count, run, "");
        }
        return Summarise(output, log, runs.Count, notebooks.Count, null, string.Create(CultureInfo.InvariantCulture, $" ({runs.Sum(r => r.Seconds):F1} s)"));
    }

    /// <summary>
    /// The run's last lines, the same one after another and side by side: the failure (when one stopped the run), the
    /// report with <paramref name="timing"/>, the claims, and "notebooks: N passed, N failed[, N skipped]"; the exit code.
    /// </summary>
    internal static int Summarise(string output, TextWriter log, int passed, int total, NotebookRun? failed, string timing)
    {
        if (failed is not null) log.WriteLine($"error: {failed.Source}: {failed.Failure}");
        log.WriteLine($"report: {IndexPath(output)}{timing}");
        WriteClaims(Scoreboard.Read(output), log);
        log.WriteLine(failed is null ? $"notebooks: {passed} passed, 0 failed" : $"notebooks: {passed} passed, 1 failed, {total - passed - 1} skipped");
        return failed is null ? 0 : 1;
    }

    /// <summary>Where a run writes its report index, an executed notebook, and a notebook's report page.</summary>
    internal static string IndexPath(string output) => Path.Combine(output, "report", "index.html");

    internal static string ExecutedPath(string output, Ipynb notebook) => Path.Combine(output, "notebooks", notebook.Name + ".ipynb");

    internal static string PagePath(string output, Ipynb notebook) => Path.Combine(output, "report", notebook.Name + ".html");

    // Before the "notebooks:" line, which CI parses as the last line.
    static void WriteClaims(IReadOnlyList<ClaimResult> claims, TextWriter log)
    {
        foreach (var c in claims)
            log.WriteLine($"claim: {c.Notebook}: {c.Claim}: paper {c.Paper}, ours {c.Ours} ({c.Seeds} seed{(c.Seeds == 1 ? "" : "s")}): {HtmlReport.VerdictName(c.Verdict)}");
        int count(Verdict v) => claims.Count(c => c.Verdict == v);
        log.WriteLine($"claims: {count(Verdict.Holds)} hold, {count(Verdict.Inconclusive)} inconclusive, {count(Verdict.Contradicted)} contradicted");
    }

    static async Task<NotebookRun> RunNotebookAsync(Ipynb notebook, string output, TextWriter log)
    {
        log.WriteLine($"== {notebook.Path}");
        Scoreboard.Forget(output, notebook.Name);   // the claims it records now replace all of its earlier ones
        string cwd = Directory.GetCurrentDirectory();
        var total = Stopwatch.StartNew();
        string? failure = null;
        int count = 0;
        Directory.SetCurrentDirectory(Path.GetDirectoryName(Path.GetFullPath(notebook.Path))!);   // as Jupyter starts kernels
        try
        {
            using var session = await NotebookSession.StartAsync();
            var cells = notebook.Cells;
            for (int i = 0; i < cells.Count && failure is null; i++)
            {
                var cell = cells[i];
                if ((string?)cell["cell_type"] != "code") continue;
                cell["outputs"] = new JsonArray();
                cell["execution_count"] = null;
                string code = Ipynb.Source(cell);
                if (string.IsNullOrWhiteSpace(code)) continue;
                var outputs = new CellOutputs(log) { ExecutionCount = ++count };
                var started = DateTimeOffset.UtcNow;
                var watch = Stopwatch.StartNew();
                var error = Ipynb.Language(cell) is "csharp" or "C#"
                    ? await session.ExecuteAsync(code, outputs)
                    : Unsupported(Ipynb.Language(cell), outputs);
                cell["outputs"] = outputs.Outputs;
                cell["execution_count"] = count;
                SetTiming(cell, started, DateTimeOffset.UtcNow);
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   cell {i + 1}: {watch.Elapsed.TotalSeconds:F2} s{(error is null ? "" : " FAILED")}"));
                if (error is not null) failure = $"cell {i + 1} failed: {error.Name}: {error.Value}";
            }
        }
        finally { Directory.SetCurrentDirectory(cwd); }
        notebook.SetKernelSpec();
        string executed = ExecutedPath(output, notebook);
        notebook.Save(executed);
        string page = PagePath(output, notebook);
        var run = new NotebookRun(notebook.Name, HtmlReport.Title(notebook), notebook.Path, executed, page, count, total.Elapsed.TotalSeconds, failure);
        HtmlReport.WritePage(page, notebook, run);
        return run;
    }

    static CellError Unsupported(string language, IOutputSink outputs)
    {
        var error = new CellError("UnsupportedLanguage", $"this host runs C# cells only; the cell's kernel is '{language}'", []);
        outputs.Error(error);
        return error;
    }

    // JupyterLab's "record timing" fields, so Jupyter shows the times too.
    static void SetTiming(JsonObject cell, DateTimeOffset started, DateTimeOffset ended)
    {
        var metadata = cell["metadata"] as JsonObject ?? new JsonObject();
        cell["metadata"] = metadata;
        metadata["execution"] = new JsonObject
        {
            ["shell.execute_reply.started"] = started.ToString("o", CultureInfo.InvariantCulture),
            ["shell.execute_reply"] = ended.ToString("o", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The seconds a cell took, from its timing metadata, or null.</summary>
    public static double? Seconds(JsonObject cell) =>
        DateTimeOffset.TryParse((string?)cell["metadata"]?["execution"]?["shell.execute_reply.started"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var a) &&
        DateTimeOffset.TryParse((string?)cell["metadata"]?["execution"]?["shell.execute_reply"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var b)
            ? (b - a).TotalSeconds : null;
}
