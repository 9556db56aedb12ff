using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ArcFace.Evaluation;

namespace ArcFace.Notebooks.Tests;

/// <summary>The scoreboard end to end: a notebook records a claim, the host writes claims.json, the index and the console lines.</summary>
public class ClaimsReportTests
{
    static readonly ClaimResult Other = new("other", "a claim of another notebook", "1", "", [1, 2], null, 1.5, 0.7071, 2, Verdict.Inconclusive, "t");

    // A project folder of its own: environment.json (CPU, output out/) and notebooks/claims.ipynb.
    static (string Env, string Notebook, string Output) Project()
    {
        string dir = TestHost.TempDir();
        File.WriteAllText(Path.Combine(dir, "environment.json"), """{ "device": "cpu", "output": "out" }""");
        Directory.CreateDirectory(Path.Combine(dir, "notebooks"));
        string notebook = Path.Combine(dir, "notebooks", "claims.ipynb");
        File.Copy(TestHost.Notebook("claims.ipynb"), notebook);
        return (Path.Combine(dir, "environment.json"), notebook, Path.Combine(dir, "out"));
    }

    [Fact]
    public void AFullRunWritesThisRunsScoreboardFirstInTheIndexAndOnTheConsole()
    {
        var (env, _, output) = Project();
        Scoreboard.Record(output, Other);   // stale: a full run starts a new scoreboard

        var (code, log) = TestHost.Run($"run --env \"{env}\" --seeds 2");
        Assert.True(code == 0, log);

        var executed = File.ReadAllText(Path.Combine(output, "notebooks", "claims.ipynb"));
        Assert.Contains("seeds 2: 2048, 2049", executed);
        // Cell 4: the notebook's own table of the claims it recorded.
        string shown = Ipynb.Text(JsonNode.Parse(executed)!["cells"]![3]!["outputs"]![0]!["data"]!["text/html"]);
        Assert.Contains("<td>ours beats baseline</td><td>+1.0</td>", shown);
        Assert.Contains("<td>3</td><td>holds</td>", shown);

        var claim = Assert.Single(Scoreboard.Read(output));
        Assert.Equal(("claims", "ours beats baseline", "+1.0", "%", 3, Verdict.Holds), (claim.Notebook, claim.Claim, claim.Paper, claim.Unit, claim.Seeds, claim.Verdict));
        Assert.Equal(2, claim.Mean, 12);
        Assert.Equal(1, claim.Std, 12);

        string index = File.ReadAllText(Path.Combine(output, "report", "index.html"));
        // Decoded: the report escapes non-ASCII (Δ, ±) as character references.
        string firstTable = WebUtility.HtmlDecode(Regex.Match(index, "<table.*?</table>", RegexOptions.Singleline).Value);
        Assert.Contains("<td class=\"text\">claims</td><td class=\"text\">ours beats baseline</td><td>+1.0</td><td>Δ +2.00 ± 1.00 %</td><td>3</td>", firstTable);
        Assert.Contains("<span class=\"holds\"", firstTable);
        Assert.DoesNotContain("another notebook", index);
        Assert.Contains("1 of 1 claims hold", index);

        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal([
            "claim: claims: ours beats baseline: paper +1.0, ours Δ +2.00 ± 1.00 % (3 seeds): holds",
            "claims: 1 hold, 0 inconclusive, 0 contradicted",
            "notebooks: 1 passed, 0 failed"], lines[^3..]);
    }

    [Fact]
    public void AFullRunIntoAFreshOutputFolderStarts()
    {
        var (env, _, output) = Project();
        Assert.False(Directory.Exists(output));   // a fresh clone: no out/ yet, so no stale scoreboard to delete
        var (code, log) = TestHost.Run($"run --env \"{env}\" --seeds 1");
        Assert.True(code == 0, log);
        Assert.Single(Scoreboard.Read(output));
    }

    [Fact]
    public void ANamedRunKeepsOtherNotebooksClaimsReplacesItsOwnAndTakesTheFirstSeed()
    {
        var (env, notebook, output) = Project();
        Scoreboard.Record(output, Other);
        Scoreboard.Record(output, Other with { Notebook = "claims", Claim = "a claim an earlier version of the notebook made" });

        var (code, log) = TestHost.Run($"run \"{notebook}\" --env \"{env}\" --seed 7 --seeds 1");
        Assert.True(code == 0, log);
        Assert.Contains("seeds 1: 7\\n", File.ReadAllText(Path.Combine(output, "notebooks", "claims.ipynb")));
        Assert.Equal(["claims", "other"], Scoreboard.Read(output).Select(c => c.Notebook));   // in notebook order
        Assert.Contains("claims: 1 hold, 1 inconclusive, 0 contradicted", log);
        Assert.Contains("1 of 2 claims hold", File.ReadAllText(Path.Combine(output, "report", "index.html")));
    }
}
