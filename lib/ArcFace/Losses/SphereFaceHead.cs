using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ArcFace.Losses;

/// <summary>
/// The original SphereFace (A-Softmax, arXiv 1704.08063) with integer m and λ annealing: target logit
/// ‖x‖·(λ cos θ + ψ(θ))/(1 + λ) with ψ(θ) = (−1)^k cos(mθ) − 2k for θ ∈ [kπ/m, (k+1)π/m]; other logits ‖x‖·cos θ.
/// Centres are normalised, embeddings are not (the feature norm is the scale). λ = max(λmin, base/(1 + γ·iteration)),
/// counted per training forward. The paper only plots it (Fig 4b, m = 4, λ = 5); the arccos form with real m1 is
/// <see cref="Margin.SphereFace"/>.
/// </summary>
public sealed class SphereFaceHead : FaceHead
{
#pragma warning disable IDE1006 // registered under the PyTorch name
    readonly Parameter weight;
#pragma warning restore IDE1006

    /// <summary>Creates the head with centres drawn from N(0, 0.01).</summary>
    public SphereFaceHead(int classes, int embeddingSize, int m = 4, double lambdaBase = 1000, double lambdaGamma = 0.12, double lambdaMin = 5)
        : base(nameof(SphereFaceHead))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(lambdaMin);
        (Classes, EmbeddingSize, M, LambdaBase, LambdaGamma, LambdaMin) = (classes, embeddingSize, m, lambdaBase, lambdaGamma, lambdaMin);
        weight = new Parameter(CosineClassifier.InitialCentres(classes, embeddingSize));
        RegisterComponents();
    }

    public override int Classes { get; }
    public override int EmbeddingSize { get; }

    /// <summary>Integer angular margin (4 in SphereFace).</summary>
    public int M { get; }
    public double LambdaBase { get; }
    public double LambdaGamma { get; }
    public double LambdaMin { get; }

    /// <summary>Training forwards so far; drives λ.</summary>
    public long Iteration { get; set; }

    /// <summary>λ at the current <see cref="Iteration"/>.</summary>
    public double Lambda => Math.Max(LambdaMin, LambdaBase / (1 + LambdaGamma * Iteration));

    /// <summary>Class centres, C × D.</summary>
    public Parameter Weight => weight;

    /// <inheritdoc/>
    public override Parameter NormalisedCentres => weight;

    /// <summary>ψ(θ) = (−1)^k cos(mθ) − 2k, k = ⌊mθ/π⌋ (clipped to m − 1 at θ = π): monotonically decreasing on [0, π].</summary>
    public static double Psi(double thetaRadians, int m)
    {
        int k = Math.Min(m - 1, (int)Math.Floor(m * thetaRadians / Math.PI));
        return (k % 2 == 0 ? 1 : -1) * Math.Cos(m * thetaRadians) - 2 * k;
    }

    /// <summary>The unscaled target logit (λ cos θ + ψ(θ))/(1 + λ), for the paper's Fig 4b (m = 4, λ = 5).</summary>
    public static double TargetLogit(double thetaRadians, int m = 4, double lambda = 5) =>
        (lambda * Math.Cos(thetaRadians) + Psi(thetaRadians, m)) / (1 + lambda);

    public override HeadOutput forward(Tensor embeddings, Tensor labels)
    {
        var (x, y) = HeadInput.Check(nameof(SphereFaceHead), embeddings, labels, Classes, EmbeddingSize, weight.dtype);
        double lambda = Lambda;
        if (training) Iteration++;
        var norm = x.norm(1, keepdim: true);
        var cos = nn.functional.normalize(x, dim: 1).matmul(nn.functional.normalize(weight, dim: 1).t());
        var target = cos.gather(1, y.unsqueeze(1));
        var theta = Margin.Angle(target);
        var k = (theta.detach() * (M / Math.PI)).floor().clamp_max(M - 1);
        var sign = 1 - 2 * k.remainder(2);
        var psi = sign * (theta * M).cos() - 2 * k;
        var delta = (lambda * target + psi) / (1 + lambda) - target;
        var logits = cos.scatter_add(1, y.unsqueeze(1), delta) * norm;
        return new HeadOutput(nn.functional.cross_entropy(logits, y), logits, y, target.squeeze(1).detach(), (target * norm).squeeze(1).detach());
    }
}
