using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ArcFace.Backbones;
using ArcFace.Data;
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

    /// <summary>One state_dict entry of a hand-written checkpoint: its key's pickle opcodes and its float tensor.</summary>
    internal sealed record PtEntry(byte[] Key, long Numel, long[] Shape, long[] Stride, float[] Data)
    {
        public static PtEntry Named(string key, float[] data, long[] shape, long? numel = null, long[]? stride = null) =>
            new(Unicode(key), numel ?? data.Length, shape, stride ?? Contiguous(shape), data);

        static long[] Contiguous(long[] shape)
        {
            var stride = new long[shape.Length];
            for (long i = shape.Length - 1, s = 1; i >= 0; s *= shape[i], i--) stride[i] = s;
            return stride;
        }
    }

    internal static byte[] Unicode(string s)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(s);
        return [(byte)'X', .. BitConverter.GetBytes(utf8.Length), .. utf8];
    }

    static byte[] Int(long n) => n switch
    {
        >= 0 and < 256 => [(byte)'K', (byte)n],
        >= int.MinValue and <= int.MaxValue => [(byte)'J', .. BitConverter.GetBytes((int)n)],
        _ => [0x8a, 8, .. BitConverter.GetBytes(n)],
    };

    /// <summary>
    /// A torch.save-style zip (<c>archive/data.pkl</c>, one <c>archive/data/i</c> per tensor, <c>archive/version</c>):
    /// an OrderedDict of _rebuild_tensor_v2(persistent storage, 0, shape, stride, False, OrderedDict()) at protocol 2.
    /// </summary>
    internal static void WritePt(string path, params PtEntry[] entries)
    {
        var pkl = new List<byte> { 0x80, 2 };
        pkl.AddRange("ccollections\nOrderedDict\n)R("u8.ToArray());
        for (int i = 0; i < entries.Length; i++)
        {
            var e = entries[i];
            pkl.AddRange(e.Key);
            pkl.AddRange("ctorch._utils\n_rebuild_tensor_v2\n(("u8.ToArray());
            pkl.AddRange(Unicode("storage"));
            pkl.AddRange("ctorch\nFloatStorage\n"u8.ToArray());
            pkl.AddRange(Unicode(i.ToString()));
            pkl.AddRange(Unicode("cpu"));
            pkl.AddRange(Int(e.Numel));
            pkl.AddRange("tQ"u8.ToArray());
            pkl.AddRange(Int(0));
            pkl.Add((byte)'(');
            foreach (long d in e.Shape) pkl.AddRange(Int(d));
            pkl.AddRange("t("u8.ToArray());
            foreach (long d in e.Stride) pkl.AddRange(Int(d));
            pkl.Add((byte)'t');
            pkl.Add(0x89);
            pkl.AddRange("ccollections\nOrderedDict\n)RtR"u8.ToArray());
        }
        pkl.AddRange("u."u8.ToArray());
        using var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create);
        void Add(string name, byte[] bytes)
        {
            using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
            s.Write(bytes);
        }
        Add("archive/data.pkl", [.. pkl]);
        for (int i = 0; i < entries.Length; i++) Add($"archive/data/{i}", [.. entries[i].Data.SelectMany(BitConverter.GetBytes)]);
        Add("archive/version", "3\n"u8.ToArray());
    }

    static nn.Module Linear()
    {
        torch.manual_seed(3);
        return nn.Linear(3, 2);
    }

    static readonly float[] Weight = [1, 2, 3, 4, 5, 6], Bias = [7, 8];

    [Fact]
    public void AHandWrittenCheckpointLoads()
    {
        TestRuntime.EnsureLoaded();
        string path = Path.Combine(Path.GetTempPath(), $"pt-{Guid.NewGuid():N}.pt");
        try
        {
            WritePt(path, PtEntry.Named("weight", Weight, [2, 3]), PtEntry.Named("bias", Bias, [2]));
            using var net = Linear();
            Checkpoints.LoadInsightface(net, path);
            Assert.Equal(Weight, net.state_dict()["weight"].data<float>().ToArray());
            Assert.Equal(Bias, net.state_dict()["bias"].data<float>().ToArray());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void AChangedWeightByteFailsTheCrcCheckNamingTheEntry()
    {
        TestRuntime.EnsureLoaded();
        string path = Path.Combine(Path.GetTempPath(), $"pt-{Guid.NewGuid():N}.pt");
        try
        {
            WritePt(path, PtEntry.Named("weight", Weight, [2, 3]), PtEntry.Named("bias", Bias, [2]));
            byte[] file = File.ReadAllBytes(path);
            int at = file.AsSpan().IndexOf([.. Weight.SelectMany(BitConverter.GetBytes)]);
            Assert.True(at > 0, "the weight is stored uncompressed");
            file[at + 5] ^= 0x10;
            File.WriteAllBytes(path, file);
            using var target = Linear();
            var e = Assert.Throws<FaceDataException>(() => Checkpoints.LoadInsightface(target, path));
            Assert.Equal(path, e.File);
            Assert.Contains("entry 'archive/data/0' fails its CRC-32 check", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData(100_000_000L, new long[] { 2, 3 }, "declares 100000000 elements")]     // 400 MB storage read for a 24-byte entry
    [InlineData(6L, new long[] { 20000, 20000 }, "20000×20000")]                        // 1.6 GB zeros() for 6 floats
    public void DeclaredSizesBeyondTheStoredBytesAreRefusedBeforeAllocating(long numel, long[] shape, string named)
    {
        TestRuntime.EnsureLoaded();
        string path = Path.Combine(Path.GetTempPath(), $"pt-{Guid.NewGuid():N}.pt");
        try
        {
            WritePt(path, PtEntry.Named("weight", Weight, shape, numel), PtEntry.Named("bias", Bias, [2]));
            using var net = Linear();
            long before = GC.GetTotalAllocatedBytes(precise: true);
            var e = Assert.Throws<FaceDataException>(() => Checkpoints.LoadInsightface(net, path));
            Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 16 << 20);
            Assert.Equal(path, e.File);
            Assert.Contains(named, e.Message);
            Assert.Contains("'weight'", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void IntegerAndCollidingKeysAreNamed()
    {
        TestRuntime.EnsureLoaded();
        string path = Path.Combine(Path.GetTempPath(), $"pt-{Guid.NewGuid():N}.pt");
        try
        {
            WritePt(path, PtEntry.Named("weight", Weight, [2, 3]), new PtEntry(Int(1), 2, [2], [1], Bias));
            using var net = Linear();
            var e = Assert.Throws<FaceDataException>(() => Checkpoints.LoadInsightface(net, path));
            Assert.Equal(path, e.File);
            Assert.Contains("key 1 (Int32)", e.Message);

            WritePt(path, PtEntry.Named("weight", Weight, [2, 3]), PtEntry.Named("bias", Bias, [2]), PtEntry.Named("module.bias", Bias, [2]));
            e = Assert.Throws<FaceDataException>(() => Checkpoints.LoadInsightface(net, path));
            Assert.Contains("'bias' and 'module.bias'", e.Message);
        }
        finally { File.Delete(path); }
    }
}
