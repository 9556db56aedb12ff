using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ArcFace.Losses;

/// <summary>
/// Partial FC (arcface_torch <c>partial_fc_v2</c>): in training, each step scores only the centres of every class
/// present in the batch plus random negatives up to ⌊rate·C⌋ classes, so only those rows get a gradient. Logits and
/// <see cref="HeadOutput.Labels"/> are over the sampled columns (labels remapped); in eval mode it scores all classes.
/// </summary>
public sealed class PartialFcHead : FaceHead
{
#pragma warning disable IDE1006 // registered under the PyTorch name
    readonly Parameter weight;
#pragma warning restore IDE1006
    Generator generator;

    /// <summary>Creates the head with centres from N(0, 0.01); <paramref name="seed"/> drives the negative sampling.</summary>
    public PartialFcHead(int classes, int embeddingSize, Margin margin, double sampleRate, long seed) : base(nameof(PartialFcHead))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingSize, 1);
        if (!(sampleRate > 0 && sampleRate <= 1))
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "PartialFcHead: sampleRate must be in (0, 1].");
        Margin = margin ?? throw new ArgumentNullException(nameof(margin));
        (Classes, EmbeddingSize, SampleRate) = (classes, embeddingSize, sampleRate);
        weight = new Parameter(CosineClassifier.InitialCentres(classes, embeddingSize));
        generator = new Generator((ulong)seed);
        RegisterComponents();
    }

    public override int Classes { get; }
    public override int EmbeddingSize { get; }

    /// <summary>The margin applied to the sampled logits.</summary>
    public Margin Margin { get; }

    /// <summary>Fraction of the classes scored per training step (positives always included).</summary>
    public double SampleRate { get; }

    /// <summary>Class centres, C × D.</summary>
    public Parameter Weight => weight;

    /// <inheritdoc/>
    public override Parameter NormalisedCentres => weight;

    /// <summary>Classes scored per step: ⌊rate·C⌋, or more when the batch holds more distinct classes.</summary>
    public int SampleCount => (int)(SampleRate * Classes);

    /// <summary>Restarts the negative sampling from <paramref name="seed"/>: the next steps draw the same samples again.</summary>
    public void Reseed(long seed)
    {
        generator.Dispose();
        generator = new Generator((ulong)seed);
    }

    public override HeadOutput forward(Tensor embeddings, Tensor labels)
    {
        var (x, y) = HeadInput.Check(nameof(PartialFcHead), embeddings, labels, Classes, EmbeddingSize, weight.dtype);
        var (index, remapped) = training ? Sample(y) : (null, y);
        var centres = index is null ? (Tensor)weight : weight.index_select(0, index);
        var (logits, targetCos) = CosineClassifier.Logits(x, centres, remapped, Margin);
        return new HeadOutput(nn.functional.cross_entropy(logits, remapped), logits, remapped, targetCos.detach(), Margin.PlainTargetLogit(targetCos));
    }

    /// <summary>
    /// The sorted class indices scored this step (all positives, then the highest random keys among the rest, as
    /// partial_fc_v2 does) and the labels remapped into them.
    /// </summary>
    public (Tensor Index, Tensor Labels) Sample(Tensor labels)
    {
        using var _ = no_grad();
        var positives = labels.unique().output;
        long count = Math.Max(SampleCount, positives.shape[0]);
        if (count >= Classes) return (arange(Classes, dtype: ScalarType.Int64, device: labels.device), labels);
        var keys = rand(Classes, generator: generator).to(labels.device);
        keys.index_fill_(0, positives, 2.0);
        var index = keys.topk((int)count).indexes.sort().Values;
        return (index, searchsorted(index, labels));
    }
}
