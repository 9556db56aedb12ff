using System.Runtime.InteropServices;

namespace ArcFace.Training;

/// <summary>
/// Keeps a training process's memory flat while its live tensors are. Two things made it grow. glibc's dynamic mmap
/// threshold rises to the size of each large block freed, so libtorch's tensor buffers soon come from the heap, which
/// keeps them when freed (~3 MiB per step); <see cref="FixMmapThreshold"/>, called by
/// <see cref="Runtime.TorchRuntime.Initialize"/>, does at run time what <c>MALLOC_MMAP_THRESHOLD_=131072</c> does at
/// process start, which notebooks, the runner and tests cannot all arrange. And .NET collected no garbage for hundreds
/// of steps; <see cref="Trim"/>, every <see cref="TrainingOptions.TrimMemoryEvery"/> steps, collects it and returns
/// free heap memory to the OS.
/// </summary>
public static partial class NativeMemory
{
    static bool unavailable = !OperatingSystem.IsLinux();

    /// <summary>
    /// Collects .NET's youngest generation, runs the finalizers it queued, then releases free heap memory to the OS;
    /// false where the C library has no <c>malloc_trim</c> (non-glibc), after the collection.
    /// </summary>
    /// <remarks>
    /// .NET sizes its youngest generation from the L3 cache: with 300 MiB of L3 it is so large that a training process
    /// ran no collection in 500 steps and its RSS floor rose 14 MiB per 100 steps (garbage, and tensors that
    /// only a finalizer frees). A collection on the trimming cadence keeps it flat.
    /// </remarks>
    public static bool Trim()
    {
        GC.Collect(0);
        GC.WaitForPendingFinalizers();
        if (unavailable) return false;
        try { malloc_trim(0); return true; }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { unavailable = true; return false; }
    }

    /// <summary>
    /// Serves every block of 128 KiB or more with its own mapping, returned to the OS on free, and turns off glibc's
    /// dynamic threshold (<c>mallopt(M_MMAP_THRESHOLD)</c>); false where the C library has no <c>mallopt</c>.
    /// </summary>
    internal static bool FixMmapThreshold()
    {
        if (unavailable) return false;
        try { return mallopt(M_MMAP_THRESHOLD, MmapThreshold) == 1; }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { unavailable = true; return false; }
    }

    /// <summary>glibc's parameter number for the mmap threshold (malloc.h).</summary>
    const int M_MMAP_THRESHOLD = -3;

    /// <summary>glibc's initial threshold, the value MALLOC_MMAP_THRESHOLD_=131072 sets.</summary>
    const int MmapThreshold = 128 << 10;

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

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int mallopt(int parameter, int value);
}
