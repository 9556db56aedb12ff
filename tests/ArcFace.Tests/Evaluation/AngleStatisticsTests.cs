using ArcFace.Evaluation;
using static TorchSharp.torch;

namespace ArcFace.Tests.Evaluation;

public class AngleStatisticsTests
{
    static double[] Deg(double degrees) => [Math.Cos(degrees * Math.PI / 180), Math.Sin(degrees * Math.PI / 180)];

    /// <summary>
    /// Class 0: x at ±10° about the x-axis (xy-plane) → centre x, angles 10°. Class 1: x at 90° ± 20° → centre y,
    /// 20°. Class 2: (±sin 30°, 0, cos 30°) → centre z, 30°. Intra = (2·10 + 2·20 + 2·30)/6 = 20°; centres are
    /// orthogonal → Inter = 90°. W0 at 5° in the xy-plane, W1 = y, W2 = (0, sin 15°, cos 15°): W-EC = (5 + 0 + 15)/3;
    /// nearest other W: W0–W1 85°, W1–W2 75° (cos = sin 15°), W0–W2 acos(sin 5° sin 15°) = 88.7° → (85 + 75 + 75)/3.
    /// Target θ: 5, 15, 20, 20, acos(cos 30° cos 15°) = 33.2 twice → 7 bins of 25.71°: [4, 2, 0, …].
    /// Other θ: class 0 vs W1 80, 100, vs W2 87.4, 92.6; class 1 vs W0 105, 65, vs W2 75.9 twice; class 2 vs W0
    /// 60.1, 119.9, vs W1 90 twice → bins [0, 0, 4, 6, 2, 0, 0]. Feature norms vary on purpose (they must not matter).
    /// </summary>
    [Fact]
    public void KnownAngles()
    {
        TestRuntime.EnsureLoaded();
        double s30 = Math.Sin(Math.PI / 6), c30 = Math.Cos(Math.PI / 6), s15 = Math.Sin(Math.PI / 12), c15 = Math.Cos(Math.PI / 12);
        double[][] x =
        [
            [.. Deg(10), 0], [.. Deg(-10).Select(v => 3 * v), 0],
            [.. Deg(110), 0], [.. Deg(70).Select(v => 0.5 * v), 0],
            [s30, 0, c30], [-2 * s30, 0, 2 * c30],
        ];
        int[] labels = [0, 0, 1, 1, 2, 2];
        double[][] w = [[.. Deg(5), 0], [0, 1, 0], [0, s15, c15]];
        using var features = tensor(x.SelectMany(r => r).ToArray()).view(6, 3);
        using var weights = tensor(w.SelectMany(r => r).ToArray()).view(3, 3).mul(7);
        var a = AngleStatistics.Compute(features, labels, weights, bins: 7);
        Assert.Equal(20, a.Intra, 9);
        Assert.Equal(90, a.Inter, 9);
        Assert.Equal(20.0 / 3, a.WEc, 9);
        Assert.Equal((85.0 + 75 + 75) / 3, a.WInter, 9);
        Assert.Equal([4L, 2, 0, 0, 0, 0, 0], a.TargetTheta!.Counts);
        Assert.Equal([0L, 0, 4, 6, 2, 0, 0], a.OtherTheta!.Counts);
        Assert.Equal(180.0 / 7, a.TargetTheta.BinWidth, 12);

        var testSet = AngleStatistics.Compute(features, labels);
        Assert.Equal(20, testSet.Intra, 9);
        Assert.Equal(90, testSet.Inter, 9);
        Assert.True(double.IsNaN(testSet.WEc));
        Assert.Null(testSet.TargetTheta);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        TestRuntime.EnsureLoaded();
        using var features = ones(4, 3);
        Assert.Throws<ArgumentException>(() => AngleStatistics.Compute(features, [0, 1, 1]));
        Assert.Throws<ArgumentException>(() => AngleStatistics.Compute(features, [0, 1, 1, 5], ones(3, 3)));
        Assert.Throws<ArgumentException>(() => AngleStatistics.Compute(features, [0, 1, 1, 2], ones(3, 4)));
        using var nan = tensor(new[] { 1f, float.NaN, 0 }).view(1, 3);
        Assert.Throws<ArgumentException>(() => AngleStatistics.Compute(nan, [0]));
    }
}
