using ArcFace.Notebooks.Jupyter;
using ArcFace.Runtime;

namespace ArcFace.Notebooks;

/// <summary>The host's commands.</summary>
public static class Cli
{
    const string Usage = """
        usage: ArcFace.Notebooks <command> [options]
          doctor                       backend, libtorch, device, threads, settings, and a timed ArcFace-head step
          run [notebook.ipynb ...]     run notebooks (default: every notebooks/*.ipynb, in name order), write the executed
                                       notebooks and an HTML report; stops at the first failing cell (exit code 1)
              --profile smoke|middle|full  run profile (sets ARCFACE_PROFILE for the notebooks)
              --output <dir>           output folder (default: 'output' of environment.json)
              --seeds N                seeds per training notebook, 1-100 (sets ARCFACE_SEEDS)
              --seed S                 first seed (sets ARCFACE_SEED)
              --jobs N                 notebooks at a time, each in a process of its own (default: 2 on a CPU
                                       with 2 or more cores, 1 on a GPU); 1 runs them one after another here
          grid <out.png> [--identities N] [--images M] [--size S]
                                       save a SynthFaces picture grid: N identities (rows) × M images each, S pixels
          kernel -f <connection.json>  serve as a Jupyter kernel (started by Jupyter through the kernelspec)
              --allow-unsigned         accept a connection file with an empty key (messages unsigned; also
                                       ARCFACE_KERNEL_ALLOW_UNSIGNED=1); refused otherwise
          kernel install [--dir <jupyter data dir>] [--name <kernel name>]
                                       write the kernelspec (default: the user's Jupyter data folder)
        options: --env <environment.json>
        """;

    static readonly string[] ValueOptions = ["--env", "--profile", "--output", "--seeds", "--seed", "--jobs", "--dir", "--name", "-f", "--identities", "--images", "--size"];

    public static async Task<int> RunAsync(string[] args)
    {
        string? command = args.FirstOrDefault();
        string? envPath = Option(args, "--env");
        try
        {
            if (envPath is not null) Environment.SetEnvironmentVariable("ARCFACE_ENV", Path.GetFullPath(envPath));
            return command switch
            {
                "doctor" => Doctor.Run(Settings.Load(envPath)),
                "run" => await Run(args),
                "grid" when Positional(args.Skip(1).ToArray()).FirstOrDefault() is { } png => Grid(png, args, Settings.Load(envPath)),
                "kernel" when args.ElementAtOrDefault(1) == "install" => Install(args, envPath),
                "kernel" when Option(args, "-f") is { } file => await Kernel(file, args.Contains("--allow-unsigned")
                    || Environment.GetEnvironmentVariable(ConnectionInfo.AllowUnsignedVariable) == "1"),
                _ => Fail(Usage),
            };
        }
        catch (SettingsException e) { return Fail($"error: {e.Message}"); }
        catch (TorchLoadException e) { return Fail($"error: {e.Message}"); }
        catch (FormatException e) { return Fail($"error: {e.Message}"); }
        catch (InvalidDataException e) { return Fail($"error: {e.Message}"); }
        catch (InputFileException e) { return Fail($"error: {e.Message}"); }
    }

    static int Grid(string png, string[] args, Settings settings)
    {
        TorchRuntime.Initialize(settings);
        int Number(string name, int fallback) => Option(args, name) is { } v ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;
        ArcFace.Data.SynthFaces.SaveGrid(png, Number("--identities", 8), Number("--images", 8),
            ArcFace.Data.SynthFacesOptions.For(settings), Number("--size", 112));
        Console.WriteLine($"grid written: {Path.GetFullPath(png)}");
        return 0;
    }

    static async Task<int> Run(string[] args)
    {
        // The notebooks read the same settings through Env.Load(): options travel as environment overrides.
        if (Option(args, "--profile") is { } profile) Environment.SetEnvironmentVariable("ARCFACE_PROFILE", profile);
        if (Option(args, "--output") is { } output) Environment.SetEnvironmentVariable("ARCFACE_OUTPUT", Path.GetFullPath(output));
        if (Option(args, "--seeds") is { } seeds) Environment.SetEnvironmentVariable("ARCFACE_SEEDS", seeds);
        if (Option(args, "--seed") is { } seed) Environment.SetEnvironmentVariable("ARCFACE_SEED", seed);
        var settings = Settings.Load();
        if (settings.Source is { } source) Environment.SetEnvironmentVariable("ARCFACE_ENV", source);
        var notebooks = Positional(args.Skip(1).ToArray()).Select(Path.GetFullPath).ToList();
        if (notebooks.Count == 0)
        {
            string folder = Path.Combine(settings.Source is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(settings.Source)!, "notebooks");
            notebooks = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.ipynb").Order(StringComparer.Ordinal).ToList() : [];
            if (notebooks.Count == 0) return Fail($"error: no notebooks given and none in {folder}.");
            string scoreboard = ArcFace.Evaluation.Scoreboard.PathFor(settings.Output);
            if (File.Exists(scoreboard)) File.Delete(scoreboard);   // a full run's scoreboard is this run's alone
        }
        if (notebooks.FirstOrDefault(n => !File.Exists(n)) is { } missing) return Fail($"error: {missing}: notebook not found.");
        var info = TorchRuntime.Initialize(settings);
        // A worker of a parallel run (ParallelRun) runs its one notebook; the parent writes the index.
        if (args.Contains("--worker"))
        {
            StopWithParent();
            return await Runner.RunAsync(notebooks, settings.Output, Console.Out, writeIndex: false);
        }
        int jobs = Option(args, "--jobs") is { } n
            ? int.TryParse(n, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int j) && j is >= 1 and <= 16
                ? j : throw new FormatException($"--jobs takes a whole number from 1 to 16; got '{n}'.")
            : info.Device.type == TorchSharp.DeviceType.CPU && Environment.ProcessorCount >= 2 ? 2 : 1;
        Console.WriteLine($"profile {settings.Profile.Name.ToString().ToLowerInvariant()}, device {info.Device.type.ToString().ToLowerInvariant()}, " +
            $"{info.Threads} threads, {Math.Min(jobs, notebooks.Count)} notebook{(Math.Min(jobs, notebooks.Count) == 1 ? "" : "s")} at a time, output {settings.Output}");
        return await Runner.RunAsync(notebooks, settings.Output, Console.Out, jobs);
    }

    // A worker's standard input is a pipe its parent holds open and never writes: its end means the parent is gone,
    // however it ended, and the worker stops too (training resumes from the last checkpoint on the next run).
    static void StopWithParent() => new Thread(() =>
    {
        Console.In.ReadToEnd();
        Console.Error.WriteLine("error: the parallel run that started this worker has ended; stopping");
        Environment.Exit(130);
    }) { IsBackground = true }.Start();

    static int Install(string[] args, string? envPath)
    {
        string dir = Option(args, "--dir") is { } d ? Path.GetFullPath(d) : KernelSpec.UserDataDir;
        string path = KernelSpec.Install(dir, Option(args, "--name") ?? Ipynb.KernelName, envPath);
        Console.WriteLine($"kernelspec written: {path}");
        return 0;
    }

    static async Task<int> Kernel(string connectionFile, bool allowUnsigned)
    {
        var connection = ConnectionInfo.Load(connectionFile, Console.Error, allowUnsigned);
        using var kernel = new JupyterKernel(connection, Console.Error);
        TorchRuntime.Initialize(Settings.Load());
        return await kernel.RunAsync();
    }

    internal static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    static IEnumerable<string> Positional(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (ValueOptions.Contains(args[i])) { i++; continue; }
            if (!args[i].StartsWith("--")) yield return args[i];
        }
    }

    static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }
}
