using ArcFace.Losses;
using TorchSharp;
using static TorchSharp.torch;
using static ArcFace.Tests.Losses.LossTestKit;

namespace ArcFace.Tests.Losses;

public class HeadTests
{
    const int C = 6, D = 5;
    static readonly long[] Labels = [0, 3, 3, 5];
    // Target angles away from every switch point (π − m2, 90°, kπ/4 for the original SphereFace).
    static readonly double[] Angles = [0.5, 1.0, 2.0, 2.9];

    static T Float64<T>(T head) where T : FaceHead { head.to(float64); return head; }

    static Tensor Embeddings(Tensor centres, double[]? angles = null, int seed = 1) =>
        WithTargetAngles(centres, Labels, angles ?? Angles, new Generator((ulong)seed)).requires_grad_();

    static void CheckHead(FaceHead head, Tensor centres, params Tensor[] extra)
    {
        var x = Embeddings(centres);
        var y = tensor(Labels);
        AssertGradientsMatchFiniteDifferences(() => head.forward(x, y).Loss, [x, centres, .. extra], atol: 1e-6, rtol: 1e-5);
    }

    public static TheoryData<string, MarginBoundary> MarginCases()
    {
        var data = new TheoryData<string, MarginBoundary>();
        foreach (var name in new[] { "ns", "sphere", "cos", "arc", "cm1", "cm2" })
            foreach (var boundary in Enum.GetValues<MarginBoundary>()) data.Add(name, boundary);
        return data;
    }

    static Margin Named(string name) => name switch
    {
        "ns" => Margin.NormSoftmax(), "sphere" => Margin.SphereFace(), "cos" => Margin.CosFace(),
        "arc" => Margin.ArcFace(), "cm1" => Margin.CM1, _ => Margin.CM2,
    };

    [Theory]
    [MemberData(nameof(MarginCases))]
    public void MarginHeadExactGradientsMatchFiniteDifferences(string name, MarginBoundary boundary)
    {
        TestRuntime.EnsureLoaded();
        torch.manual_seed(3);
        var head = Float64(new MarginHead(C, D, Named(name) with { Boundary = boundary, Scale = 16 }));
        CheckHead(head, head.Weight);
    }

    [Fact]
    public void MarginHeadLogitsAreScaledCosinesWithTheMarginOnTheTargetOnly()
    {
        TestRuntime.EnsureLoaded();
        torch.manual_seed(4);
        var head = Float64(new MarginHead(C, D, Margin.CM2));
        var x = Embeddings(head.Weight);
        var output = head.forward(x, tensor(Labels));
        var expected = head.Cosines(x).detach() * 64;
        for (int i = 0; i < Labels.Length; i++)
            expected[i, Labels[i]] = tensor(64 * (Math.Cos(0.9 * Angles[i] + 0.4) - 0.15), dtype: float64);
        AssertClose(expected, output.Logits, 1e-9);
        AssertClose(tensor(Angles.Select(Math.Cos).ToArray(), dtype: float64), output.TargetCos, 1e-12);
        AssertClose(nn.functional.cross_entropy(expected, tensor(Labels)), output.Loss, 1e-9);
    }

    [Fact]
    public void CombinedEqualsArcFaceAndCosFaceAndZeroMarginEqualsNormSoftmax()
    {
        TestRuntime.EnsureLoaded();
        torch.manual_seed(5);
        var reference = Float64(new MarginHead(C, D, Margin.NormSoftmax()));
        var x = Embeddings(reference.Weight);
        var y = tensor(Labels);
        Tensor Logits(Margin margin)
        {
            var head = Float64(new MarginHead(C, D, margin));
            using (no_grad()) head.Weight.copy_(reference.Weight);
            return head.forward(x, y).Logits;
        }
        AssertClose(Logits(Margin.ArcFace(0.5)), Logits(Margin.Combined(1, 0.5, 0)), 1e-12);
        AssertClose(Logits(Margin.CosFace(0.35)), Logits(Margin.Combined(1, 0, 0.35)), 1e-12);
        AssertClose(Logits(Margin.NormSoftmax()), Logits(Margin.ArcFace(0)), 1e-12);
        AssertClose(reference.Cosines(x) * 64, Logits(Margin.NormSoftmax()), 1e-12);
        // The margins differ where they should: CosFace lowers the target logit by s·m3 exactly.
        var delta = Logits(Margin.NormSoftmax()) - Logits(Margin.CosFace(0.35));
        for (int i = 0; i < Labels.Length; i++) Assert.Equal(64 * 0.35, delta[i, Labels[i]].item<double>(), 9);
    }

    [Fact]
    public void StraightThroughGradientIsTheDocumentedSurrogate()
    {
        TestRuntime.EnsureLoaded();
        torch.manual_seed(6);
        var head = Float64(new MarginHead(C, D, Margin.ArcFace() with { Gradient = GradientMode.StraightThrough, Scale = 16 }));
        var x = Embeddings(head.Weight);
        var y = tensor(Labels);
        var output = head.forward(x, y);
        output.Loss.backward();
        var (gx, gw) = (x.grad!.clone(), head.Weight.grad!.clone());
        // ∂L/∂c_j = s·(p_j − 1[j = y])/B with p from the head's own (margin) logits, chained through c = cos θ.
        var p = output.Logits.detach().softmax(1);
        var surrogate = 16 * (p - nn.functional.one_hot(y, C).to_type(float64)) / Labels.Length;
        x.grad!.zero_();
        head.Weight.grad!.zero_();
        (head.Cosines(x) * surrogate).sum().backward();
        AssertClose(x.grad!, gx, 1e-12);
        AssertClose(head.Weight.grad!, gw, 1e-12);
        // ... and it is not the exact gradient.
        var exact = Float64(new MarginHead(C, D, Margin.ArcFace() with { Scale = 16 }));
        using (no_grad()) exact.Weight.copy_(head.Weight);
        x.grad!.zero_();
        exact.forward(x, y).Loss.backward();
        Assert.True((x.grad! - gx).abs().max().item<double>() > 1e-3);
    }

    [Fact]
    public void SoftmaxHeadGradientsMatchFiniteDifferences()
    {
        TestRuntime.EnsureLoaded();
        torch.manual_seed(7);
        var head = Float64(new SoftmaxHead(C, D));
        using (no_grad()) head.Bias.normal_(0, 0.1);
        CheckHead(head, head.Weight, head.Bias);
        var x = Embeddings(head.Weight);
        var output = head.forward(x, tensor(Labels));
        AssertClose(nn.functional.linear(x, head.Weight, head.Bias), output.Logits, 1e-12);
        AssertClose(tensor(Angles.Select(Math.Cos).ToArray(), dtype: float64), output.TargetCos, 1e-12);
    }

    [Fact]
    public void OriginalSphereFaceHeadMatchesPsiAndFiniteDifferences()
    {
        TestRuntime.EnsureLoaded();
        torch.manual_seed(8);
        var head = Float64(new SphereFaceHead(C, D, m: 4));
        head.Iteration = 100_000; // λ = 5
        Assert.Equal(5.0, head.Lambda);
        head.eval();
        CheckHead(head, head.Weight);
        var x = Embeddings(head.Weight);
        var logits = head.forward(x, tensor(Labels)).Logits;
        double[] norms = Values(x.norm(1));
        for (int i = 0; i < Labels.Length; i++)
            Assert.Equal(norms[i] * SphereFaceHead.TargetLogit(Angles[i], 4, 5), logits[i, Labels[i]].item<double>(), 9);
        head.train();
        head.Iteration = 1000;
        head.forward(x, tensor(Labels));
        Assert.Equal(1001, head.Iteration);
        Assert.Equal(1000 / (1 + 0.12 * 1001), head.Lambda, 12);
    }

    [Fact]
    public void SubCenterHeadGradientsMatchFiniteDifferences()
    {
        TestRuntime.EnsureLoaded();
        torch.manual_seed(9);
        var head = Float64(new SubCenterHead(C, D, 3, Margin.ArcFace() with { Scale = 16 }));
        var x = WithTargetAngles(head.Weight.view(C, 3, D).select(1, 0), Labels, Angles, new Generator(2)).requires_grad_();
        var y = tensor(Labels);
        AssertGradientsMatchFiniteDifferences(() => head.forward(x, y).Loss, [x, head.Weight]);
        // cos θ_j is the max over the class's sub-centres.
        var perSub = nn.functional.normalize(x, dim: 1).matmul(nn.functional.normalize(head.Weight, dim: 1).t()).view(4, C, 3).max(2).values;
        AssertClose(perSub, head.Cosines(x), 1e-12);
    }

    [Fact]
    public void SubCenterWithOneSubCentreEqualsArcFace()
    {
        TestRuntime.EnsureLoaded();
        torch.manual_seed(10);
        var arc = Float64(new MarginHead(C, D, Margin.ArcFace()));
        var sub = Float64(new SubCenterHead(C, D, 1, Margin.ArcFace()));
        using (no_grad()) sub.Weight.copy_(arc.Weight);
        var x = Embeddings(arc.Weight);
        var y = tensor(Labels);
        var (a, s) = (arc.forward(x, y), sub.forward(x, y));
        AssertClose(a.Logits, s.Logits, 1e-12);
        AssertClose(a.Loss, s.Loss, 1e-12);
        a.Loss.backward();
        s.Loss.backward();
        AssertClose(arc.Weight.grad!, sub.Weight.grad!, 1e-12);
    }

    [Fact]
    public void CleaningDropsSamplesFartherThanSeventyFiveDegreesFromTheDominantSubCentre()
    {
        TestRuntime.EnsureLoaded();
        const int dim = 8;
        var head = Float64(new SubCenterHead(2, dim, 3, Margin.ArcFace()));
        using (no_grad()) head.Weight.copy_(eye(6, dim, dtype: float64) * 3); // class 0: e0 e1 e2, class 1: e3 e4 e5
        Tensor Towards(int centre, double degrees) // unit vector at an angle from e_centre, rotated towards e7
        {
            var v = zeros(dim, dtype: float64);
            v[centre] = tensor(Math.Cos(degrees * Math.PI / 180), dtype: float64);
            v[7] = tensor(Math.Sin(degrees * Math.PI / 180), dtype: float64);
            return v;
        }
        var x = stack([Towards(0, 10), Towards(0, 20), Towards(1, 0), Towards(0, 80), // class 0: e0 holds 3 of 4
                       Towards(4, 30), Towards(4, 74), Towards(4, 76), Towards(3, 5)]) * 2; // class 1: e4 holds 3 of 4
        var labels = tensor(new long[] { 0, 0, 0, 0, 1, 1, 1, 1 });
        var report = head.Clean(x, labels);
        Assert.Equal([0, 1], report.DominantSubCenter);
        Assert.Equal([0L, 1, 4, 5], report.Kept);
        Assert.Equal([2L, 3, 6, 7], report.Dropped); // e1 and e3 are 90° away; 80° and 76° exceed 75°
        Assert.Equal(74, report.AngleDegrees[5], 9);
        Assert.Equal(0.5, report.DroppedFraction);
        Assert.Equal([0L, 1, 3, 4, 5, 6], head.Clean(x, labels, thresholdDegrees: 85).Kept); // 80° and 76° now kept
    }

    [Fact]
    public void PartialFcAtRateOneEqualsTheFullHead()
    {
        TestRuntime.EnsureLoaded();
        torch.manual_seed(11);
        var full = Float64(new MarginHead(C, D, Margin.ArcFace()));
        var partial = Float64(new PartialFcHead(C, D, Margin.ArcFace(), sampleRate: 1, seed: 0));
        using (no_grad()) partial.Weight.copy_(full.Weight);
        var x = Embeddings(full.Weight);
        var y = tensor(Labels);
        var (f, p) = (full.forward(x, y), partial.forward(x, y));
        AssertClose(f.Logits, p.Logits, 1e-12);
        AssertClose(y, p.Labels, 0);
        f.Loss.backward();
        p.Loss.backward();
        AssertClose(full.Weight.grad!, partial.Weight.grad!, 1e-12);
    }

    [Fact]
    public void PartialFcKeepsEveryPositiveAndTheExpectedCountAndUpdatesOnlySampledRows()
    {
        TestRuntime.EnsureLoaded();
        torch.manual_seed(12);
        const int classes = 50;
        var head = Float64(new PartialFcHead(classes, D, Margin.ArcFace() with { Scale = 16 }, sampleRate: 0.2, seed: 7));
        Assert.Equal(10, head.SampleCount);
        long[] labels = [3, 3, 17, 42, 8, 49];
        var y = tensor(labels);
        var (index, remapped) = head.Sample(y);
        long[] kept = index.data<long>().ToArray();
        Assert.Equal(10, kept.Length);
        Assert.Equal(kept.Order().Distinct(), kept);
        Assert.All(labels, l => Assert.Contains(l, kept));
        Assert.Equal(labels, remapped.data<long>().ToArray().Select(r => kept[r]));
        Assert.NotEqual(kept, head.Sample(y).Index.data<long>().ToArray()); // fresh negatives each step

        long[] many = Enumerable.Range(0, 14).Select(i => (long)(3 * i)).ToArray(); // more positives than ⌊0.2·50⌋
        Assert.Equal(14, head.Sample(tensor(many)).Index.shape[0]);

        var x = WithTargetAngles(head.Weight, labels, [0.5, 1.0, 1.5, 2.0, 2.5, 0.7], new Generator(3)).requires_grad_();
        var output = head.forward(x, y);
        Assert.Equal([labels.Length, 10L], output.Logits.shape);
        output.Loss.backward();
        var rowHasGradient = head.Weight.grad!.abs().sum(1).gt(0).data<bool>().ToArray();
        Assert.Equal(10, rowHasGradient.Count(g => g));
        Assert.All(labels, l => Assert.True(rowHasGradient[l]));
        head.eval();
        Assert.Equal([labels.Length, (long)classes], head.forward(x, y).Logits.shape);
    }

    [Fact]
    public void PartialFcGradientsMatchFiniteDifferencesForAFixedSample()
    {
        TestRuntime.EnsureLoaded();
        torch.manual_seed(13);
        var head = Float64(new PartialFcHead(C, D, Margin.ArcFace() with { Scale = 16 }, sampleRate: 0.5, seed: 1));
        var x = Embeddings(head.Weight);
        var y = tensor(new long[] { 0, 3, 3, 3 }); // two positives, so one random negative joins them
        Tensor Loss()
        {
            head.Reseed(1); // the same sample on every evaluation: the loss is then a function of (x, W)
            return head.forward(x, y).Loss;
        }
        AssertGradientsMatchFiniteDifferences(Loss, [x, head.Weight]);
    }
}

public class HeadAccuracyTests
{
    [Fact]
    public void CorrectCountsTheMarginFreePredictionNotTheMarginPenalisedLogit()
    {
        TestRuntime.EnsureLoaded();
        // Two classes 60° apart; embeddings at 20° from their own centre (40° from the other): the plain classifier is
        // right for both, while cos(20° + 28.6°) = 0.662 < cos 40° = 0.766 puts the ArcFace target logit below its rival.
        var head = new MarginHead(2, 2, Margin.ArcFace(0.5)).to(float64);
        using (no_grad()) head.Weight.copy_(tensor(new double[] { 1, 0, Math.Cos(Math.PI / 3), Math.Sin(Math.PI / 3) }, 2, 2));
        double a = 20 * Math.PI / 180, b = 40 * Math.PI / 180;
        var x = tensor(new double[] { Math.Cos(a), Math.Sin(a), Math.Cos(b), Math.Sin(b) }, 2, 2);
        var output = head.forward(x, tensor(new long[] { 0, 1 }));
        Assert.Equal(0L, output.Logits.argmax(1).eq(output.Labels).sum().item<long>());
        Assert.Equal(2L, output.Correct().item<long>());
        // One embedding moved past the midpoint (35° from class 0, 25° from class 1) is wrong for both counts.
        double c = 35 * Math.PI / 180;
        var wrong = head.forward(tensor(new double[] { Math.Cos(c), Math.Sin(c) }, 1, 2), tensor(new long[] { 0 }));
        Assert.Equal(0L, wrong.Correct().item<long>());
    }

    [Fact]
    public void CorrectOnASoftmaxHeadIsTheArgmaxOfItsLogits()
    {
        TestRuntime.EnsureLoaded();
        torch.manual_seed(5);
        var head = new SoftmaxHead(7, 4);
        var x = randn(32, 4);
        var y = randint(7, 32);
        var output = head.forward(x, y);
        Assert.Equal(output.Logits.argmax(1).eq(y).sum().item<long>(), output.Correct().item<long>());
    }
}

public class CentreNormTests
{
    [Fact]
    public void RescaleCentresSetsTheNormKeepsTheDirectionAndLeavesTheLogitsAlone()
    {
        TestRuntime.EnsureLoaded();
        torch.manual_seed(8);
        var head = new MarginHead(5, 16, Margin.ArcFace(0.5)).to(float64);
        // N(0, 0.01) in 16 dimensions: norms near 0.01·√16 = 0.04.
        Assert.InRange(head.Weight.norm(1).mean().item<double>(), 0.02, 0.06);
        var before = nn.functional.normalize(head.Weight.detach(), dim: 1).clone();
        var x = randn(4, 16, dtype: float64);
        var y = tensor(new long[] { 0, 1, 2, 4 });
        var logitsBefore = head.forward(x, y).Logits.detach().clone();
        Assert.True(head.RescaleCentres(1));
        Assert.All(head.Weight.norm(1).data<double>().ToArray(), n => Assert.Equal(1, n, 12));
        Assert.True(allclose(before, head.Weight.detach(), 1e-12, 1e-12));
        Assert.True(allclose(logitsBefore, head.forward(x, y).Logits.detach(), 1e-9, 1e-9));
        var wrapped = new RegularizedHead(new MarginHead(5, 16, Margin.NormSoftmax()), Regularization.WithIntra);
        Assert.True(wrapped.RescaleCentres(2));
        Assert.All(wrapped.Inner.Weight.norm(1).data<float>().ToArray(), n => Assert.Equal(2, n, 4));
        Assert.False(new SoftmaxHead(5, 16).RescaleCentres(1));
    }
}
