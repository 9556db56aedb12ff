using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace ArcFace.Data;

/// <summary>
/// A SynthFaces set: which identity and variation each image has. Sets up to 256 M floats (1 GiB; a smoke training set
/// is 2.5 M, a middle one 246 M, a 6,000-pair benchmark at 64 px 147 M) are rendered once into memory on first use;
/// larger ones are rendered on demand (on the set's device), batch by batch, every time they are read. Where
/// <see cref="SynthFaces.CacheFolder"/> is set, that first use reads the set from disk when an earlier process rendered
/// it (keyed by <see cref="CacheKey"/>) and writes it there otherwise: a notebook series renders each set once.
/// </summary>
public sealed class SynthFaceDataset : IFaceDataset, IDisposable
{
    // A middle-profile training set must fit: rendered on demand, the loader's background thread would render every
    // epoch again, and a thread rendering (hundreds of implicit TorchSharp Scalars a batch) beside another that triggers
    // collections crashed with a freed Scalar (README, Memory). Below 2 GiB because the disk cache reads and writes the
    // set as one byte span.
    const long CacheLimit = 256L << 20;
    readonly (int Class, long Key, FaceVariation Variation)[] images;
    readonly float[][] latents;
    readonly Device? device;
    readonly object gate = new();
    TensorFaceDataset? cache;

    internal SynthFaceDataset(string name, SynthFacesOptions options, long[] identityIds, List<(int Class, long Key, FaceVariation Variation)> images, Device? device)
    {
        Name = name;
        Options = options;
        IdentityIds = identityIds;
        this.images = [.. images];
        this.device = device;
        latents = identityIds.Select(id => SynthFaces.Latent(id, options)).ToArray();
    }

    /// <summary>The set's name.</summary>
    public string Name { get; }

    /// <summary>The options it was made with.</summary>
    public SynthFacesOptions Options { get; }

    /// <summary>The global SynthFaces identity id of each class (training ids &lt; 2³², evaluation ids ≥ 2³²).</summary>
    public IReadOnlyList<long> IdentityIds { get; }

    /// <summary>The variation of image <paramref name="index"/> (pose, age, …), for analysis.</summary>
    public FaceVariation Variation(int index) => images[index].Variation;

    /// <inheritdoc/>
    public int Count => images.Length;

    /// <inheritdoc/>
    public int Classes => IdentityIds.Count;

    /// <inheritdoc/>
    public int ImageSize => Options.ImageSize;

    /// <inheritdoc/>
    public int Label(int index) => images[index].Class;

    /// <inheritdoc/>
    public Tensor Images(ReadOnlySpan<int> indices)
    {
        if ((long)Count * 3 * ImageSize * ImageSize <= CacheLimit)
        {
            lock (gate) cache ??= new TensorFaceDataset(LoadOrRenderAll(), images.Select(i => i.Class).ToArray(), Classes);
            return cache.Images(indices);
        }
        return Render(indices.ToArray());
    }

    Tensor Render(int[] indices)
    {
        foreach (int i in indices)
            if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"index outside [0, {Count}).");
        return SynthFaces.Render(indices.Select(i => latents[images[i].Class]).ToArray(), indices.Select(i => images[i].Variation).ToArray(),
            ImageSize, indices.Select(i => images[i].Key ^ Options.Seed).ToArray(), device);
    }

    /// <summary>
    /// What the pixels of this set depend on, hashed (SHA-256, hex): the renderer's version, the set's name and options,
    /// and every image's identity latent, noise key and variation. Two sets with the same key have the same pixels.
    /// </summary>
    public string CacheKey => cacheKey ??= ComputeCacheKey();

    string? cacheKey;

    string ComputeCacheKey()
    {
        var json = new JsonSerializerOptions { IncludeFields = true };
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void add(string text) => hash.AppendData(Encoding.UTF8.GetBytes(text + "\n"));
        add($"SynthFaces renderer {SynthFaces.RendererVersion}");
        add(Name);
        add(JsonSerializer.Serialize(Options, json));
        foreach (var latent in latents) add(JsonSerializer.Serialize(latent));
        foreach (var (c, key, variation) in images) add($"{c} {key ^ Options.Seed} {JsonSerializer.Serialize(variation, json)}");
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    const string CacheMagic = "SynthFaces float32 cache 1";

    Tensor LoadOrRenderAll()
    {
        string? path = SynthFaces.CacheFolder is { } folder ? Path.Combine(folder, $"{Name}-{Count}x{ImageSize}-{CacheKey[..16]}.bin") : null;
        long floats = (long)Count * 3 * ImageSize * ImageSize;
        if (path is not null && File.Exists(path))
        {
            using var reader = new BinaryReader(File.OpenRead(path));
            try
            {
                if (reader.ReadString() == CacheMagic && reader.ReadString() == CacheKey && reader.BaseStream.Length - reader.BaseStream.Position == floats * sizeof(float))
                {
                    // Read straight into the tensor's memory: a float array in between held the set twice.
                    var pixels = empty([Count, 3, ImageSize, ImageSize], float32);
                    try { reader.BaseStream.ReadExactly(pixels.bytes); }
                    catch { pixels.Dispose(); throw; }
                    return pixels;
                }
            }
            catch (Exception e) when (e is EndOfStreamException or IOException) { }
            // Anything else in the file (another key, a torn write) is not this set: render afresh and replace it.
        }
        var all = Render(Enumerable.Range(0, Count).ToArray());
        if (path is not null) Save(path, all);
        return all;
    }

    void Save(string path, Tensor all)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = $"{path}.{Environment.ProcessId}.tmp";
        using (var writer = new BinaryWriter(File.Create(temporary)))
        using (var pixels = all.contiguous())
        {
            writer.Write(CacheMagic);
            writer.Write(CacheKey);
            writer.Write(pixels.bytes);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Frees the cached images.</summary>
    public void Dispose() => cache?.Dispose();
}

/// <summary>
/// A data set whose labels are partly wrong: <see cref="Label"/> gives the noisy label used for training,
/// <see cref="TrueLabel"/> the real one (sub-center ArcFace's experiment).
/// </summary>
public sealed class NoisyLabelDataset : IFaceDataset
{
    readonly IFaceDataset inner;
    readonly int[] labels;

    internal NoisyLabelDataset(IFaceDataset inner, double fraction, long seed)
    {
        if (fraction is < 0 or > 1 || double.IsNaN(fraction)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "the noisy fraction must lie in [0, 1].");
        if (inner.Classes < 2 && fraction > 0) throw new ArgumentException("label noise needs at least 2 classes.", nameof(inner));
        this.inner = inner;
        labels = Enumerable.Range(0, inner.Count).Select(inner.Label).ToArray();
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32))));
        var order = Enumerable.Range(0, inner.Count).ToArray();
        rng.Shuffle(order);
        int noisy = (int)Math.Round(fraction * inner.Count);
        foreach (int i in order.AsSpan(0, noisy))
        {
            int other = rng.Next(inner.Classes - 1);
            labels[i] = other >= inner.Label(i) ? other + 1 : other;
        }
        NoisyCount = noisy;
    }

    /// <summary>How many images carry a wrong label.</summary>
    public int NoisyCount { get; }

    /// <summary>The real identity of image <paramref name="index"/>.</summary>
    public int TrueLabel(int index) => inner.Label(index);

    /// <summary>Whether image <paramref name="index"/> is labelled with another identity.</summary>
    public bool IsNoisy(int index) => labels[index] != inner.Label(index);

    /// <inheritdoc/>
    public int Count => inner.Count;

    /// <inheritdoc/>
    public int Classes => inner.Classes;

    /// <inheritdoc/>
    public int ImageSize => inner.ImageSize;

    /// <inheritdoc/>
    public int Label(int index) => labels[index];

    /// <inheritdoc/>
    public Tensor Images(ReadOnlySpan<int> indices) => inner.Images(indices);
}
