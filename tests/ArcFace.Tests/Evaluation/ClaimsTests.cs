using ArcFace.Evaluation;

namespace ArcFace.Tests.Evaluation;

public class ClaimsTests
{
    static readonly double[] Baseline = [78, 79, 80];

    [Theory]
    // Published one-sided 0.95 quantiles of Student's t.
    [InlineData(1, 6.3138)]
    [InlineData(2, 2.9200)]
    [InlineData(3, 2.3534)]
    [InlineData(4, 2.1318)]
    [InlineData(10, 1.8125)]
    [InlineData(30, 1.6973)]
    [InlineData(1000, 1.6464)]
    public void StudentT95MatchesTheTable(int df, double expected) =>
        Assert.Equal(expected, Claims.StudentT95(df), 4);

    [Fact]
    public void StudentT95MatchesTheClosedForms()
    {
        // ν = 1 (Cauchy): tan(π (p − ½)); ν = 2: (2p − 1) / √(2p(1 − p)).
        Assert.Equal(Math.Tan(Math.PI * 0.45), Claims.StudentT95(1), 9);
        Assert.Equal(0.9 / Math.Sqrt(2 * 0.95 * 0.05), Claims.StudentT95(2), 9);
        Assert.Throws<ArgumentOutOfRangeException>(() => Claims.StudentT95(0));
    }

    [Fact]
    public void AClearPairedGainHolds()
    {
        // d = [2, 3, 1]: mean 2, sd 1, t = 2 / (1/√3) = 3.464 > t(0.95, 2) = 2.920.
        var r = Claims.Greater("nb", "ours beats baseline", "+1.0", [80, 82, 81], Baseline, "%");
        Assert.Equal(Verdict.Holds, r.Verdict);
        Assert.Equal(2, r.Mean, 12);
        Assert.Equal(1, r.Std, 12);
        Assert.Equal(3, r.Seeds);
        Assert.Equal([80.0, 82, 81], r.Values);
        Assert.Equal(Baseline, r.Baseline);
        Assert.Equal("ours − baseline: paired t = 3.46 (df 2) > 2.92, one-sided 5 %", r.Test);
        Assert.Equal("Δ +2.00 ± 1.00 %", r.Ours);
    }

    [Fact]
    public void TheCriticalValueSeparatesHoldsFromInconclusive()
    {
        // sd 1 in both; mean 1.6 gives t = 1.6·√3 = 2.771 < 2.920, mean 1.7 gives 2.944 > 2.920.
        var below = Claims.Greater("nb", "c", "", [79.6, 81.6, 80.6], Baseline);
        Assert.Equal(Verdict.Inconclusive, below.Verdict);
        Assert.Equal(1.6, below.Mean, 10);
        Assert.Equal(1, below.Std, 10);
        Assert.Equal("ours − baseline: paired t = 2.77 (df 2) within ±2.92, one-sided 5 %", below.Test);

        Assert.Equal(Verdict.Holds, Claims.Greater("nb", "c", "", [79.7, 81.7, 80.7], Baseline).Verdict);
    }

    [Fact]
    public void ASignificantReverseContradictsAndLessIsTheMirror()
    {
        var reverse = Claims.Greater("nb", "c", "", Baseline, [80, 82, 81]);
        Assert.Equal(Verdict.Contradicted, reverse.Verdict);
        Assert.Equal(-2, reverse.Mean, 12);
        Assert.Equal("ours − baseline: paired t = -3.46 (df 2) < −2.92, one-sided 5 %", reverse.Test);

        // Less keeps Mean as ours − baseline and orients t the other way.
        var less = Claims.Less("nb", "c", "", Baseline, [80, 82, 81]);
        Assert.Equal(Verdict.Holds, less.Verdict);
        Assert.Equal(-2, less.Mean, 12);
        Assert.Equal(Verdict.Contradicted, Claims.Less("nb", "c", "", [80, 82, 81], Baseline).Verdict);
        Assert.Equal(Verdict.Inconclusive, Claims.Less("nb", "c", "", [79.6, 81.6, 80.6], Baseline).Verdict);
    }

    [Fact]
    public void WithoutSpreadTheSignDecides()
    {
        var up = Claims.Greater("nb", "c", "", [79, 80, 81], Baseline);
        Assert.Equal(Verdict.Holds, up.Verdict);
        Assert.Equal(1, up.Mean, 12);
        Assert.Equal(0, up.Std);
        Assert.Contains("no spread", up.Test);
        Assert.Equal(Verdict.Contradicted, Claims.Greater("nb", "c", "", [77, 78, 79], Baseline).Verdict);
        Assert.Equal(Verdict.Inconclusive, Claims.Greater("nb", "c", "", Baseline, Baseline).Verdict);
        Assert.Equal(Verdict.Holds, Claims.Below("nb", "c", "", [35, 35], 40).Verdict);
        Assert.Equal(Verdict.Contradicted, Claims.Above("nb", "c", "", [35, 35], 40).Verdict);
    }

    [Fact]
    public void OneSeedIsInconclusive()
    {
        var r = Claims.Greater("nb", "c", "", [90], [10], "%");
        Assert.Equal(Verdict.Inconclusive, r.Verdict);
        Assert.Equal("1 seed: no spread to judge", r.Test);
        Assert.Equal(80, r.Mean);
        Assert.True(double.IsNaN(r.Std));
        Assert.Equal(1, r.Seeds);
        Assert.Equal("Δ +80.00 %", r.Ours);
        Assert.Equal("1 seed: no spread to judge", Claims.Within("nb", "c", "", [35], 30, 40).Test);
    }

    [Fact]
    public void OneSampleBoundsAgainstTheSpread()
    {
        // [33, 35, 37]: mean 35, sd 2, se = 2/√3 = 1.1547; against 40: t = 5/1.1547 = 4.330; against 36: 0.866.
        double[] angles = [33, 35, 37];
        var below = Claims.Below("nb", "θ below 40°", "≈ 35°", angles, 40, "°");
        Assert.Equal(Verdict.Holds, below.Verdict);
        Assert.Equal(35, below.Mean, 12);
        Assert.Equal(2, below.Std, 12);
        Assert.Null(below.Baseline);
        Assert.Equal("below 40.00: t = 4.33 (df 2) > 2.92, one-sided 5 %", below.Test);
        Assert.Equal("35.00 ± 2.00 °", below.Ours);
        Assert.Equal(Verdict.Inconclusive, Claims.Below("nb", "c", "", angles, 36).Verdict);
        Assert.Equal(Verdict.Contradicted, Claims.Below("nb", "c", "", angles, 30).Verdict);

        Assert.Equal(Verdict.Holds, Claims.Above("nb", "c", "", angles, 30).Verdict);
        Assert.Equal(Verdict.Inconclusive, Claims.Above("nb", "c", "", angles, 34).Verdict);
        Assert.Equal(Verdict.Contradicted, Claims.Above("nb", "c", "", angles, 40).Verdict);
    }

    [Fact]
    public void WithinNeedsBothBounds()
    {
        double[] angles = [33, 35, 37];
        var inside = Claims.Within("nb", "θ falls to 30–40°", "30–40°", angles, 30, 40, "°");
        Assert.Equal(Verdict.Holds, inside.Verdict);
        Assert.Equal("above 30.00: t = 4.33 (df 2) > 2.92, one-sided 5 %; below 40.00: t = 4.33 (df 2) > 2.92, one-sided 5 %", inside.Test);
        // Above 34 is only t = 0.866: not enough.
        Assert.Equal(Verdict.Inconclusive, Claims.Within("nb", "c", "", angles, 34, 40).Verdict);
        Assert.Equal(Verdict.Contradicted, Claims.Within("nb", "c", "", angles, 20, 30).Verdict);
        Assert.Equal(Verdict.Contradicted, Claims.Within("nb", "c", "", angles, 40, 50).Verdict);
        Assert.Throws<ArgumentException>(() => Claims.Within("nb", "c", "", angles, 40, 30));
    }

    [Fact]
    public void EquivalenceNeedsBothOneSidedTestsWithinTheMargin()
    {
        // d = [0.2, −0.1, 0.5]: mean 0.2, sd 0.3, se 0.3/√3 = 0.17321. Margin 1: t = (0.2 + 1)/se = 6.93 and
        // (1 − 0.2)/se = 4.62, both > 2.92 → holds. Margin 0.5: (0.5 − 0.2)/se = 1.73 < 2.92 → inconclusive.
        double[] baseline = [80, 80, 80], ours = [80.2, 79.9, 80.5];
        var same = Claims.Equivalent("nb", "same accuracy", "", ours, baseline, 1, "points");
        Assert.Equal(Verdict.Holds, same.Verdict);
        Assert.Equal(0.2, same.Mean, 10);
        Assert.Equal(0.3, same.Std, 10);
        Assert.Equal(Verdict.Inconclusive, Claims.Equivalent("nb", "c", "", ours, baseline, 0.5).Verdict);
        // d = [3, 3.2, 2.8]: mean 3, se 0.11547; (3 − 1)/se = 17.3 > 2.92 beyond the margin → contradicted.
        Assert.Equal(Verdict.Contradicted, Claims.Equivalent("nb", "c", "", [83, 83.2, 82.8], baseline, 1).Verdict);
        Assert.Equal(Verdict.Contradicted, Claims.Equivalent("nb", "c", "", [77, 76.8, 77.2], baseline, 1).Verdict);
        Assert.Equal(Verdict.Inconclusive, Claims.Equivalent("nb", "c", "", [80.3], [80], 1).Verdict);
        Assert.Throws<ArgumentException>(() => Claims.Equivalent("nb", "c", "", ours, baseline, 0));
    }

    [Fact]
    public void ANonFiniteValueIsInconclusive()
    {
        var r = Claims.Above("nb", "c", "", [33, double.NaN, 37], 30);
        Assert.Equal(Verdict.Inconclusive, r.Verdict);
        Assert.True(double.IsNaN(r.Mean));
    }

    [Fact]
    public void BadInputsThrow()
    {
        Assert.Throws<ArgumentException>(() => Claims.Greater("nb", "c", "", [1, 2], [1]));
        Assert.Throws<ArgumentException>(() => Claims.Below("nb", "c", "", [], 1));
    }
}

public class SpreadTests
{
    [Fact]
    public void MeanAndSampleStdOfSeedsByHand()
    {
        // [80, 82, 81]: mean 81, squared deviations 1 + 1 + 0 over n − 1 = 2 → std 1.
        var spread = Spread.Of([80, 82, 81]);
        Assert.Equal(81, spread.Mean, 12);
        Assert.Equal(1, spread.Std, 12);
        Assert.Equal("81.00 ± 1.00", spread.ToString());
        var one = Spread.Of([93.5]);
        Assert.True(double.IsNaN(one.Std));
        Assert.Equal("93.50", one.ToString());
        Assert.Throws<ArgumentException>(() => Spread.Of([]));
    }
}
