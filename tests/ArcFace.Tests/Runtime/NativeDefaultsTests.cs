using System.Runtime.InteropServices;
using ArcFace.Runtime;

namespace ArcFace.Tests.Runtime;

public class NativeDefaultsTests
{
    [Fact]
    public void AfterInitializeOpenMpThreadsWaitPassively()
    {
        if (!OperatingSystem.IsLinux()) return;
        TestRuntime.EnsureLoaded();
        // The C library's environment, which libgomp reads; .NET's Environment keeps a copy of its own on Unix.
        Assert.Equal("PASSIVE", Marshal.PtrToStringUTF8(getenv("OMP_WAIT_POLICY")));
    }

    [Fact]
    public void ANativeDefaultKeepsTheUsersValue()
    {
        if (!OperatingSystem.IsLinux()) return;
        setenv("ARCFACE_TEST_WAIT_POLICY", "ACTIVE", 1);
        unsetenv("ARCFACE_TEST_UNSET_POLICY");
        TorchRuntime.SetNativeEnvironmentDefault("ARCFACE_TEST_WAIT_POLICY", "PASSIVE");
        TorchRuntime.SetNativeEnvironmentDefault("ARCFACE_TEST_UNSET_POLICY", "PASSIVE");
        Assert.Equal("ACTIVE", Marshal.PtrToStringUTF8(getenv("ARCFACE_TEST_WAIT_POLICY")));
        Assert.Equal("PASSIVE", Marshal.PtrToStringUTF8(getenv("ARCFACE_TEST_UNSET_POLICY")));
    }

    [Fact]
    public void AfterInitializeLargeBlocksStayOffTheHeapEvenAfterOneWasFreed()
    {
        if (!OperatingSystem.IsLinux()) return;
        TestRuntime.EnsureLoaded();
        const nuint size = 4 << 20;
        // With glibc's dynamic mmap threshold, freeing a mapped 4 MiB block raises the threshold above 4 MiB, so the
        // next one comes from the heap, which keeps it when it is freed: the RSS floor creeps.
        free(malloc(size));
        nint block = malloc(size);
        try
        {
            // glibc's chunk header, the word before the block, has bit 1 (IS_MMAPPED) set for a mapped block.
            Assert.True((Marshal.ReadInt64(block, -8) & 2) != 0, "a 4 MiB block came from the heap: the fixed mmap threshold is not in force");
        }
        finally { free(block); }
    }

    [DllImport("libc")]
    static extern nint getenv(string name);

    [DllImport("libc")]
    static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc")]
    static extern int unsetenv(string name);

    [DllImport("libc")]
    static extern nint malloc(nuint size);

    [DllImport("libc")]
    static extern void free(nint block);
}
