using static TorchSharp.torch;

namespace ArcFace.Data;

/// <summary>
/// A labelled set of aligned face images, read by index. Images come back as float tensors B × 3 × H × W normalised
/// to [-1, 1] ((x − 127.5) / 127.5), labels as int64 identity ids in [0, <see cref="Classes"/>).
/// </summary>
public interface IFaceDataset
{
    /// <summary>Number of images.</summary>
    int Count { get; }

    /// <summary>Number of identities.</summary>
    int Classes { get; }

    /// <summary>Side of the square images in pixels.</summary>
    int ImageSize { get; }

    /// <summary>The identity of image <paramref name="index"/>.</summary>
    int Label(int index);

    /// <summary>The images at <paramref name="indices"/> as one B × 3 × H × W tensor on the CPU.</summary>
    Tensor Images(ReadOnlySpan<int> indices);
}

/// <summary>One training batch: images B × 3 × H × W and int64 labels B.</summary>
public sealed record Batch(Tensor Images, Tensor Labels) : IDisposable
{
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>
/// A verification set in insightface's protocol shape: images 2i and 2i+1 form pair i; <see cref="IsSame"/> says
/// whether the pair shows one identity. LFW, CFP-FP, AgeDB-30 and their synthetic analogues all take this form.
/// </summary>
public sealed record VerificationSet(string Name, IFaceDataset Images, bool[] IsSame)
{
    /// <summary>Number of pairs.</summary>
    public int Pairs => IsSame.Length;
}
