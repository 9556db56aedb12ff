using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ArcFace.Interactive;

namespace ArcFace.Notebooks.Tests;

public class RunnerTests
{
    static JsonObject CodeCellOutput(JsonArray cells, int cellNumber, string outputType) =>
        cells[cellNumber - 1]!["outputs"]!.AsArray().OfType<JsonObject>().Single(o => (string?)o["output_type"] == outputType);

    [Fact]
    public async Task Smoke_notebook_runs_and_writes_outputs_and_report()
    {
        TestHost.EnsureLoaded();
        string output = TestHost.TempDir();
        var log = new StringWriter();
        int exit = await Runner.RunAsync([TestHost.Notebook("smoke.ipynb")], output, log);
        Assert.True(exit == 0, log.ToString());

        var cells = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "notebooks", "smoke.ipynb")))!["cells"]!.AsArray();
        // Cell 4: torch.manual_seed(0); torch.randn(5) — PyTorch's values 1.5410, -0.2934, -2.1788, 0.5684, -1.0845 (g5 format).
        string tensor = (string)CodeCellOutput(cells, 4, "execute_result")["data"]!["text/plain"]!;
        Assert.Contains("tensor [5] Float32", tensor);
        Assert.Contains("[1.541, -0.29343, -2.1788, 0.56843, -1.0845]", tensor);
        // Cell 6: the chart, with plotly.js (first chart of the notebook) and a div to draw into.
        string chart = (string)CodeCellOutput(cells, 6, "execute_result")["data"]!["text/html"]!;
        Assert.StartsWith($"<script {PlotlyJs.Marker}=\"2.28.0\">", chart);
        Assert.Contains("class=\"arcface-chart\"", chart);
        Assert.Contains("\"x\":[1.0,2.0,3.0,4.0]", chart);
        // Cell 8: the Deedle frame as a table of the three records.
        string frame = (string)CodeCellOutput(cells, 8, "execute_result")["data"]!["text/html"]!;
        Assert.Contains("<th>Loss</th><th>M1</th><th>M2</th><th>M3</th>", frame);
        Assert.Contains("<th>1</th><td>ArcFace</td><td>1</td><td>0.5</td><td>0</td>", frame);
        // Cell 10: one progress display, updated in place to the last step.
        var displays = cells[9]!["outputs"]!.AsArray().OfType<JsonObject>().Where(o => (string?)o["output_type"] == "display_data").ToList();
        Assert.Single(displays);
        Assert.StartsWith("demo  step 6/6 (100%)  epoch 2  loss 1.6667  acc 100.0%", (string)displays[0]["data"]!["text/plain"]!);
        Assert.Contains("<svg", (string)displays[0]["data"]!["text/html"]!);
        Assert.Equal("6", (string)CodeCellOutput(cells, 10, "execute_result")["data"]!["text/plain"]!);
        // Cell 12: the paper table with the difference 97.25 - 99.83 = -2.58.
        Assert.Contains("<td>99.83</td><td>97.25</td><td>-2.58</td>", (string)CodeCellOutput(cells, 12, "execute_result")["data"]!["text/html"]!);
        Assert.All(cells.OfType<JsonObject>().Where(c => (string?)c["cell_type"] == "code"), c => Assert.NotNull(Runner.Seconds(c)));

        string page = File.ReadAllText(Path.Combine(output, "report", "smoke.html"));
        Assert.Equal(1, Regex.Count(page, PlotlyJs.Marker));
        Assert.Equal(1, Regex.Count(page, Regex.Escape("* plotly.js v2.28.0")));
        Assert.Contains("<div id=\"arcface-chart-", page);
        Assert.Contains("<h1 id=\"smoke-check\">Smoke check</h1>", page);
        Assert.Contains("smoke.html", File.ReadAllText(Path.Combine(output, "report", "index.html")));
    }

    [Fact]
    public async Task A_failing_cell_stops_the_run_and_names_notebook_and_cell()
    {
        TestHost.EnsureLoaded();
        string output = TestHost.TempDir();
        var log = new StringWriter();
        int exit = await Runner.RunAsync([TestHost.Notebook("failing.ipynb"), TestHost.Notebook("smoke.ipynb")], output, log);
        Assert.Equal(1, exit);
        Assert.Contains($"error: {TestHost.Notebook("failing.ipynb")}: cell 3 failed: InvalidOperationException: deliberate failure", log.ToString());
        Assert.DoesNotContain("never runs", log.ToString());
        Assert.False(File.Exists(Path.Combine(output, "notebooks", "smoke.ipynb")), "the run goes on after a failure");
        var cells = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "notebooks", "failing.ipynb")))!["cells"]!.AsArray();
        Assert.Equal("deliberate failure", (string?)cells[2]!["outputs"]![0]!["evalue"]);
        Assert.Null(cells[3]!["execution_count"]);
        Assert.Contains("not run", File.ReadAllText(Path.Combine(output, "report", "index.html")));
    }

    // Two copies of the smoke notebook under other names, so that the two workers write different outputs.
    static (string A, string B) TwoNotebooks(string first = "smoke.ipynb")
    {
        string dir = TestHost.TempDir();
        string a = Path.Combine(dir, "a.ipynb"), b = Path.Combine(dir, "b.ipynb");
        File.Copy(TestHost.Notebook(first), a);
        File.Copy(TestHost.Notebook("smoke.ipynb"), b);
        return (a, b);
    }

    [Fact]
    public void With_two_jobs_each_notebook_runs_in_a_worker_and_the_index_has_both()
    {
        var (a, b) = TwoNotebooks();
        string output = TestHost.TempDir();
        var (exit, log) = TestHost.Run($"run \"{a}\" \"{b}\" --output \"{output}\" --jobs 2");
        Assert.True(exit == 0, log);
        Assert.Contains("2 notebooks at a time", log);
        // Each worker's lines come back prefixed with its notebook's name, its cell times among them.
        Assert.Matches(@"(?m)^\[a\] == .*a\.ipynb$", log);
        Assert.Matches(@"(?m)^\[b\]    cell 4: ", log);
        Assert.Matches(@"(?m)^notebooks: 2 passed, 0 failed$", log);
        foreach (var name in new[] { "a", "b" })
        {
            string tensor = File.ReadAllText(Path.Combine(output, "notebooks", name + ".ipynb"));
            Assert.Contains("[1.541, -0.29343, -2.1788, 0.56843, -1.0845]", tensor);
            Assert.True(File.Exists(Path.Combine(output, "report", name + ".html")), name);
        }
        string index = File.ReadAllText(Path.Combine(output, "report", "index.html"));
        Assert.Contains("a.html", index);
        Assert.Contains("b.html", index);
    }

    [Fact]
    public void With_two_jobs_a_failing_notebook_fails_the_run_and_is_named()
    {
        var (a, b) = TwoNotebooks("failing.ipynb");
        string output = TestHost.TempDir();
        var (exit, log) = TestHost.Run($"run \"{a}\" \"{b}\" --output \"{output}\" --jobs 2");
        Assert.Equal(1, exit);
        Assert.Contains($"error: {a}: cell 3 failed: InvalidOperationException: deliberate failure", log);
        Assert.Matches(@"(?m)^notebooks: \d passed, 1 failed, \d skipped$", log);
    }

    [Fact]
    public async Task A_compile_error_fails_the_cell()
    {
        TestHost.EnsureLoaded();
        using var session = await NotebookSession.StartAsync();
        var outputs = new CellOutputs(null);
        var error = await session.ExecuteAsync("var y = undefinedName + 1;", outputs);
        Assert.NotNull(error);
        Assert.Contains("CS0103", error.Value);
    }
}
