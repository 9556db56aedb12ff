using System.Text.Json.Nodes;

namespace ArcFace.Notebooks.Jupyter;

/// <summary>What the kernel says about itself (kernel_info_reply, notebook metadata).</summary>
public static class KernelInfo
{
    public static JsonObject LanguageInfo() => new()
    {
        ["name"] = "C#", ["version"] = "14.0", ["mimetype"] = "text/x-csharp", ["file_extension"] = ".cs",
        ["pygments_lexer"] = "csharp", ["codemirror_mode"] = "text/x-csharp",
    };

    public static JsonObject Reply() => new()
    {
        ["status"] = "ok", ["protocol_version"] = WireMessage.ProtocolVersion, ["implementation"] = "arcface-notebooks",
        ["implementation_version"] = typeof(KernelInfo).Assembly.GetName().Version?.ToString() ?? "1.0",
        ["language_info"] = LanguageInfo(),
        ["banner"] = "C# with the ArcFace library, TorchSharp, Plotly.NET and Deedle preloaded (Microsoft.DotNet.Interactive).",
        ["help_links"] = new JsonArray(), ["debugger"] = false,
    };
}
