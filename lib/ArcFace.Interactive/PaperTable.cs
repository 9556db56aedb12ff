using System.Globalization;
using System.Net;
using System.Text;

namespace ArcFace.Interactive;

/// <summary>One number of the paper next to the same number from this run.</summary>
/// <param name="Method">The row, e.g. "ArcFace (m=0.5)".</param>
/// <param name="Benchmark">The column, e.g. "LFW".</param>
/// <param name="Paper">The paper's value, or null where the paper has none.</param>
/// <param name="ThisRun">This run's value, or null where it was not measured.</param>
public sealed record PaperRow(string Method, string Benchmark, double? Paper, double? ThisRun)
{
    /// <summary>This run minus the paper, where both exist.</summary>
    public double? Difference => Paper is { } p && ThisRun is { } r ? r - p : null;
}

/// <summary>
/// "Paper vs this run": a table with, for each method and benchmark, the paper's number, this run's and the
/// difference. <paramref name="note"/> says what makes them (in)comparable, e.g. SynthFaces at smoke size.
/// </summary>
/// <param name="title">Caption, e.g. "Table 2: verification accuracy".</param>
/// <param name="unit">Unit of the values ("%" by default).</param>
/// <param name="note">A sentence under the table.</param>
public sealed class PaperTable(string title, string unit = "%", string? note = null)
{
    readonly List<PaperRow> rows = [];

    /// <summary>Caption.</summary>
    public string Title => title;

    /// <summary>Unit of the values.</summary>
    public string Unit => unit;

    /// <summary>What makes the numbers (in)comparable.</summary>
    public string? Note => note;

    /// <summary>The rows in the order added.</summary>
    public IReadOnlyList<PaperRow> Rows => rows;

    /// <summary>Adds a row and returns the table, for chaining.</summary>
    public PaperTable Add(string method, string benchmark, double? paper, double? thisRun)
    {
        rows.Add(new PaperRow(method, benchmark, paper, thisRun));
        return this;
    }

    /// <summary>The rows as a Deedle frame (columns Method, Benchmark, Paper, ThisRun, Difference).</summary>
    public Deedle.Frame<int, string> ToFrame() => Deedle.Frame.FromRecords(rows);

    /// <summary>One row per method, one column group (paper, this run, Δ) per benchmark.</summary>
    public string ToHtml()
    {
        var methods = rows.Select(r => r.Method).Distinct().ToList();
        var benchmarks = rows.Select(r => r.Benchmark).Distinct().ToList();
        string enc(string s) => WebUtility.HtmlEncode(s);
        string num(double? v, bool signed = false) => v is { } x ? x.ToString(signed ? "+0.00;-0.00;0.00" : "0.00", CultureInfo.InvariantCulture) : "–";
        var html = new StringBuilder($"<table class=\"arcface-paper\"><caption>{enc(Title)}{(Unit.Length > 0 ? $" ({enc(Unit)})" : "")}</caption><thead><tr><th rowspan=\"2\">method</th>");
        foreach (var b in benchmarks) html.Append($"<th colspan=\"3\">{enc(b)}</th>");
        html.Append("</tr><tr>");
        foreach (var _ in benchmarks) html.Append("<th>paper</th><th>this run</th><th>Δ</th>");
        html.Append("</tr></thead><tbody>");
        foreach (var m in methods)
        {
            html.Append($"<tr><th>{enc(m)}</th>");
            foreach (var b in benchmarks)
            {
                var row = rows.LastOrDefault(r => r.Method == m && r.Benchmark == b);
                html.Append($"<td>{num(row?.Paper)}</td><td>{num(row?.ThisRun)}</td><td>{num(row?.Difference, signed: true)}</td>");
            }
            html.Append("</tr>");
        }
        html.Append("</tbody></table>");
        if (Note is not null) html.Append($"<p class=\"arcface-note\"><i>{enc(Note)}</i></p>");
        return html.ToString();
    }

    /// <summary>Plain text: one line per row.</summary>
    public override string ToString() => $"{Title} ({Unit})\n" + string.Join("\n", rows.Select(r =>
        string.Create(CultureInfo.InvariantCulture, $"{r.Method} | {r.Benchmark} | paper {r.Paper?.ToString("0.00") ?? "–"} | this run {r.ThisRun?.ToString("0.00") ?? "–"}")));
}
