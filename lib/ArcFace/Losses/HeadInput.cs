using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Losses;

/// <summary>Checks a head's inputs and brings them to the head's precision.</summary>
internal static class HeadInput
{
    /// <summary>
    /// Embeddings as the centres' dtype (fp32 even when they come in bf16/fp16) and labels as int64, after checking
    /// shapes and that every label lies in [0, <paramref name="classes"/>).
    /// </summary>
    public static (Tensor Embeddings, Tensor Labels) Check(string head, Tensor embeddings, Tensor labels, int classes, int embeddingSize, ScalarType dtype)
    {
        if (embeddings.dim() != 2 || embeddings.shape[1] != embeddingSize)
            throw new ArgumentException($"{head}: embeddings have shape [{string.Join(", ", embeddings.shape)}], expected [B, {embeddingSize}].", nameof(embeddings));
        if (!embeddings.is_floating_point())
            throw new ArgumentException($"{head}: embeddings have dtype {embeddings.dtype}, expected a floating-point type.", nameof(embeddings));
        long batch = embeddings.shape[0];
        if (batch == 0) throw new ArgumentException($"{head}: the batch is empty, expected B ≥ 1.", nameof(embeddings));
        if (labels.dim() != 1 || labels.shape[0] != batch)
            throw new ArgumentException($"{head}: labels have shape [{string.Join(", ", labels.shape)}], expected [{batch}] (one per embedding).", nameof(labels));
        if (labels.is_floating_point() || labels.dtype == ScalarType.Bool)
            throw new ArgumentException($"{head}: labels have dtype {labels.dtype}, expected an integer type.", nameof(labels));
        labels = labels.to_type(ScalarType.Int64);
        long low = labels.min().item<long>(), high = labels.max().item<long>();
        if (low < 0 || high >= classes)
        {
            long bad = low < 0 ? low : high;
            long at = labels.eq(bad).nonzero()[0, 0].item<long>();
            throw new ArgumentException($"{head}: label {bad} at index {at} is outside [0, {classes}).", nameof(labels));
        }
        return (embeddings.dtype == dtype ? embeddings : embeddings.to_type(dtype), labels);
    }
}
