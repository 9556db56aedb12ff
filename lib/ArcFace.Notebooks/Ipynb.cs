using System.Text.Json;
using System.Text.Json.Nodes;

namespace ArcFace.Notebooks;

/// <summary>A Jupyter notebook (nbformat 4) as JSON, read and written without losing what this host does not use.</summary>
public sealed class Ipynb
{
    /// <summary>The kernelspec written into executed notebooks and by <c>kernel install</c>.</summary>
    public const string KernelName = "arcface-csharp", KernelDisplayName = "C# (ArcFace)";

    readonly JsonObject root;

    Ipynb(string path, JsonObject root) => (Path, this.root) = (path, root);

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>File name without extension, e.g. "01-tour".</summary>
    public string Name => System.IO.Path.GetFileNameWithoutExtension(Path);

    /// <summary>The cells, in order.</summary>
    public IReadOnlyList<JsonObject> Cells => root["cells"]!.AsArray().Select(c => c!.AsObject()).ToList();

    /// <summary>Reads a notebook; a file that is not nbformat 4 JSON gives an error naming the file.</summary>
    public static Ipynb Load(string path)
    {
        try
        {
            if (JsonNode.Parse(File.ReadAllText(path)) is JsonObject root && root["cells"] is JsonArray && (int?)root["nbformat"] == 4) return new Ipynb(path, root);
        }
        catch (JsonException e) { throw new FormatException($"{path}: not valid JSON: {e.Message}"); }
        throw new FormatException($"{path}: not a Jupyter notebook (expected nbformat 4 with a 'cells' array).");
    }

    /// <summary>A cell's source text (Jupyter stores a string or a list of lines).</summary>
    public static string Source(JsonObject cell) => Text(cell["source"]);

    /// <summary>A multiline string of nbformat: a string or a list of lines.</summary>
    public static string Text(JsonNode? node) => node switch
    {
        JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
        JsonValue v => (string?)v ?? "",
        _ => "",
    };

    /// <summary>The language a code cell declares (Polyglot or .NET Interactive metadata), csharp when none.</summary>
    public static string Language(JsonObject cell) =>
        (string?)cell["metadata"]?["polyglot_notebook"]?["kernelName"] ?? (string?)cell["metadata"]?["dotnet_interactive"]?["language"] ?? "csharp";

    /// <summary>Marks the notebook as run by this host's kernel, so Jupyter reopens it with the same kernel.</summary>
    public void SetKernelSpec()
    {
        var metadata = root["metadata"] as JsonObject ?? new JsonObject();
        root["metadata"] = metadata;
        metadata["kernelspec"] = new JsonObject { ["name"] = KernelName, ["display_name"] = KernelDisplayName, ["language"] = "C#" };
        metadata["language_info"] = Jupyter.KernelInfo.LanguageInfo();
    }

    /// <summary>Writes the notebook (with whatever outputs its cells now hold).</summary>
    public void Save(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions(Jupyter.WireMessage.Json) { WriteIndented = true }) + "\n");
    }
}
