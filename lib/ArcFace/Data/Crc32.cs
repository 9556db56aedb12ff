namespace ArcFace.Data;

/// <summary>
/// CRC-32 (IEEE 802.3, reflected: the checksum of zip entries and PNG chunks), table-driven, because the solution does
/// not reference System.IO.Hashing.
/// </summary>
static class Crc32
{
    static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xedb88320 ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>The CRC-32 of what <paramref name="crc"/> covered followed by <paramref name="bytes"/> (start from 0).</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> bytes)
    {
        crc = ~crc;
        foreach (byte b in bytes) crc = Table[(crc ^ b) & 0xff] ^ (crc >> 8);
        return ~crc;
    }
}
