using ArcFace.Runtime;
using TorchSharp;

namespace ArcFace.Tests.Runtime;

public class TorchLoadTests
{
    [Fact]
    public void LibTorchLoadsAndRandnMatchesPyTorch()
    {
        TestRuntime.EnsureLoaded();
        torch.manual_seed(0);
        float[] values = torch.randn(5).data<float>().ToArray();
        float[] pytorch = [1.5410f, -0.2934f, -2.1788f, 0.5684f, -1.0845f];
        for (int i = 0; i < 5; i++) Assert.Equal(pytorch[i], values[i], 1e-4f);
    }

    [Fact]
    public void LoaderDiagnosisIsNullOnceTheBuildPatchedTheLibrary()
    {
        TestRuntime.EnsureLoaded();
        Assert.Null(TorchRuntime.LoaderDiagnosis());
    }

    [Fact]
    public void AnUnpatchedLibraryIsDiagnosedWithTheLoadersOwnMessage()
    {
        TestRuntime.EnsureLoaded();
        if (ArcFace.ElfPatch.ElfVersionPatcher.SystemLibStdCxxDefines("GLIBCXX_3.4.32")) return; // nothing to diagnose on GCC 13+ systems
        string dir = Directory.CreateTempSubdirectory("unpatched").FullName;
        try
        {
            string copy = Path.Combine(dir, "libLibTorchSharp.so");
            File.Copy(Path.Combine(ElfPatcherTests.NuGetPackages(), "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so"), copy);
            string? message = TorchRuntime.LoaderDiagnosis(copy);
            Assert.NotNull(message);
            Assert.Contains("GLIBCXX_3.4.32", message);
            Assert.Contains(copy, message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void RuntimeReportsCpuBackendAndTheLoadedFolder()
    {
        var info = TestRuntime.EnsureLoaded();
        Assert.Equal("cpu", info.Backend);
        Assert.Equal("2.10.0", info.LibTorchVersion);
        Assert.NotNull(info.LibTorchFolder);
        Assert.True(File.Exists(Path.Combine(info.LibTorchFolder!, "libtorch_cpu.so")));
    }
}
