using ArcFace.ElfPatch;

// Usage: ArcFace.ElfPatch [--force] <file.so>...
// Marks GLIBCXX_3.4.32 weak in each file unless the system libstdc++ provides it (or --force is given).
const string Version = "GLIBCXX_3.4.32";
bool force = args.Contains("--force");
var files = args.Where(a => a != "--force").ToList();
if (files.Count == 0)
{
    Console.Error.WriteLine("usage: ArcFace.ElfPatch [--force] <file.so>...");
    return 2;
}
if (!force && ElfVersionPatcher.SystemLibStdCxxDefines(Version))
{
    Console.WriteLine($"elf-patch: the system libstdc++ provides {Version}; nothing to do.");
    return 0;
}
try
{
    foreach (var file in files)
        Console.WriteLine($"elf-patch: {file}: {ElfVersionPatcher.MarkRequirementWeak(file, Version)} ({Version} weak)");
    return 0;
}
catch (Exception e) when (e is InvalidDataException or IOException)
{
    Console.Error.WriteLine($"elf-patch: error: {e.Message}");
    return 1;
}
