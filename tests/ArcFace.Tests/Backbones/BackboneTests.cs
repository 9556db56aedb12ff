using ArcFace.Backbones;
using ArcFace.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Tests.Backbones;

public class BackboneTests
{
    // Reference §5.1 (computed from arcface_torch's iresnet.py, 512-d head at 112×112; OpenVINO lists 34.129M /
    // 43.576M / 65.131M for LResNet34E/50E/100E-IR).
    [Theory]
    [InlineData("r18", 24.0)]
    [InlineData("r34", 34.1)]
    [InlineData("r50", 43.6)]
    [InlineData("r100", 65.2)]
    public void ParameterCountsMatchInsightface(string depth, double millions)
    {
        TestRuntime.EnsureLoaded();
        using var net = IResNet.Create(depth);
        Assert.Equal(millions, ModelStats.Parameters(net) / 1e6, 0.05);
    }

    [Theory]
    [InlineData("r50", 6.31)]
    [InlineData("r100", 12.09)]
    public void MacsMatchInsightfaceWithinTwoPercent(string depth, double giga)
    {
        TestRuntime.EnsureLoaded();
        using var net = IResNet.Create(depth);
        double macs = ModelStats.Macs(net, 112) / 1e9;
        Assert.InRange(macs, giga * 0.98, giga * 1.02);
    }

    [Fact]
    public void StateDictKeysFollowArcfaceTorchNames()
    {
        TestRuntime.EnsureLoaded();
        using var net = IResNet.Create("r18");
        var keys = net.state_dict().Keys.ToList();
        // arcface_torch r18: stem 7 entries (conv1, bn1 ×5, prelu), 8 units × 18 (three BNs ×5, two convs, prelu),
        // 4 downsample pairs × 6, head 12 (bn2 ×5, fc ×2, features ×5) = 187.
        Assert.Equal(187, keys.Count);
        foreach (var key in new[] { "conv1.weight", "bn1.running_var", "prelu.weight", "layer1.0.bn1.weight", "layer1.0.conv1.weight",
            "layer1.0.bn2.num_batches_tracked", "layer1.0.prelu.weight", "layer1.0.conv2.weight", "layer1.0.bn3.bias",
            "layer1.0.downsample.0.weight", "layer1.0.downsample.1.running_mean", "layer4.1.conv2.weight", "bn2.weight",
            "fc.weight", "fc.bias", "features.weight", "features.running_var" })
            Assert.Contains(key, keys);
        Assert.DoesNotContain("layer1.1.downsample.0.weight", keys);
        Assert.Equal([512, 512 * 7 * 7], net.state_dict()["fc.weight"].shape);
    }

    [Fact]
    public void EmbeddingBatchNormGammaIsFixedAtOne()
    {
        TestRuntime.EnsureLoaded();
        using var net = IResNet.Create("r18", embeddingSize: 32, inputSize: 32, widthMultiplier: 0.125);
        var gamma = net.named_parameters().Single(p => p.name == "features.weight").parameter;
        Assert.False(gamma.requires_grad);
        Assert.All(gamma.data<float>().ToArray(), g => Assert.Equal(1f, g));
        Assert.All(net.named_parameters().Where(p => p.name != "features.weight"), p => Assert.True(p.parameter.requires_grad));
    }

    [Theory]
    [InlineData(OutputSetting.A, 32)]
    [InlineData(OutputSetting.B, 24)]
    [InlineData(OutputSetting.C, 24)]
    [InlineData(OutputSetting.D, 24)]
    [InlineData(OutputSetting.E, 24)]
    public void OutputSettingsGiveTheEmbeddingShape(OutputSetting output, int expected)
    {
        TestRuntime.EnsureLoaded();
        // Width 0.0625 makes the last stage 32 channels: setting A's pooled map is the embedding.
        using var net = IResNet.Create("r18", embeddingSize: 24, inputSize: 32, widthMultiplier: 0.0625, output: output);
        net.eval();
        using var y = net.call(randn(2, 3, 32, 32));
        Assert.Equal([2L, expected], y.shape);
        Assert.Equal(expected, net.EmbeddingSize);
    }

    [Fact]
    public void MacsOfASingleConvFollowTheFormula()
    {
        TestRuntime.EnsureLoaded();
        // 3→8 conv3×3 without bias on 10×10 (padding 1): 8·10·10 outputs × 27 MACs = 21,600; BN: 2 × 800; PReLU: 800.
        using var net = nn.Sequential(nn.Conv2d(3, 8, 3, padding: 1, bias: false), nn.BatchNorm2d(8), nn.PReLU(8));
        Assert.Equal(21_600 + 1_600 + 800, ModelStats.Macs(net, 10));
    }

    [Fact]
    public void MobileFaceNetHasTheGdcHeadAndArcfaceTorchSize()
    {
        TestRuntime.EnsureLoaded();
        using var net = MobileFaceNet.Create();
        // Reference §5.2: arcface_torch "mbf" ≈ 2.06M parameters, ≈ 0.44 GMACs.
        Assert.Equal(2.06, ModelStats.Parameters(net) / 1e6, 0.05);
        Assert.InRange(ModelStats.Macs(net, 112) / 1e9, 0.40, 0.48);
        var keys = net.state_dict().Keys.ToList();
        Assert.Contains("layers.0.layers.0.weight", keys);
        Assert.Contains("conv_sep.layers.0.weight", keys);
        Assert.Contains("features.layers.0.layers.0.weight", keys);   // GDC depthwise 7×7
        Assert.Equal([512L, 1, 7, 7], net.state_dict()["features.layers.0.layers.0.weight"].shape);
        Assert.Contains("features.layers.2.weight", keys);   // Linear without bias, then BN1d
        Assert.Contains("features.layers.3.running_var", keys);
        Assert.Contains("layers.3.layers.0.layers.0.layers.0.weight", keys);
    }

    [Fact]
    public void BackboneFromTheSmokeProfile()
    {
        TestRuntime.EnsureLoaded();
        using var net = Backbone.Create(RunProfile.Smoke);
        net.eval();
        using var y = net.call(randn(2, 3, 32, 32));
        Assert.Equal([2L, 128], y.shape);
        Assert.Throws<ArgumentException>(() => Backbone.Create(RunProfile.Smoke with { Backbone = "r99" }));
    }

    [Fact]
    public void TheProfilesOutputSettingReachesTheBackbone()
    {
        TestRuntime.EnsureLoaded();
        var a = RunProfile.Smoke with { Output = OutputSetting.A };
        using var fromProfile = Backbone.Create(a);
        using var direct = IResNet.Create("r18", 128, 32, 0.25, OutputSetting.A);
        using var e = Backbone.Create(RunProfile.Smoke);
        // A (global pooling) has no FC: 2·2·128 inputs × 128 outputs + bias fewer weights than E's BN-Dropout-FC-BN.
        Assert.Equal(ModelStats.Parameters(direct), ModelStats.Parameters(fromProfile));
        Assert.True(ModelStats.Parameters(e) - ModelStats.Parameters(fromProfile) >= 2 * 2 * 128 * 128);
    }
}
