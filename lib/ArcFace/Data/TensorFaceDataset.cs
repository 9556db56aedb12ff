using static TorchSharp.torch;

namespace ArcFace.Data;

/// <summary>An <see cref="IFaceDataset"/> held in memory: images N × 3 × S × S in [-1, 1] on the CPU and their labels.</summary>
public sealed class TensorFaceDataset : IFaceDataset, IDisposable
{
    readonly int[] labels;

    /// <summary>Wraps <paramref name="images"/> (taken over: disposed with this set) and <paramref name="labels"/>.</summary>
    public TensorFaceDataset(Tensor images, int[] labels, int classes)
    {
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] != images.shape[3])
            throw new ArgumentException($"expected images N × 3 × S × S, got [{string.Join(", ", images.shape)}].", nameof(images));
        if (images.shape[0] != labels.Length) throw new ArgumentException($"{images.shape[0]} images but {labels.Length} labels.", nameof(labels));
        if (labels.FirstOrDefault(l => l < 0 || l >= classes, 0) is var bad && (bad < 0 || bad >= classes))
            throw new ArgumentException($"label {bad} is outside [0, {classes}).", nameof(labels));
        All = images.cpu().to(ScalarType.Float32).contiguous().DetachFromDisposeScope();
        this.labels = labels;
        Classes = classes;
    }

    /// <summary>All images, N × 3 × S × S.</summary>
    public Tensor All { get; }

    /// <inheritdoc/>
    public int Count => labels.Length;

    /// <inheritdoc/>
    public int Classes { get; }

    /// <inheritdoc/>
    public int ImageSize => (int)All.shape[2];

    /// <inheritdoc/>
    public int Label(int index) => labels[index];

    /// <inheritdoc/>
    public Tensor Images(ReadOnlySpan<int> indices)
    {
        foreach (int i in indices)
            if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"index outside [0, {Count}).");
        using var index = tensor(indices.ToArray().Select(i => (long)i).ToArray(), ScalarType.Int64);
        return All.index_select(0, index);
    }

    /// <summary>Frees the images.</summary>
    public void Dispose() => All.Dispose();
}
