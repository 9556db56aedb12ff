using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ArcFace.Losses;

/// <summary>
/// The paper's margin heads (Norm-Softmax, SphereFace, CosFace, ArcFace, CM1/CM2): normalised embeddings against
/// normalised class centres W (C × D), logits s·cos θ_j for j ≠ y and s·f(θ_y) for the target, then cross-entropy.
/// </summary>
public sealed class MarginHead : FaceHead
{
#pragma warning disable IDE1006 // registered under the PyTorch name
    readonly Parameter weight;
#pragma warning restore IDE1006

    /// <summary>Creates the head with centres drawn from N(0, 0.01).</summary>
    public MarginHead(int classes, int embeddingSize, Margin margin) : base(nameof(MarginHead))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingSize, 1);
        Margin = margin ?? throw new ArgumentNullException(nameof(margin));
        Classes = classes;
        EmbeddingSize = embeddingSize;
        weight = new Parameter(CosineClassifier.InitialCentres(classes, embeddingSize));
        RegisterComponents();
    }

    public override int Classes { get; }
    public override int EmbeddingSize { get; }

    /// <summary>The margin this head applies.</summary>
    public Margin Margin { get; }

    /// <summary>Class centres, C × D (not normalised; the head normalises them on use).</summary>
    public Parameter Weight => weight;

    /// <inheritdoc/>
    public override Parameter NormalisedCentres => weight;

    public override HeadOutput forward(Tensor embeddings, Tensor labels)
    {
        var (x, y) = HeadInput.Check(nameof(MarginHead), embeddings, labels, Classes, EmbeddingSize, weight.dtype);
        var (logits, targetCos) = CosineClassifier.Logits(x, weight, y, Margin);
        return new HeadOutput(nn.functional.cross_entropy(logits, y), logits, y, targetCos.detach(), Margin.PlainTargetLogit(targetCos));
    }

    /// <summary>cos θ between each embedding and every class centre (B × C), for monitoring.</summary>
    public Tensor Cosines(Tensor embeddings) => CosineClassifier.Cosines(embeddings.to_type(weight.dtype), weight);
}
