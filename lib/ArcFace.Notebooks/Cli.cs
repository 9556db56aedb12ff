using ArcFace.Runtime;

namespace ArcFace.Notebooks;

/// <summary>The host's commands.</summary>
public static class Cli
{
    const string Usage = """
        usage: ArcFace.Notebooks <command> [options]
          doctor                 backend, libtorch, device, threads, settings, and a timed ArcFace-head step
        options: --env <environment.json>
        """;

    public static async Task<int> Main(string[] args)
    {
        string? command = args.FirstOrDefault();
        string? envPath = Option(args, "--env");
        try
        {
            return command switch
            {
                "doctor" => Doctor.Run(Settings.Load(envPath)),
                _ => Fail(Usage),
            };
        }
        catch (SettingsException e) { return Fail($"error: {e.Message}"); }
        catch (TorchLoadException e) { return Fail($"error: {e.Message}"); }
    }

    internal static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }
}
