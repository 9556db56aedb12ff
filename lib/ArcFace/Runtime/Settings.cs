using System.Text.Json;

namespace ArcFace.Runtime;

/// <summary>Which device tensors go to: <c>auto</c> picks CUDA when libtorch has it.</summary>
public enum DevicePolicy { Auto, Cpu, Cuda }

/// <summary>Folders of real data sets. Null where a set is absent; notebooks then use SynthFaces.</summary>
/// <param name="Root">Folder holding real data (default <c>data/</c>).</param>
/// <param name="Train">A RecordIO training set (<c>train.rec</c>/<c>train.idx</c> folder) or an image-folder tree.</param>
/// <param name="Verification">Folder of verification <c>.bin</c> files (lfw.bin, cfp_fp.bin, agedb_30.bin).</param>
/// <param name="Checkpoint">An insightface backbone checkpoint (<c>.pt</c> state_dict) to evaluate.</param>
public sealed record DataRoots(string Root, string? Train, string? Verification, string? Checkpoint);

/// <summary>
/// The runtime settings of environment.json, read through one API by notebooks, the runner, the CLI and the tests.
/// Each key may be overridden by an environment variable <c>ARCFACE_&lt;KEY&gt;</c> (nested keys joined by '_',
/// e.g. <c>ARCFACE_DATA_TRAIN</c>); <c>TORCH_LIB_DIR</c> also sets <c>libtorchDir</c>.
/// </summary>
/// <param name="Device">Device policy.</param>
/// <param name="LibTorchDir">libtorch folder for the external backend (e.g. PyTorch's torch/lib), else null.</param>
/// <param name="Threads">Intra-op threads; 0 keeps libtorch's default.</param>
/// <param name="Profile">Run profile and the sizes it implies.</param>
/// <param name="Seed">Seed for data generation, initialisation and shuffling.</param>
/// <param name="Output">Folder for checkpoints, executed notebooks and reports.</param>
/// <param name="Data">Real data sets.</param>
/// <param name="Source">The file the settings came from, or null for the built-in defaults.</param>
public sealed record Settings(
    DevicePolicy Device,
    string? LibTorchDir,
    int Threads,
    RunProfile Profile,
    long Seed,
    string Output,
    DataRoots Data,
    string? Source)
{
    /// <summary>How many seeds a training notebook runs, from <see cref="Seed"/> on (1 to 100; default 1).</summary>
    public int Seeds { get; init; } = 1;

    /// <summary>The seeds a training notebook runs: Seed, Seed + 1, …, Seed + Seeds − 1.</summary>
    public IReadOnlyList<long> SeedList => Enumerable.Range(0, Seeds).Select(i => unchecked(Seed + i)).ToArray();

    /// <summary>The file name looked for in the current folder and its parents.</summary>
    public const string FileName = "environment.json";

    static readonly Dictionary<string, string[]> Keys = new()
    {
        ["device"] = ["auto", "cpu", "cuda"],
        ["libtorchDir"] = ["a folder path", "null"],
        ["threads"] = ["an integer from 0 to 1024"],
        ["profile"] = ["smoke", "middle", "full"],
        ["seed"] = ["an integer"],
        ["seeds"] = ["an integer from 1 to 100"],
        ["output"] = ["a folder path"],
        ["data"] = ["an object with keys root, train, verification, checkpoint"],
    };
    static readonly string[] DataKeys = ["root", "train", "verification", "checkpoint"];

    /// <summary>Built-in defaults: auto device, smoke profile, seed 2048 (arcface_torch's), output <c>out/</c>.</summary>
    public static Settings Default(string baseDir) => new(DevicePolicy.Auto, null, 0, RunProfile.Smoke, 2048,
        Path.Combine(baseDir, "out"), new DataRoots(Path.Combine(baseDir, "data"), null, null, null), null);

    /// <summary>
    /// Loads settings: <paramref name="path"/> if given, else <c>ARCFACE_ENV</c>, else the nearest environment.json
    /// above the current folder, else the defaults; then applies environment overrides.
    /// </summary>
    public static Settings Load(string? path = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value);
        path ??= environment.GetValueOrDefault("ARCFACE_ENV") ?? Find(Directory.GetCurrentDirectory());
        var values = new Dictionary<string, JsonElement>();
        string baseDir = Directory.GetCurrentDirectory();
        if (path is not null)
        {
            if (!File.Exists(path)) throw new SettingsException($"{path}: settings file not found.");
            baseDir = Path.GetDirectoryName(Path.GetFullPath(path))!;
            using var doc = ParseFile(path);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new SettingsException($"{path}: the top level must be a JSON object.");
            CheckStrings(doc.RootElement, path, "");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name.StartsWith('$') || p.Name == "comment") continue;
                if (!Keys.ContainsKey(p.Name))
                    throw new SettingsException($"{path}: unknown key '{p.Name}'; allowed keys: {string.Join(", ", Keys.Keys)}.");
                values[p.Name] = p.Value.Clone();
            }
        }
        return Build(values, environment, path, baseDir);
    }

    static JsonDocument ParseFile(string path)
    {
        try { return JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new SettingsException($"{path}: not valid JSON: {e.Message}"); }
    }

    // JSON escapes can spell what a .NET string or a path cannot hold: reading them later would throw wherever it happens.
    static void CheckStrings(JsonElement e, string path, string key)
    {
        string where = key.Length == 0 ? path : $"{path}: key '{key}'";
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    string name;
                    try { name = p.Name; }
                    catch (InvalidOperationException) { throw new SettingsException($"{where}: a key name is invalid UTF-16 text (a lone surrogate escape)."); }
                    CheckStrings(p.Value, path, key.Length == 0 ? name : $"{key}.{name}");
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray()) CheckStrings(item, path, key);
                break;
            case JsonValueKind.String:
                string text;
                try { text = e.GetString()!; }
                catch (InvalidOperationException) { throw new SettingsException($"{where}: invalid UTF-16 text (a lone surrogate escape)."); }
                if (text.Contains('\0')) throw new SettingsException($"{where}: the text contains a NUL character.");
                break;
        }
    }

    static string? Find(string dir)
    {
        for (var d = new DirectoryInfo(dir); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, FileName))) return Path.Combine(d.FullName, FileName);
        return null;
    }

    static Settings Build(Dictionary<string, JsonElement> json, IReadOnlyDictionary<string, string?> env, string? source, string baseDir)
    {
        var d = Default(baseDir);
        string where(string key) => source is null ? key : $"{source}: key '{key}'";
        string? text(string key, string envName)
        {
            if (env.GetValueOrDefault(envName) is { Length: > 0 } e) return e;
            if (!json.TryGetValue(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            return v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Number => v.GetRawText(),
                _ => throw Bad(where(key), v.GetRawText(), Keys[key]),
            };
        }
        T choice<T>(string key, string envName, T fallback) where T : struct, Enum
        {
            var t = text(key, envName);
            if (t is null) return fallback;
            if (Keys[key].Contains(t)) return Enum.Parse<T>(t, ignoreCase: true);
            throw Bad(env.ContainsKey(envName) && !string.IsNullOrEmpty(env[envName]) ? envName : where(key), t, Keys[key]);
        }
        long integer(string key, string envName, long fallback, long min, long max)
        {
            var t = text(key, envName);
            if (t is null) return fallback;
            if (long.TryParse(t, out var n) && n >= min && n <= max) return n;
            throw Bad(env.ContainsKey(envName) && !string.IsNullOrEmpty(env[envName]) ? envName : where(key), t, Keys[key]);
        }
        string? folder(string? t) => t is null ? null : Path.GetFullPath(t, baseDir);

        var device = choice("device", "ARCFACE_DEVICE", d.Device);
        var profile = choice("profile", "ARCFACE_PROFILE", d.Profile.Name);
        var threads = (int)integer("threads", "ARCFACE_THREADS", d.Threads, 0, 1024);
        var seed = integer("seed", "ARCFACE_SEED", d.Seed, long.MinValue, long.MaxValue);
        var seeds = (int)integer("seeds", "ARCFACE_SEEDS", d.Seeds, 1, 100);
        var libtorch = folder(env.GetValueOrDefault("TORCH_LIB_DIR") is { Length: > 0 } t ? t : text("libtorchDir", "ARCFACE_LIBTORCHDIR"));
        var output = folder(text("output", "ARCFACE_OUTPUT")) ?? d.Output;

        var data = new Dictionary<string, string?>();
        if (json.TryGetValue("data", out var dataJson) && dataJson.ValueKind != JsonValueKind.Null)
        {
            if (dataJson.ValueKind != JsonValueKind.Object) throw Bad(where("data"), dataJson.GetRawText(), Keys["data"]);
            foreach (var p in dataJson.EnumerateObject())
            {
                if (!DataKeys.Contains(p.Name))
                    throw new SettingsException($"{where("data")}: unknown key '{p.Name}'; allowed keys: {string.Join(", ", DataKeys)}.");
                if (p.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                    throw Bad(where("data." + p.Name), p.Value.GetRawText(), ["a path", "null"]);
                data[p.Name] = p.Value.GetString();
            }
        }
        foreach (var k in DataKeys)
            if (env.GetValueOrDefault("ARCFACE_DATA_" + k.ToUpperInvariant()) is { Length: > 0 } v) data[k] = v;
        var roots = new DataRoots(folder(data.GetValueOrDefault("root")) ?? d.Data.Root, folder(data.GetValueOrDefault("train")),
            folder(data.GetValueOrDefault("verification")), folder(data.GetValueOrDefault("checkpoint")));

        return new Settings(device, libtorch, threads, RunProfile.Of(profile), seed, output, roots, source) { Seeds = seeds };
    }

    static SettingsException Bad(string where, string value, string[] allowed) =>
        new($"{where}: '{value}' is not allowed; allowed values: {string.Join(", ", allowed)}.");
}

/// <summary>A settings file or override that cannot be used; the message names the key and the allowed values.</summary>
public sealed class SettingsException(string message) : Exception(message);
