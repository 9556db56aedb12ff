namespace ArcFace.Data;

/// <summary>
/// A face data file that cannot be read: the message names the file, the record (or line) and the byte offset, so a
/// person can look at the bytes. Derives from <see cref="IOException"/> (<see cref="InvalidDataException"/> is sealed).
/// </summary>
public sealed class FaceDataException : IOException
{
    /// <summary>The file.</summary>
    public string File { get; }

    /// <summary>The record key, pair or line the problem is in, or null.</summary>
    public long? Record { get; }

    /// <summary>The byte offset in <see cref="File"/>, or null.</summary>
    public long? Offset { get; }

    /// <summary>An error in <paramref name="file"/> at <paramref name="record"/> / <paramref name="offset"/>.</summary>
    public FaceDataException(string file, long? record, long? offset, string problem, Exception? inner = null)
        : base($"{file}{(record is { } r ? $": record {r}" : "")}{(offset is { } o ? $" at byte offset {o}" : "")}: {problem}", inner)
    {
        File = file;
        Record = record;
        Offset = offset;
    }
}

/// <summary>Parallel.For whose data errors surface as the <see cref="FaceDataException"/> itself, not wrapped.</summary>
static class DataParallel
{
    internal static void For(int count, Action<int> body)
    {
        try { Parallel.For(0, count, body); }
        catch (AggregateException e) when (e.InnerExceptions.OfType<FaceDataException>().FirstOrDefault() is { } first)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
    }
}
