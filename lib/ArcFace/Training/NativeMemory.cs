using System.Runtime.InteropServices;

namespace ArcFace.Training;

/// <summary>
/// Hands freed heap memory back to the OS. With glibc, libtorch's freed tensor buffers stay in malloc's arenas
/// (its dynamic mmap threshold moves large blocks onto the heap), so a training process grows ~3 MiB per step while
/// its live tensors stay flat. <c>malloc_trim(0)</c> every few steps releases them; unlike
/// <c>MALLOC_MMAP_THRESHOLD_</c> or a preloaded jemalloc it needs nothing set before the process starts, so it holds
/// for notebooks, the runner and tests alike.
/// </summary>
public static partial class NativeMemory
{
    static bool unavailable = !OperatingSystem.IsLinux();

    /// <summary>Releases free heap memory to the OS; false where the C library has no <c>malloc_trim</c> (non-glibc).</summary>
    public static bool Trim()
    {
        if (unavailable) return false;
        try { malloc_trim(0); return true; }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { unavailable = true; return false; }
    }

    /// <summary>The process's resident set size in bytes (Linux), else the working set .NET reports.</summary>
    public static long ResidentBytes()
    {
        if (OperatingSystem.IsLinux())
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmRSS:")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        return Environment.WorkingSet;
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int malloc_trim(nuint pad);
}
