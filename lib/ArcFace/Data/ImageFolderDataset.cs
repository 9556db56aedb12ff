using static TorchSharp.torch;

namespace ArcFace.Data;

/// <summary>
/// Aligned face images in one folder per identity (<c>root/&lt;identity&gt;/*.jpg|png</c>), as torchvision's ImageFolder:
/// classes are the sub-folders in ordinal name order. Images are decoded with SkiaSharp, in parallel.
/// </summary>
public sealed class ImageFolderDataset : IFaceDataset
{
    static readonly string[] Extensions = [".jpg", ".jpeg", ".png"];
    readonly string[] files;
    readonly int[] labels;

    /// <summary>Lists <paramref name="root"/>; images are returned at <paramref name="imageSize"/> (default 112).</summary>
    public ImageFolderDataset(string root, int imageSize = 112)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{root}: image folder not found.");
        Identities = Directory.GetDirectories(root).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToArray()!;
        var list = new List<(string File, int Label)>();
        for (int c = 0; c < Identities.Count; c++)
            list.AddRange(Directory.GetFiles(Path.Combine(root, Identities[c]))
                .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .OrderBy(f => f, StringComparer.Ordinal).Select(f => (f, c)));
        if (list.Count == 0) throw new FaceDataException(root, null, null, "no .jpg/.jpeg/.png images in one-folder-per-identity sub-folders.");
        files = list.Select(x => x.File).ToArray();
        labels = list.Select(x => x.Label).ToArray();
        ImageSize = imageSize;
    }

    /// <summary>The identity folder names; class c is <c>Identities[c]</c>.</summary>
    public IReadOnlyList<string> Identities { get; }

    /// <summary>The file of image <paramref name="index"/>.</summary>
    public string File(int index) => files[index];

    /// <inheritdoc/>
    public int Count => files.Length;

    /// <inheritdoc/>
    public int Classes => Identities.Count;

    /// <inheritdoc/>
    public int ImageSize { get; }

    /// <inheritdoc/>
    public int Label(int index) => labels[index];

    /// <inheritdoc/>
    public Tensor Images(ReadOnlySpan<int> indices)
    {
        var chosen = indices.ToArray();
        return ImageCodec.DecodeBatch(chosen.Length, ImageSize, i => (System.IO.File.ReadAllBytes(files[chosen[i]]), files[chosen[i]], null, null));
    }
}
