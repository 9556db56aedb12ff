using ArcFace.Data;

namespace ArcFace.Tests.Data;

public class VerificationBinTests : DataTestFiles
{
    [Fact]
    public void ABinRoundTripsWithIdenticalPixelsAndPairLabels()
    {
        TestRuntime.EnsureLoaded();
        using var source = SmallSet();
        using var images = source.Images([0, 1, 2, 3]);
        VerificationBin.Write(FilePath("lfw.bin"), images, [true, false]);
        var set = VerificationBin.Read(FilePath("lfw.bin"), 16);
        Assert.Equal("lfw", set.Name);
        Assert.Equal(new[] { true, false }, set.IsSame);
        using var expected = Quantised(images);
        using var actual = set.Images.Images([0, 1, 2, 3]);
        Assert.Equal(Values(expected), Values(actual));
    }

    [Fact]
    public void ShortAndLongByteStringsRoundTripExactly()
    {
        var longBytes = Enumerable.Range(0, 300).Select(i => (byte)(i * 7)).ToArray();   // BINSTRING (≥ 256 bytes)
        var shortBytes = new byte[] { 0, 0x80, 0xff };                                     // SHORT_BINSTRING
        VerificationBin.WriteEncoded(FilePath("x.bin"), [longBytes, shortBytes, [], longBytes], [false, true]);
        var (bins, issame) = VerificationBin.ReadEncoded(FilePath("x.bin"));
        Assert.Equal(new[] { longBytes, shortBytes, [], longBytes }, bins);
        Assert.Equal(new[] { false, true }, issame);
    }

    [Fact]
    public void ReadsAPython3Protocol2Pickle()
    {
        // Made once with /usr/bin/python3: pickle.dump((bins, issame), f, protocol=2) (bytes go through _codecs.encode).
        var (bins, issame) = VerificationBin.ReadEncoded(Fixture("py3-protocol2.bin"));
        Assert.Equal(new[] { Enumerable.Range(0, 256).Select(i => (byte)i).Concat(new byte[] { 0, 0xff }).ToArray(), "abc"u8.ToArray(), [], [0x80, 0x02, 0x0a] }, bins);
        Assert.Equal(new[] { true, false }, issame);
    }

    [Fact]
    public void TheWrongStructureIsAClearError()
    {
        // A tuple of three lists.
        File.WriteAllBytes(FilePath("three.bin"), [0x80, 2, (byte)']', (byte)']', (byte)']', 0x87, (byte)'.']);
        Assert.Contains("tuple of 3 items", Assert.Throws<FaceDataException>(() => VerificationBin.ReadEncoded(FilePath("three.bin"))).Message);
        // Three images for one pair.
        VerificationBin.WriteEncoded(FilePath("odd.bin"), [[1], [2], [3]], [true]);
        Assert.Contains("3 images for 1 pairs", Assert.Throws<FaceDataException>(() => VerificationBin.ReadEncoded(FilePath("odd.bin"))).Message);
        // An integer where a bool belongs: ([b'a', b'b'], [1]).
        File.WriteAllBytes(FilePath("int.bin"), [0x80, 2, (byte)']', (byte)'(', (byte)'U', 1, (byte)'a', (byte)'U', 1, (byte)'b', (byte)'e', (byte)']', (byte)'(', (byte)'K', 1, (byte)'e', 0x86, (byte)'.']);
        var e = Assert.Throws<FaceDataException>(() => VerificationBin.ReadEncoded(FilePath("int.bin")));
        Assert.Equal(0, e.Record);
        Assert.Contains("expected a bool", e.Message);
    }

    [Fact]
    public void NumpyArraysGetAClearError()
    {
        // ([numpy.core.multiarray._reconstruct(...)], []) as some tools write it, reduced to its opcodes.
        var pickle = new List<byte> { 0x80, 2, (byte)']', (byte)'(', (byte)'c' };
        pickle.AddRange("numpy.core.multiarray\n_reconstruct\n"u8.ToArray());
        pickle.AddRange(new byte[] { (byte)')', (byte)'R', (byte)'c' });
        pickle.AddRange("numpy.core.multiarray\n_reconstruct\n"u8.ToArray());
        pickle.AddRange(new byte[] { (byte)')', (byte)'R', (byte)'e', (byte)']', (byte)'(', 0x88, (byte)'e', 0x86, (byte)'.' });
        File.WriteAllBytes(FilePath("np.bin"), pickle.ToArray());
        var e = Assert.Throws<FaceDataException>(() => VerificationBin.ReadEncoded(FilePath("np.bin")));
        Assert.Contains("numpy array", e.Message);
        Assert.Equal(0, e.Record);
    }

    [Fact]
    public void RandomBytesAreNotAPickle()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var bytes = new byte[2000];
            new Random(seed).NextBytes(bytes);
            File.WriteAllBytes(FilePath("r.bin"), bytes);
            var e = Assert.Throws<FaceDataException>(() => VerificationBin.ReadEncoded(FilePath("r.bin")));
            Assert.Equal(FilePath("r.bin"), e.File);
        }
    }
}
