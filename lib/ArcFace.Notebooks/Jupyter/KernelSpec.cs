using System.Text.Json;
using System.Text.Json.Nodes;

namespace ArcFace.Notebooks.Jupyter;

/// <summary><c>kernel install</c>: writes <c>kernels/arcface-csharp/kernel.json</c> into a Jupyter data folder.</summary>
public static class KernelSpec
{
    /// <summary>The user's Jupyter data folder: <c>JUPYTER_DATA_DIR</c>, else <c>~/.local/share/jupyter</c>.</summary>
    public static string UserDataDir => Environment.GetEnvironmentVariable("JUPYTER_DATA_DIR") is { Length: > 0 } d ? d
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "jupyter");

    /// <summary>Writes the kernelspec and returns the kernel.json path.</summary>
    /// <param name="dataDir">A Jupyter data folder (the spec goes into its <c>kernels/</c>).</param>
    /// <param name="envFile">An environment.json the kernel should use wherever the notebook is, or null.</param>
    public static string Install(string dataDir, string name = Ipynb.KernelName, string? envFile = null)
    {
        string dir = Path.Combine(dataDir, "kernels", name);
        Directory.CreateDirectory(dir);
        var argv = new JsonArray(Launcher().Select(a => (JsonNode?)JsonValue.Create(a)).ToArray());
        foreach (var a in new[] { "kernel", "-f", "{connection_file}" }) argv.Add(a);
        var spec = new JsonObject
        {
            ["argv"] = argv, ["display_name"] = Ipynb.KernelDisplayName, ["language"] = "C#", ["interrupt_mode"] = "message",
            ["metadata"] = new JsonObject { ["debugger"] = false },
        };
        if (envFile is not null) spec["env"] = new JsonObject { ["ARCFACE_ENV"] = Path.GetFullPath(envFile) };
        string path = Path.Combine(dir, "kernel.json");
        File.WriteAllText(path, spec.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return path;
    }

    // The built host: `dotnet <dll>` with the dotnet that runs us (the apphost may not find the runtime from Jupyter).
    static string[] Launcher()
    {
        string dll = typeof(KernelSpec).Assembly.Location;
        string? dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h
            : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(p => Path.Combine(p, "dotnet")).FirstOrDefault(File.Exists);
        return [dotnet ?? "dotnet", dll];
    }
}
