namespace ArcFace.Interactive;

/// <summary>Deedle frames from result records, for tables in notebooks (shown as HTML by the host).</summary>
public static class Tables
{
    /// <summary>A frame with one row per record and one column per public property.</summary>
    public static Deedle.Frame<int, string> Of<T>(IEnumerable<T> records) => Deedle.Frame.FromRecords(records);
}
