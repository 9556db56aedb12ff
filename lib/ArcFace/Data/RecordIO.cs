using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace ArcFace.Data;

/// <summary>
/// The image record header of MXNet's <c>recordio.pack</c> (struct <c>IfQQ</c>, 24 bytes): when <see cref="Flag"/> &gt; 0,
/// <see cref="Flag"/> float32 labels follow it and <see cref="Label"/> is 0.
/// </summary>
/// <param name="Flag">0, or the number of extra float labels.</param>
/// <param name="Label">The scalar label when <see cref="Flag"/> is 0.</param>
/// <param name="Id">Record id (insightface: the key).</param>
/// <param name="Id2">Second id (0).</param>
/// <param name="Labels">The extra labels (length <see cref="Flag"/>).</param>
public sealed record IRHeader(uint Flag, float Label, ulong Id, ulong Id2, float[] Labels)
{
    /// <summary>Size of the fixed part in bytes.</summary>
    public const int Size = 24;

    /// <summary>A header with one scalar label.</summary>
    public static IRHeader Scalar(float label, ulong id) => new(0, label, id, 0, []);

    /// <summary>A header with an array of labels (flag = its length, label = 0), as <c>recordio.pack</c> writes it.</summary>
    public static IRHeader Array(float[] labels, ulong id) => new((uint)labels.Length, 0, id, 0, labels);

    /// <summary>The first label: element 0 of an array label, else the scalar (MXFaceDataset's rule).</summary>
    public float First => Flag > 0 ? Labels[0] : Label;

    /// <summary>Header followed by <paramref name="image"/> bytes: a record payload.</summary>
    public byte[] Pack(ReadOnlySpan<byte> image)
    {
        var payload = new byte[Size + 4 * Labels.Length + image.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, Flag);
        BinaryPrimitives.WriteSingleLittleEndian(payload.AsSpan(4), Label);
        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(8), Id);
        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(16), Id2);
        for (int i = 0; i < Labels.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(payload.AsSpan(Size + 4 * i), Labels[i]);
        image.CopyTo(payload.AsSpan(Size + 4 * Labels.Length));
        return payload;
    }

    /// <summary>Splits a record payload into its header and image bytes; <paramref name="where"/> names it in errors.</summary>
    public static (IRHeader Header, ReadOnlyMemory<byte> Image) Unpack(byte[] payload, Func<string, FaceDataException> where)
    {
        if (payload.Length < Size) throw where($"the record has {payload.Length} bytes, fewer than the {Size}-byte image header.");
        uint flag = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        if (flag > (payload.Length - Size) / 4) throw where($"the image header's flag {flag} asks for more float labels than the {payload.Length}-byte record holds.");
        var labels = new float[flag];
        for (int i = 0; i < labels.Length; i++) labels[i] = BinaryPrimitives.ReadSingleLittleEndian(payload.AsSpan(Size + 4 * i));
        var header = new IRHeader(flag, BinaryPrimitives.ReadSingleLittleEndian(payload.AsSpan(4)),
            BinaryPrimitives.ReadUInt64LittleEndian(payload.AsSpan(8)), BinaryPrimitives.ReadUInt64LittleEndian(payload.AsSpan(16)), labels);
        int start = Size + 4 * labels.Length;
        return (header, payload.AsMemory(start));
    }
}

/// <summary>
/// Writes MXNet RecordIO (<c>.rec</c>) frames as dmlc-core does: magic 0xced7230a, lrec = cflag &lt;&lt; 29 | length,
/// payload, zero padding to 4 bytes. A payload holding a 4-byte-aligned copy of the magic is split there into parts
/// (cflag 1 start, 2 middle, 3 end) without that copy. With an index path it also writes the <c>.idx</c> text index.
/// </summary>
public sealed class RecordIOWriter : IDisposable
{
    readonly FileStream rec;
    readonly StreamWriter? idx;

    /// <summary>Creates <paramref name="recPath"/> and, if given, <paramref name="idxPath"/>.</summary>
    public RecordIOWriter(string recPath, string? idxPath = null)
    {
        rec = new FileStream(recPath, FileMode.Create, FileAccess.Write);
        if (idxPath is not null) idx = new StreamWriter(idxPath) { NewLine = "\n" };
    }

    /// <summary>Appends one record and returns its byte offset; with an index, records it under <paramref name="key"/>.</summary>
    public long Write(ReadOnlySpan<byte> payload, long? key = null)
    {
        long offset = rec.Position;
        if (payload.Length > RecordIO.MaxLength) throw new ArgumentException($"a record holds at most {RecordIO.MaxLength} bytes; got {payload.Length}.", nameof(payload));
        int done = 0;
        for (int i = 0; i + 4 <= payload.Length; i += 4)
            if (BinaryPrimitives.ReadUInt32LittleEndian(payload[i..]) == RecordIO.Magic)
            {
                Frame(done == 0 ? 1u : 2u, payload[done..i]);
                done = i + 4;
            }
        Frame(done == 0 ? 0u : 3u, payload[done..]);
        if (key is { } k)
        {
            if (idx is null) throw new InvalidOperationException("this writer has no index file.");
            idx.Write(k.ToString(CultureInfo.InvariantCulture) + "\t" + offset.ToString(CultureInfo.InvariantCulture) + "\n");
        }
        return offset;
    }

    void Frame(uint cflag, ReadOnlySpan<byte> part)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(head, RecordIO.Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(head[4..], cflag << 29 | (uint)part.Length);
        rec.Write(head);
        rec.Write(part);
        rec.Write(stackalloc byte[(4 - part.Length % 4) % 4]);
    }

    /// <summary>Flushes and closes the files.</summary>
    public void Dispose()
    {
        rec.Dispose();
        idx?.Dispose();
    }
}

/// <summary>
/// Reads MXNet RecordIO records by byte offset or by <c>.idx</c> key. Thread-safe (positional reads), so images can be
/// decoded in parallel. Every length is checked against the file's size before a buffer is allocated.
/// </summary>
public sealed class RecordIOReader : IDisposable
{
    readonly SafeFileHandle handle;
    readonly Dictionary<long, long> offsets = [];

    /// <summary>The <c>.rec</c> file.</summary>
    public string Path { get; }

    /// <summary>The <c>.idx</c> file, or null.</summary>
    public string? IndexPath { get; }

    /// <summary>Size of the <c>.rec</c> file in bytes.</summary>
    public long Length { get; }

    /// <summary>The index keys in file order (empty without an index).</summary>
    public IReadOnlyList<long> Keys { get; }

    /// <summary>Opens <paramref name="recPath"/> and, if given, reads the text index <paramref name="idxPath"/>.</summary>
    public RecordIOReader(string recPath, string? idxPath = null)
    {
        Path = recPath;
        IndexPath = idxPath;
        if (!File.Exists(recPath)) throw new FileNotFoundException($"{recPath}: RecordIO file not found.", recPath);
        handle = File.OpenHandle(recPath);
        var keys = new List<long>();
        try
        {
            Length = RandomAccess.GetLength(handle);
            if (idxPath is not null) ReadIndex(idxPath, keys);
        }
        catch
        {
            handle.Dispose();   // the caller never gets the reader, so nothing else would close the file
            throw;
        }
        Keys = keys;
    }

    void ReadIndex(string idxPath, List<long> keys)
    {
        int line = 0;
        foreach (var text in File.ReadLines(idxPath))
        {
            line++;
            if (text.Length == 0) continue;
            var parts = text.Split('\t');
            if (parts.Length != 2 || !long.TryParse(parts[0], CultureInfo.InvariantCulture, out long key) || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out long offset))
                throw new FaceDataException(idxPath, line, null, $"line {line} is '{Clip(text)}'; expected 'key<TAB>byte_offset'.");
            if (offset < 0 || offset > Length - 8)
                throw new FaceDataException(idxPath, key, offset, $"line {line}: the offset lies outside {Path} ({Length} bytes).");
            if (!offsets.TryAdd(key, offset)) throw new FaceDataException(idxPath, key, offset, $"line {line}: key {key} appears twice.");
            keys.Add(key);
        }
    }

    /// <summary>Whether the index has <paramref name="key"/>.</summary>
    public bool Contains(long key) => offsets.ContainsKey(key);

    /// <summary>The byte offset of <paramref name="key"/> in the <c>.rec</c> file.</summary>
    public long OffsetOf(long key) => offsets.TryGetValue(key, out long o) ? o
        : throw new FaceDataException(IndexPath ?? Path, key, null, "the key is not in the index.");

    /// <summary>The payload of the record at index key <paramref name="key"/>.</summary>
    public byte[] Read(long key) => ReadAt(OffsetOf(key), key).Payload;

    /// <summary>
    /// The payload of the record starting at <paramref name="offset"/> (multi-part records joined, the magic re-inserted)
    /// and the offset of the next record. <paramref name="key"/> only names the record in errors.
    /// </summary>
    public (byte[] Payload, long Next) ReadAt(long offset, long? key = null)
    {
        var parts = new List<byte[]>();
        long position = offset;
        Span<byte> head = stackalloc byte[8];
        for (int part = 0; ; part++)
        {
            if (position + 8 > Length)
                throw new FaceDataException(Path, key, position, $"the file ends ({Length} bytes) inside a record frame header{(part > 0 ? $" (part {part + 1} of a multi-part record)" : "")}.");
            RandomAccess.Read(handle, head, position);
            uint magic = BinaryPrimitives.ReadUInt32LittleEndian(head);
            if (magic != RecordIO.Magic)
                throw new FaceDataException(Path, key, position, $"expected the RecordIO magic 0x{RecordIO.Magic:x8}, found 0x{magic:x8}{(IndexPath is not null && part == 0 ? $" (does {IndexPath} belong to this file?)" : "")}.");
            uint lrec = BinaryPrimitives.ReadUInt32LittleEndian(head[4..]);
            uint cflag = lrec >> 29, length = lrec & RecordIO.MaxLength;
            if (position + 8 + length > Length)
                throw new FaceDataException(Path, key, position, $"the record length {length} runs past the end of the file ({Length} bytes).");
            bool expected = part == 0 ? cflag is 0 or 1 : cflag is 2 or 3;
            if (!expected)
                throw new FaceDataException(Path, key, position, $"continuation flag {cflag} where {(part == 0 ? "0 or 1 (a record start)" : "2 or 3 (a continuation)")} was expected.");
            var bytes = new byte[length];
            RandomAccess.Read(handle, bytes, position + 8);
            parts.Add(bytes);
            position += 8 + (length + 3) / 4 * 4;
            if (cflag is 0 or 3) break;
        }
        if (parts.Count == 1) return (parts[0], position);
        var joined = new byte[parts.Sum(p => p.Length) + 4 * (parts.Count - 1)];
        int at = 0;
        for (int i = 0; i < parts.Count; i++)
        {
            if (i > 0)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(joined.AsSpan(at), RecordIO.Magic);
                at += 4;
            }
            parts[i].CopyTo(joined, at);
            at += parts[i].Length;
        }
        return (joined, position);
    }

    /// <summary>
    /// The first bytes (at most <paramref name="count"/>) of record <paramref name="key"/>'s payload, from its first
    /// frame: enough for the image header without reading the image.
    /// </summary>
    public byte[] ReadStart(long key, int count)
    {
        long offset = OffsetOf(key);
        Span<byte> head = stackalloc byte[8];
        if (offset + 8 > Length) throw new FaceDataException(Path, key, offset, $"the file ends ({Length} bytes) inside a record frame header.");
        RandomAccess.Read(handle, head, offset);
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(head), lrec = BinaryPrimitives.ReadUInt32LittleEndian(head[4..]);
        if (magic != RecordIO.Magic || lrec >> 29 == 1) return Read(key) is var whole && whole.Length > count ? whole[..count] : whole;
        uint length = lrec & RecordIO.MaxLength;
        if (offset + 8 + length > Length) throw new FaceDataException(Path, key, offset, $"the record length {length} runs past the end of the file ({Length} bytes).");
        var bytes = new byte[Math.Min(count, (int)length)];
        RandomAccess.Read(handle, bytes, offset + 8);
        return bytes;
    }

    /// <summary>Every record in file order (no index needed), with its offset.</summary>
    public IEnumerable<(long Offset, byte[] Payload)> ReadAll()
    {
        for (long position = 0; position < Length;)
        {
            var (payload, next) = ReadAt(position);
            yield return (position, payload);
            position = next;
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => handle.Dispose();

    static string Clip(string s) => s.Length > 60 ? s[..60] + "…" : s;
}

/// <summary>Constants of MXNet's RecordIO format.</summary>
public static class RecordIO
{
    /// <summary>The frame magic number.</summary>
    public const uint Magic = 0xced7230a;

    /// <summary>The largest frame length (29 bits).</summary>
    public const uint MaxLength = (1u << 29) - 1;
}
