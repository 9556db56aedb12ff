using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ArcFace.Testing;

namespace ArcFace.Notebooks.Tests;

/// <summary>Bad input files through the loaders and the real CLI entry: "error: &lt;file&gt;: &lt;what&gt;", exit code 2.</summary>
public class CliTests
{
    static async Task<(int Exit, string Stderr)> Cli(params string[] args)
    {
        var stderr = new StringWriter();
        var previous = Console.Error;
        // `run` passes its options to the notebooks as ARCFACE_* variables of this process: put them back afterwards.
        var settings = Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("ARCFACE_"))
            .ToDictionary(k => k, Environment.GetEnvironmentVariable);
        Console.SetError(stderr);
        try { return (await Notebooks.Cli.RunAsync(args), stderr.ToString()); }
        finally
        {
            Console.SetError(previous);
            foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("ARCFACE_")))
                Environment.SetEnvironmentVariable(name, settings.GetValueOrDefault(name));
        }
    }

    static void AssertError(int exit, string stderr, string file, string what)
    {
        Assert.Equal(2, exit);
        Assert.StartsWith($"error: {file}: ", stderr);
        Assert.Contains(what, stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    static string ConnectionFile(string key, int[] ports)
    {
        string file = Path.Combine(TestHost.TempDir(), "connection.json");
        File.WriteAllText(file, new JsonObject
        {
            ["ip"] = "127.0.0.1", ["transport"] = "tcp", ["signature_scheme"] = "hmac-sha256", ["key"] = key,
            ["shell_port"] = ports[0], ["iopub_port"] = ports[1], ["stdin_port"] = ports[2], ["control_port"] = ports[3], ["hb_port"] = ports[4],
        }.ToJsonString());
        return file;
    }

    [Fact]
    public async Task Kernel_with_a_missing_or_invalid_connection_file_is_an_error_naming_it()
    {
        string missing = Path.Combine(TestHost.TempDir(), "missing.json");
        var (exit, stderr) = await Cli("kernel", "-f", missing);
        AssertError(exit, stderr, missing, "cannot read");

        string invalid = Path.Combine(TestHost.TempDir(), "invalid.json");
        File.WriteAllText(invalid, "{\"shell_port\": ");
        (exit, stderr) = await Cli("kernel", "-f", invalid);
        AssertError(exit, stderr, invalid, "not valid JSON");

        File.WriteAllText(invalid, "[1, 2]");
        (exit, stderr) = await Cli("kernel", "-f", invalid);
        AssertError(exit, stderr, invalid, "JSON object");
    }

    [Fact]
    public async Task Kernel_on_a_busy_port_is_an_error_naming_the_file_and_port()
    {
        var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        try
        {
            var ports = KernelTests.FreePorts(5);
            ports[3] = ((IPEndPoint)busy.LocalEndpoint).Port;
            string file = ConnectionFile("k", ports);
            var (exit, stderr) = await Cli("kernel", "-f", file);
            AssertError(exit, stderr, file, $"control_port {ports[3]}");
        }
        finally { busy.Stop(); }
    }

    [Fact]
    public async Task Kernel_with_an_empty_key_is_refused_without_the_opt_in()
    {
        // The ports are busy too: a kernel that took the empty key would fail on them instead of serving forever.
        var busy = Enumerable.Range(0, 5).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        busy.ForEach(l => l.Start());
        try
        {
            string file = ConnectionFile("", busy.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray());
            var (exit, stderr) = await Cli("kernel", "-f", file);
            AssertError(exit, stderr, file, "'key' is empty");
            Assert.Contains("--allow-unsigned", stderr);

            (exit, stderr) = await Cli("kernel", "-f", file, "--allow-unsigned");
            Assert.Equal(2, exit);   // past the key check, stopped by the busy ports
            Assert.StartsWith($"WARNING: {file} has an empty 'key'", stderr);
            Assert.Contains("cannot listen on shell_port", stderr);
        }
        finally { busy.ForEach(l => l.Stop()); }
    }

    [Fact]
    public async Task Run_on_a_malformed_notebook_is_an_error_naming_it()
    {
        string bad = Path.Combine(TestHost.TempDir(), "bad.ipynb");
        File.WriteAllText(bad, """{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [null]}""");
        var (exit, stderr) = await Cli("run", bad, "--output", TestHost.TempDir());
        AssertError(exit, stderr, bad, "cell 1");
    }

    [Fact]
    public void Fuzzed_notebooks_load_and_read_or_give_an_input_error_naming_the_file()
    {
        string valid = File.ReadAllText(TestHost.Notebook("smoke.ipynb"));
        string dir = TestHost.TempDir(), path = Path.Combine(dir, "fuzzed.ipynb");
        var watch = Stopwatch.StartNew();
        int errors = 0;
        foreach (var (bytes, i) in JsonMutations.Of(valid, 400, seed: 7).Select((b, i) => (b, i)))
        {
            File.WriteAllBytes(path, bytes);
            try { ReadAsTheHostDoes(Ipynb.Load(path), dir); }
            catch (InputFileException e) { Assert.Equal(path, e.Path); Assert.StartsWith($"{path}: ", e.Message); errors++; }
            catch (Exception e) { Assert.Fail($"mutation {i} threw {e}\n{System.Text.Encoding.UTF8.GetString(bytes)}"); }
        }
        Assert.InRange(errors, 100, 399);   // the mutations do reach the checks, and some still load
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"400 notebooks took {watch.Elapsed}");
    }

    // What the runner and the report read of a notebook before and after its cells run (cells not run keep their outputs).
    static void ReadAsTheHostDoes(Ipynb notebook, string dir)
    {
        foreach (var cell in notebook.Cells)
        {
            _ = (string?)cell["cell_type"];
            _ = Ipynb.Source(cell);
            _ = Ipynb.Language(cell);
            _ = Runner.Seconds(cell);
        }
        var run = new NotebookRun(notebook.Name, HtmlReport.Title(notebook), notebook.Path, Path.Combine(dir, "x.ipynb"), Path.Combine(dir, "x.html"), 0, 0, null);
        HtmlReport.WritePage(run.Page, notebook, run);
        notebook.SetKernelSpec();
        notebook.Save(run.Executed);
    }
}
