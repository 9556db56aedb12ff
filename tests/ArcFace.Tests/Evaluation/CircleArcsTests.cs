using ArcFace.Evaluation;

namespace ArcFace.Tests.Evaluation;

public class CircleArcsTests
{
    // Five images per identity at centre −10, −5, 0, +5, +10 degrees.
    static (double[] Angles, int[] Labels) Arcs(params double[] centres) =>
        (centres.SelectMany(c => new[] { c - 10, c - 5, c, c + 5, c + 10 }).ToArray(),
         centres.SelectMany((_, k) => Enumerable.Repeat(k, 5)).ToArray());

    static void Near(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 9);
    }

    [Fact]
    public void ThreeArcsOf20DegreesLeave100DegreesBetweenThem()
    {
        var (angles, labels) = Arcs(0, 120, 240);
        Near([100, 100, 100], CircleArcs.Gaps(angles, labels, coverage: 1));
    }

    [Fact]
    public void CoverageDropsTheOuterImages()
    {
        // Middle 60 % of five: nearest ranks round(0.2·4) = 1 and round(0.8·4) = 3, i.e. ±5°: each arc 10° wide.
        var (angles, labels) = Arcs(0, 120, 240);
        Near([110, 110, 110], CircleArcs.Gaps(angles, labels, coverage: 0.6));
    }

    [Fact]
    public void ArcsAcrossThe180DegreeLineAndOverlapsComeOutRight()
    {
        // Identity 0 straddles ±180° (168 … 188), identity 1 sits at −173° = 187° (177 … 197), identity 2 at 0°.
        var (angles, labels) = Arcs(178, -173, 0);
        // Sorted by centre: −173, 0, 178. Gaps: [−173 → 0] −10 − (−163) = 153, [0 → 178] 168 − 10 = 158,
        // [178 → −173] −183 − 188 = −371 ≡ −11 (identity 1 starts 11° before identity 0 ends: an overlap).
        Near([153, 158, -11], CircleArcs.Gaps(angles, labels, coverage: 1));
    }

    [Fact]
    public void BadInputIsNamed()
    {
        Assert.Contains("labels", Assert.Throws<ArgumentException>(() => CircleArcs.Gaps([0, 1], [0])).Message);
        Assert.Contains("identity 1 has no images", Assert.Throws<ArgumentException>(() => CircleArcs.Gaps([0, 1], [0, 2])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => CircleArcs.Gaps([0, 1], [0, 1], coverage: 0));
    }
}
