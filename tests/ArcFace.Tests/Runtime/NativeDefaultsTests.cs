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

    [DllImport("libc")]
    static extern nint getenv(string name);

    [DllImport("libc")]
    static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc")]
    static extern int unsetenv(string name);
}
