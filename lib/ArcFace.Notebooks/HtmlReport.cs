using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ArcFace.Evaluation;
using ArcFace.Interactive;
using Markdig;

namespace ArcFace.Notebooks;

/// <summary>
/// The static report: an index and one page per executed notebook (markdown rendered, code, outputs, cell times).
/// Charts render offline: each page carries plotly.js once, in its head, and chart outputs carry none.
/// </summary>
public static class HtmlReport
{
    static readonly MarkdownPipeline markdown = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

    const string Style = """
        <style>
        body { font-family: -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 1000px; margin: 2em auto; padding: 0 1em; color: #1f2328; }
        pre { background: #f6f8fa; padding: 8px 12px; overflow-x: auto; font-size: 13px; }
        .cell { margin: 1.2em 0; } .meta { color: #6b7280; font-size: 12px; }
        .output { border-left: 3px solid #d1d5db; padding-left: 10px; margin-top: 4px; overflow-x: auto; }
        .error pre { background: #fef2f2; color: #991b1b; } .failed { color: #b91c1c; } .passed { color: #15803d; }
        table { border-collapse: collapse; font-size: 13px; } th, td { border: 1px solid #d1d5db; padding: 3px 8px; text-align: right; }
        .holds { color: #15803d; } .inconclusive { color: #b45309; } .contradicted { color: #b91c1c; } td.text { text-align: left; }
        </style>
        """;

    /// <summary>The notebook's title: its first markdown heading, else its file name.</summary>
    public static string Title(Ipynb notebook) =>
        notebook.Cells.Where(c => (string?)c["cell_type"] == "markdown").SelectMany(c => Ipynb.Source(c).Split('\n'))
            .FirstOrDefault(l => l.StartsWith('#'))?.TrimStart('#', ' ').Trim() is { Length: > 0 } t ? t : notebook.Name;

    /// <summary>Writes the page of an executed notebook.</summary>
    public static void WritePage(string path, Ipynb notebook, NotebookRun run)
    {
        var html = new StringBuilder();
        html.Append($"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{Enc(run.Title)}</title>{Style}\n{PlotlyJs.ScriptTag}\n</head><body>\n");
        html.Append($"<p class=\"meta\"><a href=\"index.html\">index</a> · <a href=\"{Enc(Relative(path, run.Executed))}\">{Enc(run.Name)}.ipynb</a> · ");
        html.Append(string.Create(CultureInfo.InvariantCulture, $"{run.Seconds:F1} s · "));
        html.Append(run.Failure is null ? "<span class=\"passed\">passed</span></p>\n" : $"<span class=\"failed\">{Enc(run.Failure)}</span></p>\n");
        foreach (var (cell, i) in notebook.Cells.Select((c, i) => (c, i)))
        {
            string source = Ipynb.Source(cell);
            html.Append($"<div class=\"cell\" id=\"cell-{i + 1}\">");
            if ((string?)cell["cell_type"] == "markdown") html.Append(Markdown.ToHtml(source, markdown));
            else if ((string?)cell["cell_type"] == "code")
            {
                var seconds = Runner.Seconds(cell);
                html.Append($"<div class=\"meta\">cell {i + 1}{(cell["execution_count"] is { } n ? $" · [{n}]" : " · not run")}");
                html.Append(seconds is { } s ? string.Create(CultureInfo.InvariantCulture, $" · {s:F2} s") : "").Append("</div>");
                html.Append($"<pre><code class=\"language-csharp\">{Enc(source)}</code></pre>");
                foreach (var output in (cell["outputs"] as JsonArray ?? []).OfType<JsonObject>()) html.Append(Output(output));
            }
            html.Append("</div>\n");
        }
        html.Append("</body></html>\n");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, html.ToString());
    }

    /// <summary>
    /// Writes the index: the scoreboard of <paramref name="claims"/> first (where there are any), then each notebook's
    /// status, time and links, <paramref name="notRun"/> listed after.
    /// </summary>
    public static void WriteIndex(string path, IReadOnlyList<NotebookRun> runs, IReadOnlyList<string> notRun, IReadOnlyList<ClaimResult>? claims = null)
    {
        var html = new StringBuilder($"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>ArcFace notebooks</title>{Style}</head><body>\n");
        html.Append("<h1>ArcFace notebooks</h1>\n");
        if (claims is { Count: > 0 }) html.Append(ClaimsTable(claims));
        html.Append("<table><tr><th>notebook</th><th>cells</th><th>seconds</th><th>status</th><th>executed</th></tr>\n");
        foreach (var r in runs)
            html.Append(string.Create(CultureInfo.InvariantCulture,
                $"<tr><td style=\"text-align:left\"><a href=\"{Enc(Relative(path, r.Page))}\">{Enc(r.Title)}</a></td><td>{r.CodeCells}</td><td>{r.Seconds:F1}</td>" +
                $"<td style=\"text-align:left\">{(r.Failure is null ? "<span class=\"passed\">passed</span>" : $"<span class=\"failed\">{Enc(r.Failure)}</span>")}</td>" +
                $"<td><a href=\"{Enc(Relative(path, r.Executed))}\">{Enc(r.Name)}.ipynb</a></td></tr>\n"));
        foreach (var n in notRun) html.Append($"<tr><td style=\"text-align:left\">{Enc(Path.GetFileName(n))}</td><td></td><td></td><td style=\"text-align:left\">not run</td><td></td></tr>\n");
        html.Append(string.Create(CultureInfo.InvariantCulture, $"</table>\n<p class=\"meta\">written {DateTimeOffset.Now:yyyy-MM-dd HH:mm}</p></body></html>\n"));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, html.ToString());
    }

    static string ClaimsTable(IReadOnlyList<ClaimResult> claims)
    {
        var html = new StringBuilder("<h2>Claims</h2>\n<table class=\"claims\"><tr><th>notebook</th><th>claim</th><th>paper</th><th>ours (mean ± std)</th><th>seeds</th><th>verdict</th></tr>\n");
        foreach (var c in claims)
            html.Append($"<tr><td class=\"text\">{Enc(c.Notebook)}</td><td class=\"text\">{Enc(c.Claim)}</td><td>{Enc(c.Paper)}</td><td>{Enc(c.Ours)}</td>" +
                $"<td>{c.Seeds}</td><td class=\"text\"><span class=\"{VerdictName(c.Verdict)}\" title=\"{Enc(c.Test)}\">{VerdictName(c.Verdict)}</span></td></tr>\n");
        return html.Append($"</table>\n<p>{ClaimsSummary(claims)}</p>\n").ToString();
    }

    /// <summary>"N of M claims hold".</summary>
    public static string ClaimsSummary(IReadOnlyList<ClaimResult> claims) =>
        $"{claims.Count(c => c.Verdict == Verdict.Holds)} of {claims.Count} claims hold";

    /// <summary>The verdict as the scoreboard writes it: holds, inconclusive, contradicted.</summary>
    public static string VerdictName(Verdict verdict) => verdict.ToString().ToLowerInvariant();

    static string Output(JsonObject output)
    {
        switch ((string?)output["output_type"])
        {
            case "stream": return $"<div class=\"output\"><pre>{Enc(Ipynb.Text(output["text"]))}</pre></div>";
            case "error":
                var lines = (output["traceback"] as JsonArray ?? []).Select(l => (string?)l);
                return $"<div class=\"output error\"><pre>{Enc($"{output["ename"]}: {output["evalue"]}\n{string.Join("\n", lines)}")}</pre></div>";
            default:
                var data = output["data"] as JsonObject ?? [];
                string? text(string mime) => data[mime] is { } node ? Ipynb.Text(node) : null;
                string body = text("text/html") is { } h ? PlotlyJs.Strip(h)
                    : text("image/svg+xml") is { } svg ? svg
                    : text("image/png") is { } png ? $"<img src=\"data:image/png;base64,{png.Trim()}\">"
                    : text("text/markdown") is { } md ? Markdown.ToHtml(md, markdown)
                    : $"<pre>{Enc(text("text/plain") ?? "")}</pre>";
                return $"<div class=\"output\">{body}</div>";
        }
    }

    static string Relative(string fromFile, string toFile) =>
        Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(fromFile))!, Path.GetFullPath(toFile)).Replace('\\', '/');

    static string Enc(string s) => WebUtility.HtmlEncode(s);
}
