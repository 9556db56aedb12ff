using System.Text.Json.Nodes;

namespace ArcFace.Notebooks;

/// <summary>
/// Collects a cell's outputs in nbformat 4 shape. Display updates replace the earlier output with the same display id,
/// as a Jupyter front end does; streams of the same name merge. Echoes streams and progress lines to a console.
/// </summary>
public sealed class CellOutputs(TextWriter? echo) : IOutputSink
{
    readonly Dictionary<string, JsonObject> displays = [];

    public JsonArray Outputs { get; } = [];

    public int ExecutionCount { get; init; }

    public void Stream(string name, string text)
    {
        echo?.Write(text);
        if (Outputs.LastOrDefault() is JsonObject last && (string?)last["output_type"] == "stream" && (string?)last["name"] == name)
            last["text"] = (string?)last["text"] + text;
        else Outputs.Add(new JsonObject { ["output_type"] = "stream", ["name"] = name, ["text"] = text });
    }

    public void Display(string? displayId, IReadOnlyDictionary<string, string> data, bool update)
    {
        if (data.TryGetValue("text/plain", out var line) && update) echo?.WriteLine("  " + line);
        if (update && displayId is not null && displays.TryGetValue(displayId, out var shown)) { shown["data"] = Data(data); return; }
        var output = new JsonObject { ["output_type"] = "display_data", ["data"] = Data(data), ["metadata"] = new JsonObject() };
        if (displayId is not null) displays[displayId] = output;
        Outputs.Add(output);
    }

    public void Result(IReadOnlyDictionary<string, string> data) => Outputs.Add(new JsonObject
    {
        ["output_type"] = "execute_result", ["execution_count"] = ExecutionCount, ["data"] = Data(data), ["metadata"] = new JsonObject(),
    });

    public void Error(CellError error) => Outputs.Add(new JsonObject
    {
        ["output_type"] = "error", ["ename"] = error.Name, ["evalue"] = error.Value,
        ["traceback"] = new JsonArray(error.Traceback.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray()),
    });

    static JsonObject Data(IReadOnlyDictionary<string, string> data) => new(data.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
}
