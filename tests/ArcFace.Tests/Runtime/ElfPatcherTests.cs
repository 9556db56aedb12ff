using System.Buffers.Binary;
using ArcFace.ElfPatch;

namespace ArcFace.Tests.Runtime;

public class ElfPatcherTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("elfpatch").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    internal static string NuGetPackages() => Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    static string ShippedLibrary()
    {
        string path = Path.Combine(NuGetPackages(), "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"TorchSharp's shipped library not found at {path}");
        return path;
    }

    [Fact]
    public void ShippedLibraryRequiresGlibcxx3432Strongly()
    {
        var requirements = ElfVersionPatcher.ReadRequirements(File.ReadAllBytes(ShippedLibrary()));
        var r = Assert.Single(requirements, r => r.Version == "GLIBCXX_3.4.32");
        Assert.Equal("libstdc++.so.6", r.Library);
        Assert.False(r.IsWeak);
    }

    [Fact]
    public void PatchesACopyOnlyTheNamedEntryAndIsIdempotent()
    {
        string original = ShippedLibrary();
        string copy = Path.Combine(dir, "lib.so");
        File.Copy(original, copy);
        byte[] before = File.ReadAllBytes(copy);

        Assert.Equal(PatchOutcome.Patched, ElfVersionPatcher.MarkRequirementWeak(copy, "GLIBCXX_3.4.32"));
        byte[] after = File.ReadAllBytes(copy);
        var target = ElfVersionPatcher.ReadRequirements(after).Single(r => r.Version == "GLIBCXX_3.4.32");
        Assert.True(target.IsWeak);
        // Exactly the two flag bytes of that entry differ, by the weak bit.
        var differing = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToList();
        Assert.Equal([(int)target.FlagsOffset], differing);
        Assert.Equal(BinaryPrimitives.ReadUInt16LittleEndian(before.AsSpan((int)target.FlagsOffset)) | 2,
            BinaryPrimitives.ReadUInt16LittleEndian(after.AsSpan((int)target.FlagsOffset)));
        // Every other requirement is as it was.
        Assert.Equal(ElfVersionPatcher.ReadRequirements(before).Where(r => r.Version != "GLIBCXX_3.4.32"),
            ElfVersionPatcher.ReadRequirements(after).Where(r => r.Version != "GLIBCXX_3.4.32"));

        Assert.Equal(PatchOutcome.AlreadyWeak, ElfVersionPatcher.MarkRequirementWeak(copy, "GLIBCXX_3.4.32"));
        Assert.Equal(after, File.ReadAllBytes(copy));
        Assert.Equal(PatchOutcome.NotRequired, ElfVersionPatcher.MarkRequirementWeak(copy, "GLIBCXX_9.9.99"));
        // The original was never touched.
        Assert.False(ElfVersionPatcher.ReadRequirements(File.ReadAllBytes(original)).Single(r => r.Version == "GLIBCXX_3.4.32").IsWeak);
    }

    [Fact]
    public void PatchingAHardLinkLeavesTheOtherNameUntouched()
    {
        string source = Path.Combine(dir, "cache.so"), link = Path.Combine(dir, "output.so");
        File.Copy(ShippedLibrary(), source);
        Assert.Equal(0, link_(source, link));
        ElfVersionPatcher.MarkRequirementWeak(link, "GLIBCXX_3.4.32");
        Assert.False(ElfVersionPatcher.ReadRequirements(File.ReadAllBytes(source)).Single(r => r.Version == "GLIBCXX_3.4.32").IsWeak);
    }

    [Theory]
    [InlineData("not elf", "no ELF magic")]
    [InlineData("32-bit", "not 64-bit")]
    [InlineData("executable", "not a shared object")]
    [InlineData("truncated", "past the")]
    public void RejectsFilesThatAreNot64BitElfSharedObjects(string kind, string expected)
    {
        byte[] bytes = File.ReadAllBytes(ShippedLibrary());
        bytes = kind switch
        {
            "not elf" => "#!/bin/sh\necho hello\n"u8.ToArray().Concat(new byte[64]).ToArray(),
            "32-bit" => Modified(bytes, 4, 1),
            "executable" => Modified(bytes, 16, 2),
            _ => bytes[..4096],
        };
        string path = Path.Combine(dir, "bad.so");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.MarkRequirementWeak(path, "GLIBCXX_3.4.32"));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ReadsTheVersionsTheSystemLibStdCxxDefines()
    {
        string? path = ElfVersionPatcher.SystemLibStdCxxPath();
        Assert.NotNull(path);
        var versions = ElfVersionPatcher.ReadDefinitions(File.ReadAllBytes(path!));
        Assert.Contains("GLIBCXX_3.4", versions);
        Assert.Contains("CXXABI_1.3", versions);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link", SetLastError = true)]
    static extern int link_(string existing, string created);

    static byte[] Modified(byte[] bytes, int at, byte value)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] = value;
        return copy;
    }
}
