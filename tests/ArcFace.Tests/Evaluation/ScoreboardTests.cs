using ArcFace.Evaluation;

namespace ArcFace.Tests.Evaluation;

public class ScoreboardTests : IDisposable
{
    readonly string output = Directory.CreateTempSubdirectory("scoreboard").FullName;

    public void Dispose() => Directory.Delete(output, recursive: true);

    static readonly ClaimResult Paired = new("07-margins", "ArcFace beats Softmax", "99.53 vs 99.08", "%",
        [80, 82, 81], [78, 79, 80], 2, 1, 3, Verdict.Holds, "paired t = 3.46");
    static readonly ClaimResult OneSeed = new("09-angles", "θ falls to 30–40°", "30–40°", "°",
        [35.5], null, 35.5, double.NaN, 1, Verdict.Inconclusive, "1 seed: no spread to judge");

    [Fact]
    public void RecordsFromWritersSideBySideAreAllKept()
    {
        // Notebooks of a parallel run record into one file: without the lock, read-modify-writes lose rows.
        Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => Scoreboard.Record(output, Paired with { Claim = $"claim {i}" }));
        Assert.Equal(Enumerable.Range(0, 16).Select(i => $"claim {i}").Order(), Scoreboard.Read(output).Select(c => c.Claim).Order());
    }

    [Fact]
    public void RoundTripsEveryFieldWithNaNAsNull()
    {
        Scoreboard.Record(output, Paired);
        Scoreboard.Record(output, OneSeed);
        string json = File.ReadAllText(Scoreboard.PathFor(output));
        Assert.Equal(Path.Combine(output, "report", "claims.json"), Scoreboard.PathFor(output));
        Assert.Contains("\"verdict\": \"holds\"", json);
        Assert.Contains("\"verdict\": \"inconclusive\"", json);
        Assert.Contains("\"std\": null", json);
        Assert.Contains("\"baseline\": null", json);
        Assert.DoesNotContain("\"ours\"", json);

        var read = Scoreboard.Read(output);
        Assert.Equal(2, read.Count);
        var (p, o) = (read[0], read[1]);
        Assert.Equal(("07-margins", "ArcFace beats Softmax", "99.53 vs 99.08", "%"), (p.Notebook, p.Claim, p.Paper, p.Unit));
        Assert.Equal([80.0, 82, 81], p.Values);
        Assert.Equal([78.0, 79, 80], p.Baseline);
        Assert.Equal((2.0, 1.0, 3, Verdict.Holds, "paired t = 3.46"), (p.Mean, p.Std, p.Seeds, p.Verdict, p.Test));
        Assert.Null(o.Baseline);
        Assert.True(double.IsNaN(o.Std));
        Assert.Equal((35.5, 1, Verdict.Inconclusive), (o.Mean, o.Seeds, o.Verdict));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(Scoreboard.PathFor(output))!, "*.tmp"));
    }

    [Fact]
    public void RecordingTheSameClaimAgainReplacesItsRowInPlace()
    {
        Scoreboard.Record(output, Paired);
        Scoreboard.Record(output, OneSeed);
        Scoreboard.Record(output, Paired with { Mean = -1, Verdict = Verdict.Contradicted });
        var read = Scoreboard.Read(output);
        Assert.Equal(["07-margins", "09-angles"], read.Select(c => c.Notebook));
        Assert.Equal(-1, read[0].Mean);
        Assert.Equal(Verdict.Contradicted, read[0].Verdict);
    }

    [Fact]
    public void ClaimsOfOtherNotebooksAndOtherClaimsStay()
    {
        Scoreboard.Record(output, Paired);
        Scoreboard.Record(output, Paired with { Claim = "ArcFace beats CosFace" });
        Scoreboard.Record(output, Paired with { Notebook = "08-other" });
        Assert.Equal([("07-margins", "ArcFace beats Softmax"), ("07-margins", "ArcFace beats CosFace"), ("08-other", "ArcFace beats Softmax")],
            Scoreboard.Read(output).Select(c => (c.Notebook, c.Claim)));
    }

    [Fact]
    public void RowsStayInNotebookOrderWhateverOrderTheNotebooksFinishIn()
    {
        Scoreboard.Record(output, Paired with { Notebook = "08-other" });
        Scoreboard.Record(output, Paired with { Notebook = "10-last" });
        Scoreboard.Record(output, Paired);
        Scoreboard.Record(output, Paired with { Notebook = "03-first" });
        Scoreboard.Record(output, Paired with { Claim = "ArcFace beats CosFace" });
        Assert.Equal([("03-first", "ArcFace beats Softmax"), ("07-margins", "ArcFace beats Softmax"), ("07-margins", "ArcFace beats CosFace"),
                ("08-other", "ArcFace beats Softmax"), ("10-last", "ArcFace beats Softmax")],
            Scoreboard.Read(output).Select(c => (c.Notebook, c.Claim)));
    }

    [Fact]
    public void ForgettingANotebookRemovesAllItsClaimsAndNoOthers()
    {
        Scoreboard.Forget(output, "07-margins");
        Assert.False(File.Exists(Scoreboard.PathFor(output)));   // nothing to forget: no file appears

        Scoreboard.Record(output, Paired);
        Scoreboard.Record(output, Paired with { Notebook = "08-other" });
        Scoreboard.Record(output, Paired with { Claim = "ArcFace beats CosFace" });
        Scoreboard.Forget(output, "07-margins");
        Assert.Equal([("08-other", "ArcFace beats Softmax")], Scoreboard.Read(output).Select(c => (c.Notebook, c.Claim)));
    }

    [Fact]
    public void NoFileIsAnEmptyScoreboard() => Assert.Empty(Scoreboard.Read(output));

    [Theory]
    [InlineData("{ \"claims\": [ { \"notebook\": ")]
    [InlineData("[]")]
    [InlineData("{ \"claims\": [ { \"notebook\": \"a\", \"claim\": \"b\" } ] }")]
    [InlineData("{ \"claims\": [ { \"notebook\": \"a\", \"claim\": \"b\", \"paper\": \"\", \"unit\": \"\", \"values\": [1], \"test\": \"\", \"mean\": \"x\" } ] }")]
    public void ACorruptFileNamesItself(string json)
    {
        Directory.CreateDirectory(Path.Combine(output, "report"));
        File.WriteAllText(Scoreboard.PathFor(output), json);
        var e = Assert.Throws<InvalidDataException>(() => Scoreboard.Read(output));
        Assert.StartsWith(Scoreboard.PathFor(output) + ": not a claims scoreboard", e.Message);
        Assert.Throws<InvalidDataException>(() => Scoreboard.Record(output, Paired));
    }
}
