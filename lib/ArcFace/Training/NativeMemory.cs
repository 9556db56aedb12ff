using System.Runtime.InteropServices;

namespace ArcFace.Training;

/// <summary>
/// Keeps a training process's memory flat while its live tensors are. .NET collected no garbage for hundreds of steps
/// (tensors that only a finalizer frees kept their native buffers) and glibc's heap kept what libtorch freed;
/// <see cref="Trim"/>, every <see cref="TrainingOptions.TrimMemoryEvery"/> steps, collects the garbage and returns free
/// heap memory to the OS. glibc's mmap threshold is left dynamic on purpose: fixing it at 128 KiB
/// (<c>mallopt(M_MMAP_THRESHOLD)</c>) made every tensor buffer a fresh mapping and training 3.6–4.9× slower, page
/// faults and all, while the collection alone kept the floor flat (405 → 400 MiB over 500 steps).
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
