using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Tests.Losses;

/// <summary>Float64 finite differences and constructed embeddings with chosen target angles.</summary>
static class LossTestKit
{
    /// <summary>
    /// Central finite differences of <paramref name="loss"/> against autograd for every element of every input.
    /// </summary>
    public static void AssertGradientsMatchFiniteDifferences(Func<Tensor> loss, Tensor[] inputs, double eps = 1e-6, double atol = 1e-6, double rtol = 1e-5)
    {
        foreach (var input in inputs) input.grad?.zero_();
        loss().backward();
        foreach (var input in inputs)
        {
            Assert.Equal(ScalarType.Float64, input.dtype);
            double[] analytic = input.grad!.data<double>().ToArray();
            using var _ = no_grad();
            var flat = input.view(-1);
            for (int i = 0; i < analytic.Length; i++)
            {
                flat[i].add_(eps);
                double plus = loss().item<double>();
                flat[i].add_(-2 * eps);
                double minus = loss().item<double>();
                flat[i].add_(eps);
                double numeric = (plus - minus) / (2 * eps);
                Assert.True(Math.Abs(analytic[i] - numeric) <= atol + rtol * Math.Abs(numeric),
                    $"element {i}: autograd {analytic[i]:R}, finite difference {numeric:R}");
            }
        }
    }

    /// <summary>
    /// Embeddings whose angle to their (normalised) class centre is exactly <paramref name="angles"/>: x = r·(cos θ·ŵ_y +
    /// sin θ·u) with u a random unit vector orthogonal to ŵ_y and r a random norm in [1, 4].
    /// </summary>
    public static Tensor WithTargetAngles(Tensor centres, long[] labels, double[] angles, Generator generator)
    {
        using var _ = no_grad();
        var w = nn.functional.normalize(centres, dim: 1).index_select(0, tensor(labels));
        var u = randn(w.shape, dtype: centres.dtype, generator: generator);
        u = nn.functional.normalize(u - (u * w).sum(1, keepdim: true) * w, dim: 1);
        var theta = tensor(angles, dtype: centres.dtype).unsqueeze(1);
        var radius = 1 + 3 * rand(labels.Length, 1, dtype: centres.dtype, generator: generator);
        return (theta.cos() * w + theta.sin() * u) * radius;
    }

    public static double[] Values(Tensor t) => t.detach().to_type(ScalarType.Float64).cpu().data<double>().ToArray();

    public static void AssertClose(Tensor expected, Tensor actual, double tol)
    {
        Assert.Equal(expected.shape, actual.shape);
        double[] e = Values(expected), a = Values(actual);
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tol, $"element {i}: expected {e[i]:R}, got {a[i]:R}");
    }
}
