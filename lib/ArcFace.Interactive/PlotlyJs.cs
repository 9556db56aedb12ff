namespace ArcFace.Interactive;

/// <summary>
/// plotly.js as Plotly.NET ships it (an embedded resource of Plotly.NET.dll), so charts render offline. A page needs it
/// once: <see cref="ScriptTag"/> carries the marker <see cref="Marker"/> so a report can keep one copy per page.
/// </summary>
public static class PlotlyJs
{
    /// <summary>The attribute that marks the script tag holding plotly.js.</summary>
    public const string Marker = "data-arcface-plotlyjs";

    static readonly Lazy<(string Version, string Source)> script = new(Load);

    /// <summary>plotly.js version (2.28.0 in Plotly.NET 6.0.0).</summary>
    public static string Version => script.Value.Version;

    /// <summary>The minified plotly.js source.</summary>
    public static string Source => script.Value.Source;

    /// <summary>
    /// A script tag defining <c>window.Plotly</c>. The module loaders of the page (require.js in classic Jupyter) are
    /// hidden from plotly.js's UMD wrapper so that it always sets the global.
    /// </summary>
    public static string ScriptTag => $"<script {Marker}=\"{Version}\">(function(define, module, exports) {{\n{Source}\n}})();</script>";

    /// <summary>Removes every <see cref="ScriptTag"/> from an HTML fragment (a report adds one per page itself).</summary>
    public static string Strip(string html)
    {
        const string open = "<script " + Marker;
        for (int start; (start = html.IndexOf(open, StringComparison.Ordinal)) >= 0;)
        {
            int end = html.IndexOf("</script>", start, StringComparison.Ordinal);
            if (end < 0) break;
            html = html.Remove(start, end + "</script>".Length - start);
        }
        return html;
    }

    static (string, string) Load()
    {
        var assembly = typeof(Plotly.NET.GenericChart).Assembly;
        string name = assembly.GetManifestResourceNames().FirstOrDefault(n => n.StartsWith("Plotly.NET.plotly-") && n.EndsWith(".min.js"))
            ?? throw new InvalidOperationException($"{assembly.Location} has no embedded plotly-*.min.js resource.");
        using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
        return (name["Plotly.NET.plotly-".Length..^".min.js".Length], reader.ReadToEnd());
    }
}
