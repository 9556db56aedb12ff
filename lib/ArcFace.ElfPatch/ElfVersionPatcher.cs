using System.Buffers.Binary;
using System.Text;

namespace ArcFace.ElfPatch;

/// <summary>What <see cref="ElfVersionPatcher.MarkRequirementWeak"/> did to a file.</summary>
public enum PatchOutcome { Patched, AlreadyWeak, NotRequired }

/// <summary>One symbol-version requirement of an ELF file (an entry of <c>.gnu.version_r</c>).</summary>
public sealed record VersionRequirement(string Library, string Version, bool IsWeak, long FlagsOffset);

/// <summary>
/// Reads and edits the symbol-version sections of 64-bit little-endian ELF files. The one edit it makes is the
/// Debian 12 fix for TorchSharp: flag a single version requirement (<c>GLIBCXX_3.4.32</c>) <c>VER_FLG_WEAK</c>, so
/// that the dynamic loader accepts a libstdc++ that lacks that version instead of refusing the whole library.
/// </summary>
public static class ElfVersionPatcher
{
    const uint ShtGnuVerdef = 0x6ffffffd, ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2, EtDyn = 3;

    /// <summary>The version requirements (<c>.gnu.version_r</c>) of an ELF shared object.</summary>
    public static IReadOnlyList<VersionRequirement> ReadRequirements(byte[] elf, string name = "<bytes>")
    {
        var result = new List<VersionRequirement>();
        foreach (var (section, strings) in SectionsOfType(elf, ShtGnuVerneed, name))
        {
            long entry = section.Offset;
            for (uint i = 0; i < section.Info; i++)
            {
                string library = CString(elf, strings + U32(elf, entry + 4, name), name);
                long aux = entry + U32(elf, entry + 8, name);
                for (int j = 0, count = U16(elf, entry + 2, name); j < count; j++)
                {
                    ushort flags = U16(elf, aux + 4, name);
                    result.Add(new(library, CString(elf, strings + U32(elf, aux + 8, name), name), (flags & VerFlgWeak) != 0, aux + 4));
                    aux += U32(elf, aux + 12, name);
                }
                uint next = U32(elf, entry + 12, name);
                if (next == 0) break;
                entry += next;
            }
        }
        return result;
    }

    /// <summary>The version names an ELF shared object defines (<c>.gnu.version_d</c>), e.g. libstdc++'s GLIBCXX_*.</summary>
    public static IReadOnlyList<string> ReadDefinitions(byte[] elf, string name = "<bytes>")
    {
        var result = new List<string>();
        foreach (var (section, strings) in SectionsOfType(elf, ShtGnuVerdef, name))
        {
            long entry = section.Offset;
            for (uint i = 0; i < section.Info; i++)
            {
                long aux = entry + U32(elf, entry + 12, name);
                result.Add(CString(elf, strings + U32(elf, aux, name), name));
                uint next = U32(elf, entry + 16, name);
                if (next == 0) break;
                entry += next;
            }
        }
        return result;
    }

    /// <summary>
    /// Marks the requirement named <paramref name="version"/> weak in the file at <paramref name="path"/>. The file is
    /// rewritten through a temporary file and a rename, so a hard link into a package cache is never modified.
    /// </summary>
    public static PatchOutcome MarkRequirementWeak(string path, string version)
    {
        byte[] elf = File.ReadAllBytes(path);
        var matches = ReadRequirements(elf, path).Where(r => r.Version == version).ToList();
        if (matches.Count == 0) return PatchOutcome.NotRequired;
        if (matches.All(r => r.IsWeak)) return PatchOutcome.AlreadyWeak;
        foreach (var r in matches)
            BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan((int)r.FlagsOffset), (ushort)(U16(elf, r.FlagsOffset, path) | VerFlgWeak));
        string temporary = path + ".patching";
        File.WriteAllBytes(temporary, elf);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, File.GetUnixFileMode(path));
        File.Move(temporary, path, overwrite: true);
        return PatchOutcome.Patched;
    }

    /// <summary>True when the libstdc++ the dynamic loader would pick defines <paramref name="version"/>.</summary>
    public static bool SystemLibStdCxxDefines(string version)
    {
        string? library = SystemLibStdCxxPath();
        return library is not null && ReadDefinitions(File.ReadAllBytes(library), library).Contains(version);
    }

    /// <summary>The system's libstdc++.so.6, or null where none is found in the usual folders.</summary>
    public static string? SystemLibStdCxxPath() =>
        new[] { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib/aarch64-linux-gnu", "/usr/lib" }
            .Select(d => Path.Combine(d, "libstdc++.so.6")).FirstOrDefault(File.Exists);

    record struct Section(uint Type, long Offset, long Size, uint Link, uint Info);

    static IEnumerable<(Section Section, long StringTable)> SectionsOfType(byte[] elf, uint type, string name)
    {
        var sections = ReadSections(elf, name);
        foreach (var s in sections.Where(s => s.Type == type))
        {
            if (s.Link >= sections.Count) throw Invalid(name, $"section link {s.Link} is past the {sections.Count} sections");
            yield return (s, sections[(int)s.Link].Offset);
        }
    }

    static List<Section> ReadSections(byte[] elf, string name)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F')
            throw Invalid(name, "no ELF magic (expected 7F 45 4C 46 at byte 0)");
        if (elf[4] != 2) throw Invalid(name, $"ELF class {elf[4]} is not 64-bit (2)");
        if (elf[5] != 1) throw Invalid(name, "big-endian ELF is not supported");
        ushort fileType = U16(elf, 16, name);
        if (fileType != EtDyn) throw Invalid(name, $"ELF type {fileType} is not a shared object (ET_DYN = 3)");
        long sectionTable = (long)U64(elf, 0x28, name);
        int entrySize = U16(elf, 0x3A, name), count = U16(elf, 0x3C, name);
        if (entrySize != 64) throw Invalid(name, $"section header size {entrySize} is not 64");
        var sections = new List<Section>(count);
        for (int i = 0; i < count; i++)
        {
            long h = sectionTable + (long)i * entrySize;
            var s = new Section(U32(elf, h + 4, name), (long)U64(elf, h + 24, name), (long)U64(elf, h + 32, name), U32(elf, h + 40, name), U32(elf, h + 44, name));
            if (s.Type != 8 /* SHT_NOBITS */ && s.Offset + s.Size > elf.Length)
                throw Invalid(name, $"section {i} (offset {s.Offset}, size {s.Size}) ends past the file's {elf.Length} bytes");
            sections.Add(s);
        }
        return sections;
    }

    static ushort U16(byte[] b, long at, string name) => BinaryPrimitives.ReadUInt16LittleEndian(Slice(b, at, 2, name));
    static uint U32(byte[] b, long at, string name) => BinaryPrimitives.ReadUInt32LittleEndian(Slice(b, at, 4, name));
    static ulong U64(byte[] b, long at, string name) => BinaryPrimitives.ReadUInt64LittleEndian(Slice(b, at, 8, name));

    static ReadOnlySpan<byte> Slice(byte[] b, long at, int length, string name) =>
        at >= 0 && at + length <= b.Length ? b.AsSpan((int)at, length) : throw Invalid(name, $"read of {length} bytes at offset {at} is past the end ({b.Length} bytes)");

    static string CString(byte[] b, long at, string name)
    {
        int start = (int)at, end = start;
        while (end < b.Length && b[end] != 0) end++;
        if (start < 0 || end >= b.Length) throw Invalid(name, $"string at offset {at} is not terminated inside the file");
        return Encoding.ASCII.GetString(b, start, end - start);
    }

    static InvalidDataException Invalid(string name, string why) =>
        new($"{name}: not a usable 64-bit ELF shared object: {why}.");
}
