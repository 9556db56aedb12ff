using ArcFace.Runtime;

// libtorch's default generator is process-wide: tests that seed it and then draw must not interleave.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace ArcFace.Tests;

/// <summary>Loads libtorch once for the test process, on the CPU with built-in settings.</summary>
public static class TestRuntime
{
    static readonly Lazy<RuntimeInfo> info = new(() => TorchRuntime.Initialize(
        Settings.Default(AppContext.BaseDirectory) with { Device = DevicePolicy.Cpu }));

    public static RuntimeInfo EnsureLoaded() => info.Value;
}
