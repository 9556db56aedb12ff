using ArcFace.Backbones;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace ArcFace.Tests.Backbones;

public class CheckpointTests
{
    static IResNet Small(int seed, OutputSetting output = OutputSetting.E)
    {
        torch.manual_seed(seed);
        return IResNet.Create("r18", embeddingSize: 16, inputSize: 32, widthMultiplier: 0.125, output: output);
    }

    [Fact]
    public void PyTorchStateDictRoundTripsExactly()
    {
        TestRuntime.EnsureLoaded();
        string path = Path.Combine(Path.GetTempPath(), $"iresnet-{Guid.NewGuid():N}.pt");
        try
        {
            using var source = Small(1);
            // Non-default running statistics and a counter, so buffers are checked as well as weights.
            source.train();
            source.call(randn(4, 3, 32, 32)).Dispose();
            source.save_py(path);
            using var target = Small(2);
            Checkpoints.LoadInsightface(target, path);
            var expected = source.state_dict();
            var actual = target.state_dict();
            Assert.Equal(expected.Keys, actual.Keys);
            foreach (var key in expected.Keys) Assert.True(expected[key].eq(actual[key]).all().item<bool>(), key);
            Assert.Equal(1L, actual["bn1.num_batches_tracked"].item<long>());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MismatchedKeysAreListed()
    {
        TestRuntime.EnsureLoaded();
        string path = Path.Combine(Path.GetTempPath(), $"iresnet-{Guid.NewGuid():N}.pt");
        try
        {
            using (var setB = Small(1, OutputSetting.B)) setB.save_py(path);   // no features BN; fc is 64→16
            using var setE = Small(2);
            var before = setE.state_dict()["conv1.weight"].clone();
            var e = Assert.Throws<CheckpointMismatchException>(() => Checkpoints.LoadInsightface(setE, path));
            Assert.Contains("Missing keys (5): features.weight, features.bias, features.running_mean, features.running_var, features.num_batches_tracked", e.Message);
            Assert.Contains("Unexpected keys (0): none", e.Message);
            Assert.Contains("fc.weight [16×64] in the file, [16×256] in the model", e.Message);
            Assert.True(before.eq(setE.state_dict()["conv1.weight"]).all().item<bool>(), "nothing is loaded on a mismatch");
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        TestRuntime.EnsureLoaded();
        using var net = Small(1);
        var e = Assert.Throws<FileNotFoundException>(() => Checkpoints.LoadInsightface(net, "/nonexistent/model.pt"));
        Assert.Contains("/nonexistent/model.pt", e.Message);
    }
}
