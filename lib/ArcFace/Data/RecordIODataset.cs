using System.Globalization;
using static TorchSharp.torch;

namespace ArcFace.Data;

/// <summary>
/// insightface's RecordIO training set (<c>train.rec</c>, <c>train.idx</c>, <c>property</c>) with MXFaceDataset's
/// semantics: when record 0 is a header (flag &gt; 0) the images are keys 1 … label[0] − 1, otherwise every index key
/// is an image (im2rec output); an array label counts by its element 0. Images are decoded with SkiaSharp, in parallel.
/// </summary>
public sealed class RecordIODataset : IFaceDataset, IDisposable
{
    readonly RecordIOReader reader;
    readonly long[] keys;
    readonly int[] labels;

    /// <summary>
    /// Opens a RecordIO set: <paramref name="path"/> is a folder holding <c>train.rec</c> and <c>train.idx</c>, or a
    /// <c>.rec</c> file with its <c>.idx</c> beside it. <paramref name="imageSize"/> defaults to the <c>property</c> file's
    /// size, else 112.
    /// </summary>
    public RecordIODataset(string path, int? imageSize = null)
    {
        string rec = Directory.Exists(path) ? System.IO.Path.Combine(path, "train.rec") : path;
        string idx = System.IO.Path.ChangeExtension(rec, ".idx");
        if (!File.Exists(rec)) throw new FileNotFoundException($"{rec}: RecordIO file not found.", rec);
        if (!File.Exists(idx)) throw new FileNotFoundException($"{idx}: the RecordIO index (.idx) is missing beside {rec}.", idx);
        reader = new RecordIOReader(rec, idx);
        try
        {
            Property = InsightFaceProperty.TryRead(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(rec))!, "property"));
            ImageSize = imageSize ?? Property?.Height ?? 112;
            if (reader.Keys.Count == 0) throw new FaceDataException(idx, null, null, "the index is empty.");
            HasHeader = reader.Contains(0) && Header(0).Flag > 0;
            if (HasHeader)
            {
                var h = Header(0);
                long end = (long)h.Labels[0];
                // Checked against the index before keys[] is allocated: label[0] = 3e9 would ask for a 24 GB array.
                if (end < 1 || end - 1 > reader.Keys.Count)
                    throw new FaceDataException(rec, 0, reader.OffsetOf(0), $"the header record's label[0] = {end} is not an image key range end in [1, {reader.Keys.Count + 1}] ({reader.Keys.Count} index keys).");
                keys = new long[end - 1];
                for (long k = 1; k < end; k++)
                    keys[k - 1] = reader.Contains(k) ? k : throw new FaceDataException(idx, k, null, $"image key {k} (of 1 … {end - 1}, from the header record) is not in the index.");
            }
            else keys = [.. reader.Keys];
            labels = new int[keys.Length];
            DataParallel.For(keys.Length, i =>
            {
                float label = Header(keys[i]).First;
                if (label < 0 || label != MathF.Floor(label) || label >= 1 << 24)
                    throw new FaceDataException(rec, keys[i], reader.OffsetOf(keys[i]), $"label {label} is not a class id (an integer in [0, 2^24)).");
                labels[i] = (int)label;
            });
            int max = labels.Length == 0 ? -1 : labels.Max();
            Classes = Property?.Classes ?? max + 1;
            if (max >= Classes)
                throw new FaceDataException(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(rec))!, "property"), null, null,
                    $"num_classes is {Classes}, but the images carry label {max}; class ids must be 0-based and contiguous.");
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>The <c>property</c> file's content, or null when there is none.</summary>
    public InsightFaceProperty? Property { get; }

    /// <summary>Whether record 0 is insightface's header record.</summary>
    public bool HasHeader { get; }

    /// <summary>The record key of image <paramref name="index"/>.</summary>
    public long Key(int index) => keys[index];

    /// <inheritdoc/>
    public int Count => keys.Length;

    /// <inheritdoc/>
    public int Classes { get; }

    /// <inheritdoc/>
    public int ImageSize { get; }

    /// <inheritdoc/>
    public int Label(int index) => labels[index];

    /// <summary>The image header of record <paramref name="key"/>.</summary>
    public IRHeader Header(long key)
    {
        const int commonLabels = 64;
        byte[] bytes = reader.ReadStart(key, IRHeader.Size + 4 * commonLabels);
        if (bytes.Length >= IRHeader.Size && BitConverter.ToUInt32(bytes) > commonLabels) bytes = reader.Read(key);
        return IRHeader.Unpack(bytes, problem => new FaceDataException(reader.Path, key, reader.OffsetOf(key), problem)).Header;
    }

    /// <inheritdoc/>
    public Tensor Images(ReadOnlySpan<int> indices)
    {
        var chosen = indices.ToArray();
        return ImageCodec.DecodeBatch(chosen.Length, ImageSize, i =>
        {
            long key = keys[chosen[i]], offset = reader.OffsetOf(key);
            var (_, image) = IRHeader.Unpack(reader.ReadAt(offset, key).Payload, problem => new FaceDataException(reader.Path, key, offset, problem));
            return (image.ToArray(), reader.Path, key, offset);
        });
    }

    /// <summary>
    /// Writes <paramref name="dataset"/> in insightface's layout to <paramref name="folder"/>: <c>train.rec</c>,
    /// <c>train.idx</c> and <c>property</c>. Record 0 is the header (flag 2, labels N+1 and N+1+C), records 1 … N the
    /// images grouped by class (PNG, or JPEG of <paramref name="jpegQuality"/>), then one record per class holding
    /// its image key range [start, end).
    /// </summary>
    public static void Write(string folder, IFaceDataset dataset, int? jpegQuality = null, int batchSize = 256)
    {
        Directory.CreateDirectory(folder);
        var order = Enumerable.Range(0, dataset.Count).OrderBy(dataset.Label).ToArray();
        int n = order.Length, classes = dataset.Classes;
        using var writer = new RecordIOWriter(System.IO.Path.Combine(folder, "train.rec"), System.IO.Path.Combine(folder, "train.idx"));
        writer.Write(IRHeader.Array([n + 1, n + 1 + classes], 0).Pack([]), 0);
        var start = new int[classes + 1];
        foreach (int i in order) start[dataset.Label(i) + 1]++;
        for (int c = 0; c < classes; c++) start[c + 1] += start[c];
        for (int b = 0; b < n; b += batchSize)
        {
            using var scope = NewDisposeScope();
            var chunk = order.AsSpan(b, Math.Min(batchSize, n - b)).ToArray();
            var images = dataset.Images(chunk);
            var encoded = new byte[chunk.Length][];
            var slices = Enumerable.Range(0, chunk.Length).Select(i => images[i]).ToArray();
            Parallel.For(0, chunk.Length, i => encoded[i] = jpegQuality is { } q ? ImageCodec.EncodeJpeg(slices[i], q) : ImageCodec.EncodePng(slices[i]));
            for (int i = 0; i < chunk.Length; i++)
            {
                long key = b + i + 1;
                writer.Write(IRHeader.Scalar(dataset.Label(chunk[i]), (ulong)key).Pack(encoded[i]), key);
            }
        }
        for (int c = 0; c < classes; c++)
        {
            long key = n + 1 + c;
            writer.Write(IRHeader.Array([start[c] + 1, start[c + 1] + 1], (ulong)key).Pack([]), key);
        }
        new InsightFaceProperty(classes, dataset.ImageSize, dataset.ImageSize).Write(System.IO.Path.Combine(folder, "property"));
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => reader.Dispose();
}

/// <summary>insightface's <c>property</c> file: <c>num_classes,height,width</c>.</summary>
public sealed record InsightFaceProperty(int Classes, int Height, int Width)
{
    /// <summary>
    /// Reads <paramref name="path"/>, or returns null when it does not exist. Sizes above <see cref="DataLimits.MaxClasses"/>
    /// or <see cref="DataLimits.MaxImageSide"/> are a <see cref="FaceDataException"/>.
    /// </summary>
    public static InsightFaceProperty? TryRead(string path)
    {
        if (!File.Exists(path)) return null;
        string text = File.ReadAllText(path).Trim();
        var parts = text.Split(',');
        if (parts.Length == 3 && parts.Select(p => int.TryParse(p.Trim(), CultureInfo.InvariantCulture, out int v) && v > 0 ? v : -1).ToArray() is [> 0 and var c, > 0 and var h, > 0 and var w])
        {
            // The image size decides the batch tensors' size and the class count the head's: check them before either exists.
            DataLimits.Check(c, DataLimits.MaxClasses, "num_classes", path, null, 0);
            DataLimits.Check(h, DataLimits.MaxImageSide, "height", path, null, 0);
            DataLimits.Check(w, DataLimits.MaxImageSide, "width", path, null, 0);
            return new(c, h, w);
        }
        throw new FaceDataException(path, null, 0, $"'{(text.Length > 60 ? text[..60] + "…" : text)}' is not 'num_classes,height,width' with positive integers.");
    }

    /// <summary>Writes the file.</summary>
    public void Write(string path) => File.WriteAllText(path, $"{Classes},{Height},{Width}");
}
