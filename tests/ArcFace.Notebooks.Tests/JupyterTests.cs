using System.Diagnostics;
using System.Text.Json.Nodes;

namespace ArcFace.Notebooks.Tests;

/// <summary>Our kernel under a real Jupyter client: jupyter nbconvert executes the smoke notebook through it.</summary>
public class JupyterTests
{
    [Fact]
    public void Nbconvert_executes_the_smoke_notebook_through_the_kernel()
    {
        string? jupyter = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(p => Path.Combine(p, "jupyter-nbconvert")).FirstOrDefault(File.Exists);
        if (jupyter is null)
        {
            // tests/run-tests.sh installs Debian's jupyter-nbconvert and jupyter-client; a bare `dotnet test` may lack them.
            Assert.Fail("jupyter-nbconvert is not installed: run tests/run-tests.sh (it installs Debian's jupyter-nbconvert and python3-jupyter-client).");
        }
        Assert.True(File.Exists(TestHost.HostDll), $"{TestHost.HostDll} not built");
        string dir = TestHost.TempDir();
        Run("dotnet", [TestHost.HostDll, "kernel", "install", "--dir", Path.Combine(dir, "jupyter")], dir, null);
        File.Copy(TestHost.Notebook("smoke.ipynb"), Path.Combine(dir, "smoke.ipynb"));
        Run(jupyter, ["--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=arcface-csharp", "--ExecutePreprocessor.timeout=300",
            "--output", "executed.ipynb", "smoke.ipynb"], dir, Path.Combine(dir, "jupyter"));

        var cells = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "executed.ipynb")))!["cells"]!.AsArray();
        JsonObject first(int cell, string type) => cells[cell - 1]!["outputs"]!.AsArray().OfType<JsonObject>().First(o => (string?)o["output_type"] == type);
        string data(JsonObject output, string mime) => Ipynb.Text(output["data"]![mime]);
        Assert.Equal("profile Smoke, device CPU\n", Ipynb.Text(first(2, "stream")["text"]));
        Assert.Contains("[1.541, -0.29343, -2.1788, 0.56843, -1.0845]", data(first(4, "execute_result"), "text/plain"));
        Assert.Contains("class=\"arcface-chart\"", data(first(6, "execute_result"), "text/html"));
        Assert.Contains("<th>Loss</th>", data(first(8, "execute_result"), "text/html"));
        // nbconvert applies update_display_data to the displayed output: the last step is what stays.
        Assert.StartsWith("demo  step 6/6", data(first(10, "display_data"), "text/plain"));
        Assert.Equal(6, (int?)cells[11]!["execution_count"]);
    }

    static void Run(string file, string[] args, string cwd, string? jupyterPath)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (jupyterPath is not null) psi.Environment["JUPYTER_PATH"] = jupyterPath;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(entireProcessTree: true); Assert.Fail($"{file} timed out:\n{stderr}"); }
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {p.ExitCode}:\n{stdout.Result}\n{stderr}");
    }
}
