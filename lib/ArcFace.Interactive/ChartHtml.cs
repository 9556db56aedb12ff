using System.Text.Json;
using Plotly.NET;

namespace ArcFace.Interactive;

/// <summary>Plotly.NET charts as HTML fragments that render offline (no CDN, no require.js).</summary>
public static class ChartHtml
{
    /// <summary>CSS class of the element a chart is drawn into.</summary>
    public const string CssClass = "arcface-chart";

    /// <summary>
    /// A <c>div</c> and the script that draws <paramref name="chart"/> into it once <c>window.Plotly</c> exists;
    /// with <paramref name="includePlotlyJs"/> the fragment starts with plotly.js itself.
    /// </summary>
    public static string Render(GenericChart chart, bool includePlotlyJs)
    {
        using var figure = JsonDocument.Parse(GenericChart.toFigureJson(chart));
        string part(string name) => figure.RootElement.TryGetProperty(name, out var v) ? v.GetRawText() : "{}";
        string id = $"{CssClass}-{Guid.NewGuid():N}";
        var (width, height) = Size(figure.RootElement);
        string script = $$"""
            <div id="{{id}}" class="{{CssClass}}" style="width: {{width}}; height: {{height}};"></div>
            <script>(function () {
              var data = {{part("data")}}, layout = {{part("layout")}}, config = {{part("config")}};
              function draw() { window.Plotly.newPlot("{{id}}", data, layout, config); }
              if (window.Plotly) { draw(); return; }
              var wait = setInterval(function () { if (window.Plotly) { clearInterval(wait); draw(); } }, 50);
            })();</script>
            """;
        return includePlotlyJs ? PlotlyJs.ScriptTag + "\n" + script : script;
    }

    /// <summary>A complete HTML page holding the chart and plotly.js.</summary>
    public static string Page(GenericChart chart, string title = "chart") =>
        $"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{System.Net.WebUtility.HtmlEncode(title)}</title>{PlotlyJs.ScriptTag}</head>" +
        $"<body>{Render(chart, includePlotlyJs: false)}</body></html>";

    static (string Width, string Height) Size(JsonElement figure)
    {
        string px(string name, string fallback) =>
            figure.TryGetProperty("layout", out var l) && l.ValueKind == JsonValueKind.Object && l.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
                ? $"{v.GetDouble()}px" : fallback;
        return (px("width", "100%"), px("height", "420px"));
    }
}
