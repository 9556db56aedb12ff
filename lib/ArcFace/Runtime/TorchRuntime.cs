using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Runtime;

/// <summary>What <see cref="TorchRuntime.Initialize"/> found: the backend, where libtorch came from, the device.</summary>
public sealed record RuntimeInfo(string Backend, string? LibTorchPackage, string? LibTorchFolder, string? LibTorchVersion,
    bool CudaAvailable, string? CudaDeviceName, Device Device, int Threads);

/// <summary>libtorch cannot be loaded; the message carries the dynamic loader's own words.</summary>
public sealed class TorchLoadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Loads libtorch for the backend this build was made with (the <c>TorchBackend</c> build property), applies the
/// settings (threads, device policy) and reports what it found. Call once per process before using tensors;
/// later calls return the first result. Before loading it sets the native defaults training needs: OpenMP threads
/// that sleep rather than spin while they wait (<c>OMP_WAIT_POLICY=PASSIVE</c> unless already set).
/// </summary>
public static partial class TorchRuntime
{
    static RuntimeInfo? current;
    static readonly object gate = new();

    /// <summary>The backend this build was made with: cpu, cuda or external.</summary>
    public static string Backend => Metadata("TorchBackend") ?? "cpu";

    /// <summary>The device chosen by the last <see cref="Initialize"/>, CPU before it.</summary>
    public static Device Device => current?.Device ?? CPU;

    /// <summary>Loads libtorch and applies <paramref name="settings"/>.</summary>
    public static RuntimeInfo Initialize(Settings settings)
    {
        lock (gate)
        {
            if (current is not null) return current;
            // First, before anything loads libtorch (LoaderDiagnosis and PreloadExternal load it too): libgomp reads
            // OMP_WAIT_POLICY once, in its library constructor, from the C library's environment. Its default spins
            // waiting threads, which under load took 81% of a training step's CPU (3,065 ms against 249 ms passive).
            SetNativeEnvironmentDefault("OMP_WAIT_POLICY", "PASSIVE");
            if (settings.LibTorchDir is not null) PreloadExternal(settings.LibTorchDir);
            else if (Backend == "external")
                throw new TorchLoadException("This build has the external libtorch backend, but no libtorch folder is set: set TORCH_LIB_DIR " +
                    "or 'libtorchDir' in environment.json to a libtorch lib folder (e.g. python3 -c 'import torch, os; print(os.path.dirname(torch.__file__) + \"/lib\")').");
            bool cuda = LoadNative(settings.Device);
            if (settings.Threads > 0) torch.set_num_threads(settings.Threads);
            if (settings.Device == DevicePolicy.Cuda && !cuda)
                throw new TorchLoadException("environment.json asks for device 'cuda', but this libtorch has no usable CUDA device.");
            var device = cuda && settings.Device != DevicePolicy.Cpu ? CUDA : CPU;
            string? folder = LoadedLibTorchFolder();
            return current = new RuntimeInfo(Backend, Metadata("LibTorchPackage"), folder, LibTorchVersion(folder), cuda,
                cuda ? CudaDeviceName() : null, device, torch.get_num_threads());
        }
    }

    /// <summary>
    /// Sets <paramref name="name"/> in the C library's environment, where native libraries read it (.NET keeps a copy
    /// of its own on Unix), unless it is already set there: a value the user chose wins.
    /// </summary>
    internal static void SetNativeEnvironmentDefault(string name, string value)
    {
        if (OperatingSystem.IsWindows())
        {
            if (Environment.GetEnvironmentVariable(name) is null) Environment.SetEnvironmentVariable(name, value);
            return;
        }
        if (setenv(name, value, overwrite: 0) != 0)
            throw new InvalidOperationException($"setenv({name}={value}) failed with errno {Marshal.GetLastPInvokeError()}.");
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int setenv(string name, string value, int overwrite);

    static bool LoadNative(DevicePolicy policy)
    {
        // Asked first: on failure TorchSharp's own loader blames a missing package and copies ~480 MB of natives.
        if (LoaderDiagnosis() is { } diagnosis) throw new TorchLoadException($"libtorch could not be loaded. {diagnosis}");
        try
        {
            if (policy != DevicePolicy.Cpu)
            {
                try { torch.InitializeDeviceType(DeviceType.CUDA); } catch (Exception) when (policy == DevicePolicy.Auto) { }
            }
            torch.InitializeDeviceType(DeviceType.CPU);
            return torch.cuda.is_available();
        }
        catch (Exception e) when (e is not TorchLoadException)
        {
            throw new TorchLoadException($"libtorch could not be loaded. {LoaderDiagnosis() ?? e.Message}", e);
        }
    }

    /// <summary>
    /// The dynamic loader's own message for libLibTorchSharp.so (TorchSharp's message blames a missing package even
    /// when the cause is a symbol version), or null where it loads. Without a path, the copy beside the app is tried.
    /// </summary>
    public static string? LoaderDiagnosis(string? libraryPath = null)
    {
        var candidates = libraryPath is not null ? [libraryPath] : new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(torch).Assembly.Location)! }
            .SelectMany(d => new[] { Path.Combine(d, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"), Path.Combine(d, "libLibTorchSharp.so") })
            .Where(File.Exists).ToList();
        if (candidates.Count == 0) return "libLibTorchSharp.so is not beside the application (was the TorchSharp package restored?).";
        foreach (var path in candidates)
        {
            try { NativeLibrary.Free(NativeLibrary.Load(path)); }
            catch (DllNotFoundException e) { return $"The dynamic loader says: {e.Message.Trim()}"; }
        }
        return null;
    }

    static void PreloadExternal(string dir)
    {
        if (!Directory.Exists(dir)) throw new TorchLoadException($"libtorchDir '{dir}' does not exist (from TORCH_LIB_DIR or environment.json).");
        // Loaded by absolute path first, the later loads by name (TorchSharp's and libLibTorchSharp's DT_NEEDED) find them.
        foreach (var name in new[] { "libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so" })
        {
            string path = Path.Combine(dir, name);
            if (!File.Exists(path)) continue;
            try { NativeLibrary.Load(path); }
            catch (DllNotFoundException e) { throw new TorchLoadException($"{path}: the dynamic loader says: {e.Message}", e); }
        }
        if (!File.Exists(Path.Combine(dir, "libtorch_cpu.so"))) throw new TorchLoadException($"libtorchDir '{dir}' has no libtorch_cpu.so.");
    }

    static string? LoadedLibTorchFolder()
    {
        try
        {
            return File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault())
                .FirstOrDefault(p => p is not null && p.EndsWith("/libtorch_cpu.so")) is { } lib ? Path.GetDirectoryName(lib) : null;
        }
        catch (IOException) { return null; }
    }

    static string? LibTorchVersion(string? folder)
    {
        // A PyTorch installation keeps torch/version.py beside torch/lib.
        if (folder is not null && Path.Combine(folder, "..", "version.py") is var py && File.Exists(py))
            return File.ReadLines(py).FirstOrDefault(l => l.StartsWith("__version__"))?.Split('\'', '"').ElementAtOrDefault(1);
        return Metadata("LibTorchPackage")?.Split(' ').Last();
    }

    static string? CudaDeviceName()
    {
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo("nvidia-smi", "--query-gpu=name --format=csv,noheader") { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = System.Diagnostics.Process.Start(psi)!;
            string name = p.StandardOutput.ReadToEnd().Trim().Split('\n')[0];
            p.WaitForExit();
            return name.Length > 0 ? name : "CUDA device 0";
        }
        catch (Exception) { return "CUDA device 0"; }
    }

    static string? Metadata(string key) => typeof(TorchRuntime).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;
}
