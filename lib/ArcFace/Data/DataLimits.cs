namespace ArcFace.Data;

/// <summary>
/// Upper bounds on the sizes a data file may declare, checked before anything of that size is allocated: a small
/// corrupt or hostile file (a PNG header claiming 16000 × 16000, a <c>property</c> of 20000², a checkpoint storage of
/// 10⁸ floats) must fail with a <see cref="FaceDataException"/> instead of costing gigabytes.
/// </summary>
public static class DataLimits
{
    /// <summary>Largest image side a <c>property</c> file may give (aligned faces are 112; 4096 leaves room).</summary>
    public const int MaxImageSide = 4096;

    /// <summary>Most pixels of an image, decoded or resized: 4096² (64 MiB as RGBA).</summary>
    public const long MaxImagePixels = (long)MaxImageSide * MaxImageSide;

    /// <summary>Most classes: RecordIO labels are float32, exact integers only up to 2^24.</summary>
    public const int MaxClasses = 1 << 24;

    /// <summary>
    /// How many times its own size a checkpoint's tensors may declare in all. PyBridge reads a storage once for every
    /// tensor that uses it, so shared storages legitimately count more than once; a few times the file is plenty.
    /// </summary>
    public const int MaxCheckpointExpansion = 4;

    /// <summary>Returns <paramref name="value"/>, or throws naming <paramref name="what"/>, the file, record and offset.</summary>
    internal static long Check(long value, long limit, string what, string file, long? record = null, long? offset = null) =>
        value >= 0 && value <= limit ? value
            : throw new FaceDataException(file, record, offset, $"{what} {value} is {(value < 0 ? "negative" : $"above the limit of {limit}")}.");
}
