using System.Text.RegularExpressions;

namespace ArcFace.Notebooks.Tests;

public class DoctorTests
{
    [Fact]
    public void DoctorReportsTheCpuBackendTheDeviceAndAHeadTiming()
    {
        var (code, output) = TestHost.Run("doctor", ("ARCFACE_DEVICE", "auto"));
        Assert.True(code == 0, output);
        Assert.Matches(new Regex(@"^backend\s+cpu \(libtorch-cpu-linux-x64 2\.10\.0\)$", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^device\s+cpu$", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^cuda available\s+no$", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^arcface head\s+fwd\+bwd B=256 D=512 C=10000: \d+\.\d ms/step \(loss 4\d\.\d\d\)$", RegexOptions.Multiline), output);
    }

    [Fact]
    public void DoctorNamesABadSettingAndFails()
    {
        var (code, output) = TestHost.Run("doctor", ("ARCFACE_DEVICE", "tpu"));
        Assert.NotEqual(0, code);
        Assert.Contains("ARCFACE_DEVICE", output);
        Assert.Contains("auto, cpu, cuda", output);
    }
}
