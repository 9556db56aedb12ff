using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ArcFace.Losses;

/// <summary>The paper's Softmax baseline (L1): a fully connected layer with bias, then plain cross-entropy.</summary>
public sealed class SoftmaxHead : FaceHead
{
#pragma warning disable IDE1006 // registered under the PyTorch names
    readonly Parameter weight;
    readonly Parameter bias;
#pragma warning restore IDE1006

    /// <summary>Creates the head with W drawn from N(0, 0.01) and b = 0.</summary>
    public SoftmaxHead(int classes, int embeddingSize) : base(nameof(SoftmaxHead))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingSize, 1);
        Classes = classes;
        EmbeddingSize = embeddingSize;
        weight = new Parameter(CosineClassifier.InitialCentres(classes, embeddingSize));
        bias = new Parameter(zeros(classes));
        RegisterComponents();
    }

    public override int Classes { get; }
    public override int EmbeddingSize { get; }

    /// <summary>Class weights, C × D.</summary>
    public Parameter Weight => weight;

    /// <summary>Class biases, C.</summary>
    public Parameter Bias => bias;

    public override HeadOutput forward(Tensor embeddings, Tensor labels)
    {
        var (x, y) = HeadInput.Check(nameof(SoftmaxHead), embeddings, labels, Classes, EmbeddingSize, weight.dtype);
        var logits = nn.functional.linear(x, weight, bias);
        var targetCos = nn.functional.cosine_similarity(x, weight.index_select(0, y), dim: 1).detach();
        return new HeadOutput(nn.functional.cross_entropy(logits, y), logits, y, targetCos);
    }
}
