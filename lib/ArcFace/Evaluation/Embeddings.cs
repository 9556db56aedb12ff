using ArcFace.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Evaluation;

/// <summary>
/// Embedding extraction as insightface evaluates: eval mode, no gradients, batched; with the flip test the raw
/// embeddings of an image and of its horizontal mirror are summed before L2 normalisation.
/// </summary>
public static class Embeddings
{
    /// <summary>
    /// Embeds every image of <paramref name="images"/> in index order and returns N × D L2-normalised float32
    /// embeddings on the CPU. The model runs on <paramref name="device"/> (default: where its parameters are) and is
    /// put back in its previous training mode afterwards.
    /// </summary>
    public static Tensor Extract(nn.Module<Tensor, Tensor> model, IFaceDataset images, bool flip = true,
        int batchSize = 256, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        return Extract(model, images.Count, batchSize, device, flip,
            (start, count) => images.Images(Enumerable.Range(start, count).ToArray()));
    }

    /// <summary>Embeds an N × 3 × H × W image tensor in [-1, 1]; see the dataset overload.</summary>
    public static Tensor Extract(nn.Module<Tensor, Tensor> model, Tensor images, bool flip = true,
        int batchSize = 256, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[1] != 3)
            throw new ArgumentException($"Images must be N × 3 × H × W; got shape [{string.Join(", ", images.shape)}].", nameof(images));
        return Extract(model, (int)images.shape[0], batchSize, device, flip,
            (start, count) => images.narrow(0, start, count));
    }

    /// <summary>The raw (unnormalised) embedding of a batch, plus its mirror's when <paramref name="flip"/>.</summary>
    public static Tensor Raw(nn.Module<Tensor, Tensor> model, Tensor batch, bool flip)
    {
        var embedding = model.forward(batch);
        return flip ? embedding + model.forward(batch.flip(3)) : embedding;
    }

    static Tensor Extract(nn.Module<Tensor, Tensor> model, int count, int batchSize, Device? device, bool flip,
        Func<int, int, Tensor> batchAt)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Batch size must be at least 1.");
        if (count == 0) throw new ArgumentException("No images to embed.");
        device ??= model.parameters().FirstOrDefault()?.device ?? CPU;
        bool wasTraining = model.training;
        model.eval();
        var parts = new List<Tensor>();
        try
        {
            using var noGrad = no_grad();
            for (int start = 0; start < count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var batch = batchAt(start, Math.Min(batchSize, count - start)).to(device);
                var embedding = nn.functional.normalize(Raw(model, batch, flip).to(float32), p: 2, dim: 1);
                parts.Add(embedding.cpu().MoveToOuterDisposeScope());
            }
            return cat(parts, 0);
        }
        finally
        {
            foreach (var part in parts) part.Dispose();
            model.train(wasTraining);
        }
    }
}
