using System.Diagnostics;
using ArcFace.Runtime;

[assembly: CollectionBehavior(DisableTestParallelization = true)]   // the runner sets the current folder per notebook

namespace ArcFace.Notebooks.Tests;

/// <summary>libtorch loaded once on the CPU; paths of the test notebooks and the built host.</summary>
public static class TestHost
{
    static readonly Lazy<RuntimeInfo> info = new(() => TorchRuntime.Initialize(Settings.Default(AppContext.BaseDirectory) with { Device = DevicePolicy.Cpu }));

    public static RuntimeInfo EnsureLoaded() => info.Value;

    public static string Notebook(string name) => Path.Combine(AppContext.BaseDirectory, "Notebooks", name);

    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "arcface-notebooks-tests", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>The host's own build output (bin/&lt;configuration&gt;/net10.0/ArcFace.Notebooks.dll beside its project).</summary>
    public static string HostDll
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            string configuration = dir.Parent!.Name;   // bin/<configuration>/net10.0/
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ArcFace.Notebooks.sln"))) dir = dir.Parent;
            return Path.Combine(dir!.FullName, "lib", "ArcFace.Notebooks", "bin", configuration, "net10.0", "ArcFace.Notebooks.dll");
        }
    }

    /// <summary>Runs the built host with <paramref name="arguments"/> in a fresh temporary folder; returns its exit code and stdout then stderr.</summary>
    public static (int ExitCode, string Output) Run(string arguments, params (string Name, string Value)[] environment)
    {
        var psi = new ProcessStartInfo("dotnet", $"\"{HostDll}\" {arguments}")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TempDir(),
        };
        // A test's settings are the ones it passes: an ARCFACE_* variable left in this process (an in-process `run
        // --output` sets ARCFACE_OUTPUT) would send the child's output elsewhere.
        foreach (var inherited in psi.Environment.Keys.Where(k => k.StartsWith("ARCFACE_")).ToList()) psi.Environment.Remove(inherited);
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        using var process = Process.Start(psi)!;
        var error = process.StandardError.ReadToEndAsync();   // both pipes at once: a full stderr pipe would stall the host
        string output = process.StandardOutput.ReadToEnd() + error.Result;
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
