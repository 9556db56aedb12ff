using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ArcFace.Losses;

/// <summary>
/// What a head computes for a batch. <see cref="Logits"/> are over the classes the head scored this step (all of them,
/// or Partial FC's sample) and <see cref="Labels"/> index into those columns.
/// </summary>
/// <param name="Loss">Scalar training loss (cross-entropy plus any regulariser).</param>
/// <param name="Logits">B × C' scaled logits fed to the cross-entropy.</param>
/// <param name="Labels">B target columns of <see cref="Logits"/>.</param>
/// <param name="TargetCos">B cosines between each embedding and its class centre (before any margin), for monitoring.</param>
/// <param name="PlainTargetLogit">B target logits without the margin (null: <see cref="Logits"/> hold none), so that
/// accuracy is measured as the classifier predicts, not against the margin-penalised target.</param>
public sealed record HeadOutput(Tensor Loss, Tensor Logits, Tensor Labels, Tensor TargetCos, Tensor? PlainTargetLogit = null)
{
    /// <summary>
    /// How many rows the classifier gets right (a 0-d tensor): the margin-free target logit is at least every other
    /// logit. A margin head's own logits would count a sample as wrong until it clears the margin too.
    /// </summary>
    public Tensor Correct()
    {
        using var scope = NewDisposeScope();
        var labels = Labels.unsqueeze(1);
        var target = (PlainTargetLogit ?? Logits.gather(1, labels).squeeze(1)).detach();
        var isTarget = zeros_like(Logits, dtype: ScalarType.Bool).scatter_(1, labels, ones_like(labels, dtype: ScalarType.Bool));
        var rivals = Logits.detach().masked_fill(isTarget, float.NegativeInfinity).max(1).values;
        return target.ge(rivals).sum().MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A classification head for face recognition: owns the class centres and turns (embeddings B × D, labels B) into a
/// loss. Every head of the paper (Softmax, Norm-Softmax, the margin family, sub-center, Partial FC) derives from it.
/// </summary>
public abstract class FaceHead(string name) : nn.Module<Tensor, Tensor, HeadOutput>(name)
{
    /// <summary>Number of identities.</summary>
    public abstract int Classes { get; }

    /// <summary>Embedding dimension.</summary>
    public abstract int EmbeddingSize { get; }

    /// <summary>
    /// The class centres where the head normalises them before use, so that their norm changes the training dynamics
    /// (the gradient on a centre scales with 1/‖W‖) but not the logits; null where the norm is part of the logits
    /// (Softmax). <see cref="RescaleCentres"/> sets that norm.
    /// </summary>
    public virtual Parameter? NormalisedCentres => null;

    /// <summary>
    /// Gives every normalised centre the norm <paramref name="norm"/>, keeping its direction. The paper's code draws
    /// centres from N(0, 0.01): a norm of 0.01·√D (0.11 at D = 128), whose 1/‖W‖ gradients blow the norms up within a
    /// few dozen steps and then freeze the centres; a unit norm avoids that on short runs. Returns false where the head
    /// has no normalised centres.
    /// </summary>
    public bool RescaleCentres(double norm)
    {
        if (NormalisedCentres is not { } centres) return false;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(norm);
        using (no_grad()) centres.copy_(nn.functional.normalize(centres, dim: 1) * norm);
        return true;
    }
}
