using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ArcFace.Losses;

/// <summary>
/// Sub-center ArcFace (v4 §3.2): K sub-centres per class, cos θ_j = max_k cos(x, W_jk), then the margin on the target.
/// W is (C·K) × D, class-major: class j owns rows jK … jK + K − 1, as in insightface's <c>subcenter_arcface</c>.
/// </summary>
public sealed class SubCenterHead : FaceHead
{
#pragma warning disable IDE1006 // registered under the PyTorch name
    readonly Parameter weight;
#pragma warning restore IDE1006

    /// <summary>Creates the head with C·K centres drawn from N(0, 0.01).</summary>
    public SubCenterHead(int classes, int embeddingSize, int k, Margin margin) : base(nameof(SubCenterHead))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        Margin = margin ?? throw new ArgumentNullException(nameof(margin));
        (Classes, EmbeddingSize, K) = (classes, embeddingSize, k);
        weight = new Parameter(CosineClassifier.InitialCentres((long)classes * k, embeddingSize));
        RegisterComponents();
    }

    public override int Classes { get; }
    public override int EmbeddingSize { get; }

    /// <summary>Sub-centres per class (3 in the paper).</summary>
    public int K { get; }

    /// <summary>The margin applied after max-pooling over sub-centres.</summary>
    public Margin Margin { get; }

    /// <summary>Sub-centres, (C·K) × D, class-major.</summary>
    public Parameter Weight => weight;

    /// <inheritdoc/>
    public override Parameter NormalisedCentres => weight;

    public override HeadOutput forward(Tensor embeddings, Tensor labels)
    {
        var (x, y) = HeadInput.Check(nameof(SubCenterHead), embeddings, labels, Classes, EmbeddingSize, weight.dtype);
        var (logits, targetCos) = CosineClassifier.Logits(x, weight, y, Margin, K);
        return new HeadOutput(nn.functional.cross_entropy(logits, y), logits, y, targetCos.detach(), Margin.PlainTargetLogit(targetCos));
    }

    /// <summary>cos θ_j = max over the K sub-centres of class j, for every class (B × C).</summary>
    public Tensor Cosines(Tensor embeddings) => CosineClassifier.Cosines(embeddings.to_type(weight.dtype), weight, K);

    /// <summary>
    /// The cleaning step "K=3↓1" (v4, <c>drop.py</c>): per class, the dominant sub-centre is the one nearest to most of
    /// its samples; samples farther than <paramref name="thresholdDegrees"/> from it are dropped.
    /// </summary>
    /// <param name="embeddings">N × D embeddings of the training set (any scale).</param>
    /// <param name="labels">N class labels in [0, C).</param>
    /// <param name="thresholdDegrees">Keep samples with angle to the dominant sub-centre below this (75° in the paper).</param>
    public SubCenterCleaning Clean(Tensor embeddings, Tensor labels, double thresholdDegrees = 75)
    {
        if (!(thresholdDegrees > 0 && thresholdDegrees <= 180))
            throw new ArgumentOutOfRangeException(nameof(thresholdDegrees), thresholdDegrees, "SubCenterHead.Clean: the threshold must be in (0°, 180°].");
        using var _ = no_grad();
        var (x, y) = HeadInput.Check(nameof(SubCenterHead) + ".Clean", embeddings, labels, Classes, EmbeddingSize, weight.dtype);
        var unit = nn.functional.normalize(x, dim: 1);
        var centres = nn.functional.normalize(weight, dim: 1).view(Classes, K, EmbeddingSize).index_select(0, y);
        var cos = (unit.unsqueeze(1) * centres).sum(2);                         // N × K: own class's sub-centres only
        long[] nearest = cos.argmax(1).data<long>().ToArray();
        long[] label = y.data<long>().ToArray();
        var votes = new int[Classes, K];
        for (int i = 0; i < label.Length; i++) votes[label[i], nearest[i]]++;
        var dominant = new int[Classes];
        for (int j = 0; j < Classes; j++)
            for (int k = 1; k < K; k++)
                if (votes[j, k] > votes[j, dominant[j]]) dominant[j] = k;
        var dominantOfSample = tensor(label.Select(l => (long)dominant[l]).ToArray(), device: x.device);
        double[] angle = cos.gather(1, dominantOfSample.unsqueeze(1)).squeeze(1).clamp(-1, 1).acos()
            .to_type(ScalarType.Float64).cpu().data<double>().ToArray().Select(a => a * 180 / Math.PI).ToArray();
        var kept = Enumerable.Range(0, label.Length).Where(i => angle[i] < thresholdDegrees).Select(i => (long)i).ToArray();
        var dropped = Enumerable.Range(0, label.Length).Where(i => angle[i] >= thresholdDegrees).Select(i => (long)i).ToArray();
        return new SubCenterCleaning(kept, dropped, dominant, angle, thresholdDegrees);
    }
}

/// <summary>What <see cref="SubCenterHead.Clean"/> decided.</summary>
/// <param name="Kept">Sample indices kept (angle to the dominant sub-centre below the threshold), ascending.</param>
/// <param name="Dropped">Sample indices dropped, ascending.</param>
/// <param name="DominantSubCenter">Per class, the sub-centre nearest to most of its samples (0 where it has none).</param>
/// <param name="AngleDegrees">Per sample, the angle to its class's dominant sub-centre.</param>
/// <param name="ThresholdDegrees">The threshold used.</param>
public sealed record SubCenterCleaning(long[] Kept, long[] Dropped, int[] DominantSubCenter, double[] AngleDegrees, double ThresholdDegrees)
{
    /// <summary>Fraction of the samples dropped.</summary>
    public double DroppedFraction => (double)Dropped.Length / (Kept.Length + Dropped.Length);
}
