using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using ArcFace.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Training;

/// <summary>
/// Batches over an <see cref="IFaceDataset"/> in a repeatable order: epoch e is shuffled by
/// <c>randperm(Count)</c> from a generator seeded with <c>seed + e</c> (as arcface_torch's DistributedSampler), the
/// last incomplete batch is dropped, and each image is flipped horizontally with probability ½ from a second seeded
/// generator. Order and flips depend only on (seed, epoch), so a run resumed at batch k sees what an uninterrupted
/// run sees. Batches are read on a background thread, <see cref="Prefetch"/> ahead.
/// </summary>
public sealed class FaceLoader
{
    /// <summary>The dataset read.</summary>
    public IFaceDataset Dataset { get; }

    /// <summary>Images per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Seed of the shuffle and the flips.</summary>
    public long Seed { get; }

    /// <summary>Whether images are flipped at random.</summary>
    public bool Flip { get; }

    /// <summary>Batches read ahead on a background thread (0: read on the caller's thread).</summary>
    public int Prefetch { get; }

    /// <summary>Full batches per epoch (the remainder is dropped).</summary>
    public int BatchesPerEpoch => Dataset.Count / BatchSize;

    public FaceLoader(IFaceDataset dataset, int batchSize, long seed, bool flip = true, int prefetch = 2)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize < 1 || batchSize > dataset.Count)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"The batch size must be from 1 to the dataset's {dataset.Count} images.");
        if (prefetch < 0) throw new ArgumentOutOfRangeException(nameof(prefetch), prefetch, "Prefetch must be 0 or more.");
        (Dataset, BatchSize, Seed, Flip, Prefetch) = (dataset, batchSize, seed, flip, prefetch);
    }

    /// <summary>The image order of <paramref name="epoch"/> (0-based).</summary>
    public int[] Order(int epoch)
    {
        using var generator = new Generator(unchecked((ulong)(Seed + epoch)));
        using var perm = randperm(Dataset.Count, generator: generator, dtype: int32);
        return perm.data<int>().ToArray();
    }

    /// <summary>Which positions of <paramref name="epoch"/>'s order are flipped.</summary>
    public bool[] Flips(int epoch)
    {
        if (!Flip) return new bool[Dataset.Count];
        // A generator of its own, so flips do not shift the shuffle (and vice versa).
        using var generator = new Generator(unchecked((ulong)(Seed + epoch) ^ 0x9E3779B97F4A7C15UL));
        using var draws = rand(Dataset.Count, generator: generator);
        return draws.data<float>().ToArray().Select(u => u < 0.5f).ToArray();
    }

    /// <summary>
    /// The batches of <paramref name="epoch"/> from batch <paramref name="startBatch"/> on. The caller owns (and
    /// disposes) each batch; leaving the loop early stops the reader and frees what it read ahead.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch, int startBatch = 0, CancellationToken ct = default)
    {
        if (startBatch < 0 || startBatch > BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(startBatch), startBatch, $"The start batch must be from 0 to {BatchesPerEpoch}.");
        var order = Order(epoch);
        var flips = Flips(epoch);
        if (Prefetch == 0)
        {
            for (int b = startBatch; b < BatchesPerEpoch; b++)
            {
                ct.ThrowIfCancellationRequested();
                yield return Read(order, flips, b);
            }
            yield break;
        }

        using var queue = new BlockingCollection<Batch>(Prefetch);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Exception? failure = null;
        var reader = Task.Factory.StartNew(() =>
        {
            try
            {
                for (int b = startBatch; b < BatchesPerEpoch && !stop.IsCancellationRequested; b++)
                {
                    var batch = Read(order, flips, b);
                    try { queue.Add(batch, stop.Token); }
                    catch (OperationCanceledException) { batch.Dispose(); break; }
                }
            }
            catch (Exception e) { failure = e; }
            finally { queue.CompleteAdding(); }
        }, TaskCreationOptions.LongRunning);
        try
        {
            foreach (var batch in queue.GetConsumingEnumerable(ct)) yield return batch;
            if (failure is not null) ExceptionDispatchInfo.Throw(failure);
        }
        finally
        {
            stop.Cancel();
            reader.Wait();
            while (queue.TryTake(out var left)) left.Dispose();
        }
    }

    Batch Read(int[] order, bool[] flips, int b)
    {
        var indices = order.AsSpan(b * BatchSize, BatchSize);
        var labels = new long[BatchSize];
        for (int i = 0; i < BatchSize; i++) labels[i] = Dataset.Label(indices[i]);
        using var scope = NewDisposeScope();
        var images = Dataset.Images(indices);
        if (images.shape is not [var n, 3, var h, var w] || n != BatchSize || h != Dataset.ImageSize || w != Dataset.ImageSize)
            throw new InvalidDataException($"The dataset returned images of shape [{string.Join(", ", images.shape)}]; expected [{BatchSize}, 3, {Dataset.ImageSize}, {Dataset.ImageSize}].");
        var flip = flips.AsSpan(b * BatchSize, BatchSize).ToArray();
        if (flip.Contains(true)) images = where(tensor(flip).view(-1, 1, 1, 1), images.flip(3), images);
        return new Batch(images.DetachFromDisposeScope(), tensor(labels).DetachFromDisposeScope());
    }
}
