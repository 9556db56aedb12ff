using ArcFace.Data;
using ArcFace.Losses;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ArcFace.Tests.Training;

/// <summary>Random images with labels i mod classes, held in memory; image i has every pixel of channel 0 equal to i/100 (an id the tests read back).</summary>
sealed class RandomFaces : IFaceDataset
{
    readonly Tensor images;

    public RandomFaces(int count, int classes, int size, int seed = 7)
    {
        (Count, Classes, ImageSize) = (count, classes, size);
        using var generator = new Generator((ulong)seed);
        images = rand(count, 3, size, size, generator: generator) * 2 - 1;
        images[.., 0] = (arange(count, dtype: float32) / 100).view(-1, 1, 1).expand(count, size, size);
    }

    public int Count { get; }
    public int Classes { get; }
    public int ImageSize { get; }
    public int Label(int index) => index % Classes;
    public Tensor Images(ReadOnlySpan<int> indices) => images.index_select(0, tensor(indices.ToArray().Select(i => (long)i).ToArray()));
}

/// <summary>Normalised linear + cross-entropy with scale 16 (Norm-Softmax): a minimal head for trainer tests.</summary>
class CosineHead : FaceHead
{
    readonly Parameter weight;

    public CosineHead(int classes, int embeddingSize, int seed = 3) : base(nameof(CosineHead))
    {
        (Classes, EmbeddingSize) = (classes, embeddingSize);
        using var generator = new Generator((ulong)seed);
        weight = new Parameter(randn(classes, embeddingSize, generator: generator) * 0.01f);
        RegisterComponents();
    }

    public override int Classes { get; }
    public override int EmbeddingSize { get; }

    public override HeadOutput forward(Tensor embeddings, Tensor labels)
    {
        var cos = nn.functional.normalize(embeddings).mm(nn.functional.normalize(weight).t());
        var logits = cos * 16;
        return new HeadOutput(nn.functional.cross_entropy(logits, labels), logits, labels, cos.gather(1, labels.view(-1, 1)).view(-1));
    }
}

/// <summary>A <see cref="CosineHead"/> whose loss turns NaN from a given call on.</summary>
sealed class NaNHead(int classes, int embeddingSize, int nanFromCall) : CosineHead(classes, embeddingSize)
{
    int calls;

    public override HeadOutput forward(Tensor embeddings, Tensor labels)
    {
        var output = base.forward(embeddings, labels);
        return ++calls < nanFromCall ? output : output with { Loss = output.Loss * float.NaN };
    }
}

/// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
sealed class Collect<T>(Action<T>? then = null) : IProgress<T>
{
    public List<T> Items { get; } = [];
    public void Report(T value) { Items.Add(value); then?.Invoke(value); }
}
