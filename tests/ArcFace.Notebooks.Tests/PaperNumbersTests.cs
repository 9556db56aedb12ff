using ArcFace.Interactive;
using ArcFace.Losses;

namespace ArcFace.Notebooks.Tests;

public class PaperNumbersTests
{
    [Fact]
    public void LossTableRowsAreFoundByTheHeadsOwnLabels()
    {
        var t = PaperNumbers.LossComparison;
        Assert.Equal(99.53, t[Margin.ArcFace(0.5).Label, "LFW"]);
        Assert.Equal(95.56, t[Margin.ArcFace(0.5).Label, "CFP-FP"]);
        Assert.Equal(95.15, t[Margin.ArcFace(0.5).Label, "AgeDB-30"]);
        Assert.Equal(94.56, t[Margin.CosFace(0.35).Label, "AgeDB-30"]);
        Assert.Equal(91.70, t[Margin.SphereFace(1.35).Label, "AgeDB-30"]);
        Assert.Equal(98.56, t[Margin.NormSoftmax().Label, "LFW"]);
        Assert.Equal(99.48, t[Margin.CM1.Label, "LFW"]);
        Assert.Equal(94.86, t[Margin.CM2.Label, "AgeDB-30"]);
        Assert.Null(t["no such loss", "LFW"]);
        Assert.Throws<ArgumentException>(() => t["ArcFace (0.5)", "YTF"]);
    }

    [Fact]
    public void MissingFiguresReadAsNull()
    {
        Assert.Null(PaperNumbers.AngleStatistics["Triplet", "W-EC"]);
        Assert.Equal(14.29, PaperNumbers.AngleStatistics["ArcFace", "W-EC"]);
    }
}
