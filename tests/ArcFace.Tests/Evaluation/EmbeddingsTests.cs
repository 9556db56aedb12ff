using ArcFace.Evaluation;
using static TorchSharp.torch;

namespace ArcFace.Tests.Evaluation;

public class EmbeddingsTests
{
    [Fact]
    public void FlipTestSumsImageAndMirrorBeforeNormalising()
    {
        TestRuntime.EnsureLoaded();
        manual_seed(1);
        using var images = rand(7, 3, 2, 4) * 2 - 1;
        var left = images.narrow(3, 0, 2).sum([1, 2, 3]).to(float64).data<double>().ToArray();
        var right = images.narrow(3, 2, 2).sum([1, 2, 3]).to(float64).data<double>().ToArray();
        var model = new HalvesModel();
        using var plain = Embeddings.Extract(model, new TensorDataset(images), flip: false, batchSize: 3);
        using var flipped = Embeddings.Extract(model, new TensorDataset(images), flip: true, batchSize: 3);
        var p = plain.to(float64).data<double>().ToArray();
        var f = flipped.to(float64).data<double>().ToArray();
        for (int i = 0; i < 7; i++)
        {
            double norm = Math.Sqrt(left[i] * left[i] + right[i] * right[i]);
            Assert.Equal(left[i] / norm, p[2 * i], 5);
            Assert.Equal(right[i] / norm, p[2 * i + 1], 5);
            // Mirror gives (R, L); the sum (L + R, L + R) normalises to ±(1/√2, 1/√2).
            double sign = Math.Sign(left[i] + right[i]);
            Assert.Equal(sign / Math.Sqrt(2), f[2 * i], 5);
            Assert.Equal(sign / Math.Sqrt(2), f[2 * i + 1], 5);
        }
    }

    [Fact]
    public void RunsInEvalModeAndRestoresTrainingMode()
    {
        TestRuntime.EnsureLoaded();
        var model = new HalvesModel();
        model.train();
        using var e = Embeddings.Extract(model, ones(2, 3, 2, 2));
        Assert.False(model.SawTrainingMode);
        Assert.True(model.training);
        Assert.False(e.requires_grad);
        model.eval();
        using var e2 = Embeddings.Extract(model, ones(2, 3, 2, 2));
        Assert.False(model.training);
    }
}
