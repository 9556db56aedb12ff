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

    /// <summary>
    /// Reads a notebook. Everything the runner and the report read later is checked here, so a file that is not nbformat 4
    /// as this host reads it is an <see cref="InputFileException"/> naming the file and the place.
    /// </summary>
    public static Ipynb Load(string path)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new InputFileException(path, $"cannot read the notebook: {e.Message}", e); }
        catch (JsonException e) { throw new InputFileException(path, $"not valid JSON: {e.Message}", e); }
        if (node is not JsonObject root || root["cells"] is not JsonArray cells || root["nbformat"] is not JsonValue format
            || !format.TryGetValue<int>(out int version) || version != 4)
            throw new InputFileException(path, "not a Jupyter notebook (expected nbformat 4 with a 'cells' array).");
        try { ReadAllText(root); }
        catch (InvalidOperationException) { throw new InputFileException(path, "a key or string is invalid UTF-16 text (a lone surrogate escape)."); }
        try
        {
            foreach (var (cell, i) in cells.Select((c, i) => (c, i))) Check(cell, $"cell {i + 1}");
        }
        catch (InvalidDataException e) { throw new InputFileException(path, e.Message); }
        return new Ipynb(path, root);
    }

    static void Check(JsonNode? cell, string where)
    {
        var c = Object(cell, where)!;
        String(c["cell_type"], $"{where}: 'cell_type'", optional: false);
        Multiline(c["source"], $"{where}: 'source'");
        if (Object(c["metadata"], $"{where}: 'metadata'", optional: true) is { } metadata)
        {
            String(Object(metadata["polyglot_notebook"], $"{where}: 'metadata.polyglot_notebook'", optional: true)?["kernelName"], $"{where}: 'metadata.polyglot_notebook.kernelName'");
            String(Object(metadata["dotnet_interactive"], $"{where}: 'metadata.dotnet_interactive'", optional: true)?["language"], $"{where}: 'metadata.dotnet_interactive.language'");
            var execution = Object(metadata["execution"], $"{where}: 'metadata.execution'", optional: true);
            foreach (var key in new[] { "shell.execute_reply.started", "shell.execute_reply" }) String(execution?[key], $"{where}: 'metadata.execution.{key}'");
        }
        if (c["outputs"] is null) return;
        if (c["outputs"] is not JsonArray outputs) throw Wrong($"{where}: 'outputs'", "an array", c["outputs"]);
        foreach (var (o, j) in outputs.Select((o, j) => (o, j)))
        {
            string at = $"{where}: output {j + 1}";
            var output = Object(o, at)!;
            String(output["output_type"], $"{at}: 'output_type'", optional: false);
            Multiline(output["text"], $"{at}: 'text'");
            if (output["traceback"] is { } traceback)
            {
                if (traceback is not JsonArray lines) throw Wrong($"{at}: 'traceback'", "an array of strings", traceback);
                foreach (var line in lines) String(line, $"{at}: 'traceback'", optional: false);
            }
            if (Object(output["data"], $"{at}: 'data'", optional: true) is { } data)
                foreach (var (mime, value) in data) Multiline(value, $"{at}: 'data.{mime}'");
        }
    }

    static JsonObject? Object(JsonNode? node, string where, bool optional = false) =>
        node is JsonObject o ? o : node is null && optional ? null : throw Wrong(where, "an object", node);

    static void String(JsonNode? node, string where, bool optional = true)
    {
        if (node is null && optional) return;
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String) throw Wrong(where, "a string", node);
    }

    // An escaped lone surrogate in a key or string throws only when read as text (here, or by Save much later): read all now.
    static void ReadAllText(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o: foreach (var (_, value) in o) ReadAllText(value); break;
            case JsonArray a: foreach (var item in a) ReadAllText(item); break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String: v.GetValue<string>(); break;
        }
    }

    // nbformat's multiline string: a string or a list of strings (absent reads as empty).
    static void Multiline(JsonNode? node, string where)
    {
        if (node is JsonArray lines) foreach (var line in lines) String(line, where, optional: false);
        else String(node, where);
    }

    static InvalidDataException Wrong(string where, string expected, JsonNode? node) =>
        new($"{where} must be {expected}, not {(node is null ? "null or absent" : node.GetValueKind().ToString().ToLowerInvariant())}.");

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
