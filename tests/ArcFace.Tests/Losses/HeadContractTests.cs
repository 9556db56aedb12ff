using ArcFace.Losses;
using TorchSharp;
using static TorchSharp.torch;
using static ArcFace.Tests.Losses.LossTestKit;

namespace ArcFace.Tests.Losses;

public class HeadContractTests
{
    const int C = 10, D = 4;

    public static TheoryData<string> HeadNames => new() { "softmax", "margin", "subcenter", "partialfc", "sphereface", "regularized" };

    static FaceHead Create(string name) => name switch
    {
        "softmax" => new SoftmaxHead(C, D),
        "margin" => new MarginHead(C, D, Margin.ArcFace()),
        "subcenter" => new SubCenterHead(C, D, 3, Margin.ArcFace()),
        "partialfc" => new PartialFcHead(C, D, Margin.ArcFace(), 0.5, seed: 0),
        "sphereface" => new SphereFaceHead(C, D),
        _ => new RegularizedHead(new MarginHead(C, D, Margin.ArcFace()), new Regularization(Intra: 1, Inter: 1, Triplet: 1)),
    };

    [Theory]
    [MemberData(nameof(HeadNames))]
    public void BadLabelsAndShapesNameTheValueAndTheExpectedRange(string name)
    {
        TestRuntime.EnsureLoaded();
        var head = Create(name);
        var x = randn(3, D);
        var tooHigh = Assert.Throws<ArgumentException>(() => head.forward(x, tensor(new long[] { 0, C, 1 })));
        Assert.Contains($"label {C} at index 1", tooHigh.Message);
        Assert.Contains($"[0, {C})", tooHigh.Message);
        var negative = Assert.Throws<ArgumentException>(() => head.forward(x, tensor(new long[] { 0, 2, -1 })));
        Assert.Contains("label -1 at index 2", negative.Message);
        var count = Assert.Throws<ArgumentException>(() => head.forward(x, tensor(new long[] { 0, 1 })));
        Assert.Contains("labels have shape [2], expected [3]", count.Message);
        var width = Assert.Throws<ArgumentException>(() => head.forward(randn(3, D + 1), tensor(new long[] { 0, 1, 2 })));
        Assert.Contains($"embeddings have shape [3, {D + 1}], expected [B, {D}]", width.Message);
        Assert.Throws<ArgumentException>(() => head.forward(x, tensor(new[] { 0.0f, 1, 2 })));
    }

    [Theory]
    [MemberData(nameof(HeadNames))]
    public void NoNaNOrInfWhenEmbeddingsLieExactlyOnOrOppositeTheirCentre(string name)
    {
        TestRuntime.EnsureLoaded();
        torch.manual_seed(21);
        var head = Create(name);
        var centres = (Tensor)head.parameters().First(); // weight
        long k = centres.shape[0] / C;
        var y = tensor(new long[] { 1, 4, 7, 7 });
        var rows = centres.detach().index_select(0, y * k);
        var x = (rows * tensor(new float[] { 1, -1, 2, -3 }).unsqueeze(1)).requires_grad_(); // cos = ±1 with the target centre
        var output = head.forward(x, y);
        output.Loss.backward();
        foreach (var t in new[] { output.Loss, output.Logits, x.grad!, centres.grad! })
            Assert.All(Values(t), v => Assert.True(double.IsFinite(v), $"{name}: {v}"));
    }

    [Fact]
    public void Bfloat16EmbeddingsAreScoredInFloat32()
    {
        TestRuntime.EnsureLoaded();
        torch.manual_seed(22);
        var head = new MarginHead(C, D, Margin.ArcFace());
        var x = randn(5, D).to_type(bfloat16);
        var y = tensor(new long[] { 0, 1, 2, 3, 9 });
        var fromBf16 = head.forward(x, y);
        var fromFloat = head.forward(x.to_type(float32), y);
        Assert.Equal(float32, fromBf16.Logits.dtype);
        Assert.Equal(float32, fromBf16.Loss.dtype);
        AssertClose(fromFloat.Logits, fromBf16.Logits, 0);
    }

    [Fact]
    public void RegularisersMatchHandValues()
    {
        TestRuntime.EnsureLoaded();
        // Centres e0, e1, e2 (pairwise 90°); embeddings at 30° and 60° from their centres in the e0–e1 plane.
        var centres = eye(3, 3, dtype: float64) * 2;
        double r30 = Math.PI / 6, r60 = Math.PI / 3;
        var x = tensor(new[,] { { Math.Cos(r30), Math.Sin(r30), 0 }, { Math.Sin(r60), Math.Cos(r60), 0 } }, dtype: float64);
        var y = tensor(new long[] { 0, 1 });
        Assert.Equal((1.0 / 6 + 1.0 / 3) / 2, Regularizers.Intra(x, centres, y).item<double>(), 9);   // mean θ/π
        Assert.Equal(0.5, Regularizers.Inter(centres, y).item<double>(), 9);                           // 1 − (π/2)/π
        // Triplet: anchors 0 and 1 share no label → no valid triplet → 0. With labels (0, 0, 1) and a third point:
        var three = cat([x, tensor(new[,] { { 0.0, 0, 1 } }, dtype: float64)]);
        var labels = tensor(new long[] { 0, 0, 1 });
        // x0 and x1 coincide (30° from e0 is 60° from e1), x2 is 90° from both: hinge 0 + 0.35 − π/2 < 0 → 0. With margin
        // 1.7 rad anchors 0 and 1 each give 1.7 − π/2; anchor 2 has no positive and is left out of the mean.
        Assert.Equal(0.0, Regularizers.Triplet(three, labels).item<double>(), 12);
        Assert.Equal(1.7 - Math.PI / 2, Regularizers.Triplet(three, labels, 1.7).item<double>(), 5); // θ(x, x) is 1e-6, not 0 (the sin² floor)
        Assert.Equal(0.0, Regularizers.Triplet(x, y).item<double>(), 12);
    }

    [Fact]
    public void RegularizedHeadSumsWeightedTermsAndItsGradientsMatchFiniteDifferences()
    {
        TestRuntime.EnsureLoaded();
        torch.manual_seed(23);
        var inner = new MarginHead(6, 5, Margin.ArcFace() with { Scale = 16 });
        var head = new RegularizedHead(inner, new Regularization(Intra: 1, Inter: 0.1, Triplet: 0.5, TripletMargin: 0.35));
        head.to(float64);
        var y = tensor(new long[] { 0, 0, 2, 2, 5 });
        var x = WithTargetAngles(inner.Weight, [0, 0, 2, 2, 5], [0.4, 1.1, 0.7, 1.6, 0.9], new Generator(4)).requires_grad_();
        var output = head.forward(x, y);
        double expected = inner.forward(x, y).Loss.item<double>() + Regularizers.Intra(x, inner.Weight, y).item<double>()
            + 0.1 * Regularizers.Inter(inner.Weight, y).item<double>() + 0.5 * Regularizers.Triplet(x, y).item<double>();
        Assert.Equal(expected, output.Loss.item<double>(), 10);
        Assert.True(Regularizers.Triplet(x, y).item<double>() > 0); // the hinge is active, so its gradient is checked too
        AssertGradientsMatchFiniteDifferences(() => head.forward(x, y).Loss, [x, inner.Weight]);
        Assert.Equal("ArcFace (0.5), s = 16 + Intra + Inter + Triplet (0.35)", head.Label);
        Assert.Equal("Triplet (0.35)", new RegularizedHead(inner, Regularization.TripletOnly).Label);
    }
}
