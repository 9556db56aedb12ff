using ArcFace.Losses;
using TorchSharp;
using static TorchSharp.torch;
using static ArcFace.Tests.Losses.LossTestKit;

namespace ArcFace.Tests.Losses;

public class MarginTests
{
    static readonly double[] Grid = Enumerable.Range(0, 91).Select(i => i * Math.PI / 90).ToArray();

    public static TheoryData<string, double, double, double> ClosedForms => new()
    {
        // name, m1, m2, m3 of the paper's presets; the expected curve is written out in TargetLogitMatchesClosedForm
        { "Norm-Softmax", 1, 0, 0 }, { "SphereFace (1.35)", 1.35, 0, 0 }, { "CosFace (0.35)", 1, 0, 0.35 },
        { "ArcFace (0.5)", 1, 0.5, 0 }, { "CM1 (1, 0.3, 0.2)", 1, 0.3, 0.2 }, { "CM2 (0.9, 0.4, 0.15)", 0.9, 0.4, 0.15 },
    };

    static Margin Preset(string name) => name switch
    {
        "Norm-Softmax" => Margin.NormSoftmax(),
        "SphereFace (1.35)" => Margin.SphereFace(),
        "CosFace (0.35)" => Margin.CosFace(),
        "ArcFace (0.5)" => Margin.ArcFace(),
        "CM1 (1, 0.3, 0.2)" => Margin.CM1,
        _ => Margin.CM2,
    };

    [Theory]
    [MemberData(nameof(ClosedForms))]
    public void PresetsHaveThePapersValuesAndLabels(string name, double m1, double m2, double m3)
    {
        var margin = Preset(name);
        Assert.Equal((m1, m2, m3, 64.0), (margin.M1, margin.M2, margin.M3, margin.Scale));
        Assert.Equal(name, margin.Label);
        Assert.Equal(name, margin.ToString());
    }

    [Theory]
    [MemberData(nameof(ClosedForms))]
    public void TargetLogitMatchesClosedForm(string name, double m1, double m2, double m3)
    {
        TestRuntime.EnsureLoaded();
        Func<double, double> expected = name switch
        {
            "Norm-Softmax" => t => Math.Cos(t),
            "SphereFace (1.35)" => t => Math.Cos(1.35 * t),
            "CosFace (0.35)" => t => Math.Cos(t) - 0.35,
            "ArcFace (0.5)" => t => Math.Cos(t + 0.5),
            "CM1 (1, 0.3, 0.2)" => t => Math.Cos(t + 0.3) - 0.2,
            _ => t => Math.Cos(0.9 * t + 0.4) - 0.15,
        };
        var margin = Preset(name);
        Assert.Equal(margin, Margin.Combined(m1, m2, m3));
        double[] tensorPath = Values(margin.TargetLogit(tensor(Grid.Select(Math.Cos).ToArray(), dtype: float64)));
        for (int i = 0; i < Grid.Length; i++)
        {
            Assert.Equal(expected(Grid[i]), margin.TargetLogit(Grid[i]), 12);
            Assert.Equal(expected(Grid[i]), tensorPath[i], 5); // θ via atan2 with a 1e-12 floor under sin²θ: ≤ 1e-6 off at 0 and π
        }
    }

    [Fact]
    public void FallbackConstantsAndJumpAtPiMinusM()
    {
        TestRuntime.EnsureLoaded();
        var margin = Margin.ArcFace(0.5) with { Boundary = MarginBoundary.Fallback };
        Assert.Equal(-0.87758, margin.Th, 5);          // cos(π − 0.5) = −cos 0.5
        Assert.Equal(0.23971, margin.Mm, 5);           // sin(π − 0.5)·0.5 = 0.5·sin 0.5
        double edge = Math.PI - 0.5, below = edge - 1e-9, above = edge + 1e-9;
        Assert.Equal(-1.0, margin.TargetLogit(below), 6);                // cos(θ + m) → cos π
        Assert.Equal(-1.1172954, margin.TargetLogit(above), 6);          // −cos 0.5 − 0.5·sin 0.5 = −0.8775826 − 0.2397128
        double[] viaTensor = Values(margin.TargetLogit(tensor(new[] { Math.Cos(below - 1e-6), Math.Cos(above + 1e-6) }, dtype: float64)));
        Assert.Equal(-1.0, viaTensor[0], 5);
        Assert.Equal(-1.1172954, viaTensor[1], 5);
        foreach (double t in Grid)
            Assert.Equal(t > edge ? Math.Cos(t) - 0.5 * Math.Sin(0.5) : Math.Cos(t + 0.5), margin.TargetLogit(t), 12);
    }

    [Fact]
    public void EasyMarginAppliesOnlyBelowNinetyDegrees()
    {
        var margin = Margin.ArcFace() with { Boundary = MarginBoundary.EasyMargin };
        foreach (double t in Grid)
            Assert.Equal(Math.Cos(t) > 0 ? Math.Cos(t + 0.5) : Math.Cos(t), margin.TargetLogit(t), 12);
    }

    [Fact]
    public void PlainArcFaceRisesAgainPastPiMinusM()
    {
        var margin = Margin.ArcFace();
        Assert.True(margin.TargetLogit(Math.PI) > margin.TargetLogit(Math.PI - 0.5));
        Assert.Equal(Math.Cos(Math.PI + 0.5), margin.TargetLogit(Math.PI), 12);
    }

    [Fact]
    public void ValuesAndGradientsAreFiniteAtCosPlusMinusOneExactly()
    {
        TestRuntime.EnsureLoaded();
        Margin[] presets = [Margin.NormSoftmax(), Margin.SphereFace(), Margin.CosFace(), Margin.ArcFace(), Margin.CM1, Margin.CM2];
        foreach (var dtype in new[] { float32, float64 })
            foreach (var preset in presets)
                foreach (var boundary in Enum.GetValues<MarginBoundary>())
                    foreach (var mode in Enum.GetValues<GradientMode>())
                    {
                        var margin = preset with { Boundary = boundary, Gradient = mode };
                        var cos = tensor(new[] { -1.0, 1.0, 1.0000001, -1.0000001 }, dtype: dtype).requires_grad_();
                        var f = margin.TargetLogit(cos);
                        f.sum().backward();
                        Assert.All(Values(f).Concat(Values(cos.grad!)), v => Assert.True(double.IsFinite(v), $"{margin}: {v}"));
                        // At cos = 1 the value is the margin at θ = 0 (up to the floor's 1e-6 in θ).
                        Assert.Equal(margin.TargetLogit(0.0), Values(f)[1], 4);
                    }
    }

    [Fact]
    public void ExactGradientMatchesFiniteDifferencesForEveryBoundary()
    {
        TestRuntime.EnsureLoaded();
        // Angles away from the switch points (π − m2 for the fallback, 90° for easy margin), where f is smooth.
        double[] angles = [0.3, 0.9, 1.4, 1.8, 2.4, 2.8, 3.0];
        Margin[] presets = [Margin.SphereFace(), Margin.CosFace(), Margin.ArcFace(), Margin.CM1, Margin.CM2];
        foreach (var preset in presets)
            foreach (var boundary in Enum.GetValues<MarginBoundary>())
            {
                var margin = preset with { Boundary = boundary };
                var cos = tensor(angles.Select(Math.Cos).ToArray(), dtype: float64).requires_grad_();
                AssertGradientsMatchFiniteDifferences(() => margin.TargetLogit(cos).sum(), [cos], atol: 1e-7);
            }
    }

    [Fact]
    public void StraightThroughHasTheExactValueAndUnitGradient()
    {
        TestRuntime.EnsureLoaded();
        var cos = tensor(new[] { 0.9, 0.5, 0.0, -0.5 }, dtype: float64).requires_grad_();
        var exact = Margin.ArcFace().TargetLogit(cos);
        var straight = (Margin.ArcFace() with { Gradient = GradientMode.StraightThrough }).TargetLogit(cos);
        AssertClose(exact, straight, 1e-15);
        straight.sum().backward();
        Assert.All(Values(cos.grad!), g => Assert.Equal(1.0, g, 15));
    }

    [Fact]
    public void LabelsNameNonDefaultSettings()
    {
        Assert.Equal("Norm-Softmax, s = 20", Margin.NormSoftmax(20).Label);
        Assert.Equal("ArcFace (0.5), fallback, straight-through",
            (Margin.ArcFace() with { Boundary = MarginBoundary.Fallback, Gradient = GradientMode.StraightThrough }).Label);
        Assert.Equal("CosFace (0.4), easy margin", (Margin.CosFace(0.4) with { Boundary = MarginBoundary.EasyMargin }).Label);
        Assert.Equal("Combined (1.2, 0.1, 0.05)", Margin.Combined(1.2, 0.1, 0.05).Label);
    }

    [Fact]
    public void InvalidMarginsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Margin.SphereFace(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Margin.ArcFace(-0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Margin.NormSoftmax(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Margin.CosFace(double.NaN));
    }

    [Fact]
    public void DecisionBoundariesAreThePapersLines()
    {
        for (double t1 = 0.05; t1 < 1.5; t1 += 0.05)
        {
            Assert.Equal(t1, DecisionBoundary.Theta2(Margin.NormSoftmax(), t1)!.Value, 9);
            Assert.Equal(1.35 * t1, DecisionBoundary.Theta2(Margin.SphereFace(), t1)!.Value, 9);
            Assert.Equal(t1 + 0.5, DecisionBoundary.Theta2(Margin.ArcFace(), t1)!.Value, 9);
            Assert.Equal(Math.Cos(t1) - 0.35, Math.Cos(DecisionBoundary.Theta2(Margin.CosFace(), t1)!.Value), 9);
        }
        Assert.Null(DecisionBoundary.Theta2(Margin.ArcFace(), Math.PI - 0.4));
        Assert.Null(DecisionBoundary.Theta2(Margin.CosFace(), Math.PI - 0.1)); // cos θ1 − 0.35 < −1
        var arc = DecisionBoundary.Class1(Margin.ArcFace(), 181);
        Assert.Equal(Math.PI - 0.5, arc[^1].Theta1, 1); // ends where θ1 + m reaches π
        Assert.All(DecisionBoundary.Class2(Margin.ArcFace(), 181), p => Assert.Equal(p.Theta2 + 0.5, p.Theta1, 9));
    }

    [Fact]
    public void OriginalSphereFacePsiIsContinuousAndMatchesHandValues()
    {
        Assert.Equal(1.0, SphereFaceHead.Psi(0, 4), 12);
        Assert.Equal(-1.0, SphereFaceHead.Psi(Math.PI / 4, 4), 12);       // k = 1: −cos π − 2
        Assert.Equal(-1.0, SphereFaceHead.Psi(Math.PI / 4 - 1e-12, 4), 9); // k = 0: cos π
        Assert.Equal(-7.0, SphereFaceHead.Psi(Math.PI, 4), 12);           // k = 3: −cos 4π − 6
        Assert.Equal(1.0 / 6, SphereFaceHead.TargetLogit(Math.PI / 3, 4, 5), 12); // (5·½ + (½ − 2))/6
        for (double t = 0; t < Math.PI - 0.01; t += 0.01) Assert.True(SphereFaceHead.Psi(t + 0.01, 4) < SphereFaceHead.Psi(t, 4));
    }
}
