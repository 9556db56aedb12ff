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

    /// <summary>
    /// pickle.dumps(numpy.array([True, False]), protocol=2) under Python 3 and numpy 1.x, opcode by opcode (BINPUT memo
    /// stores included): _reconstruct(ndarray, (0,), b'b') then BUILD (1, (2,), dtype('b1'), False, b'\x01\x00'),
    /// byte strings going through _codecs.encode(str, 'latin1') as Python 3 writes them at protocol 2.
    /// </summary>
    static readonly byte[] NumpyBoolArray =
    [
        0x80, 2, .."cnumpy.core.multiarray\n_reconstruct\n"u8, (byte)'q', 0, .."cnumpy\nndarray\n"u8, (byte)'q', 1,
        (byte)'K', 0, 0x85, (byte)'q', 2,
        .."c_codecs\nencode\n"u8, (byte)'q', 3, (byte)'X', 1, 0, 0, 0, (byte)'b', (byte)'q', 4, (byte)'X', 6, 0, 0, 0, .."latin1"u8, (byte)'q', 5,
        0x86, (byte)'q', 6, (byte)'R', (byte)'q', 7, 0x87, (byte)'q', 8, (byte)'R', (byte)'q', 9,
        (byte)'(', (byte)'K', 1, (byte)'K', 2, 0x85, (byte)'q', 10,
        .."cnumpy\ndtype\n"u8, (byte)'q', 11, (byte)'X', 2, 0, 0, 0, .."b1"u8, (byte)'q', 12, 0x89, 0x88, 0x87, (byte)'q', 13, (byte)'R', (byte)'q', 14,
        (byte)'(', (byte)'K', 3, (byte)'X', 1, 0, 0, 0, (byte)'|', (byte)'q', 15, (byte)'N', (byte)'N', (byte)'N',
        (byte)'J', 0xff, 0xff, 0xff, 0xff, (byte)'J', 0xff, 0xff, 0xff, 0xff, (byte)'K', 0, (byte)'t', (byte)'q', 16, (byte)'b',
        0x89, (byte)'h', 3, (byte)'X', 2, 0, 0, 0, 1, 0, (byte)'q', 17, (byte)'h', 5, 0x86, (byte)'q', 18, (byte)'R', (byte)'q', 19,
        (byte)'t', (byte)'q', 20, (byte)'b',
    ];

    /// <summary>
    /// A uint8 numpy array as numpy pickles it at protocol 3+ (raw bytes as SHORT_BINBYTES or BINBYTES): what
    /// <c>cv2.imencode(".png", img)[1]</c> gives, shape (<paramref name="rows"/>, 1), by default one row per byte.
    /// </summary>
    static byte[] NumpyUint8Column(byte[] data, int? rows = null) =>
    [
        .."cnumpy.core.multiarray\n_reconstruct\n"u8, .."cnumpy\nndarray\n"u8, (byte)'K', 0, 0x85, (byte)'C', 1, (byte)'b', 0x87, (byte)'R',
        (byte)'(', (byte)'K', 1, (byte)'M', (byte)(rows ?? data.Length), (byte)((rows ?? data.Length) >> 8), (byte)'K', 1, 0x86,
        .."cnumpy\ndtype\n"u8, (byte)'X', 2, 0, 0, 0, .."u1"u8, 0x89, 0x88, 0x87, (byte)'R',
        (byte)'(', (byte)'K', 3, (byte)'X', 1, 0, 0, 0, (byte)'|', (byte)'N', (byte)'N', (byte)'N',
        (byte)'J', 0xff, 0xff, 0xff, 0xff, (byte)'J', 0xff, 0xff, 0xff, 0xff, (byte)'K', 0, (byte)'t', (byte)'b',
        0x89, .. (data.Length < 256 ? [(byte)'C', (byte)data.Length] : (byte[])[(byte)'B', .. BitConverter.GetBytes(data.Length)]), .. data, (byte)'t', (byte)'b',
    ];

    [Fact]
    public void NumpyEncodedImagesAndABoolArrayLoad()
    {
        TestRuntime.EnsureLoaded();
        using var source = SmallSet();
        using var images = source.Images([0, 1, 2, 3]);
        var encoded = Enumerable.Range(0, 4).Select(i => ImageCodec.EncodePng(images[i])).ToArray();
        // (bins, issame) with bins a list of uint8 arrays and issame a numpy bool array, protocol 3.
        byte[] pickle = [0x80, 3, (byte)']', (byte)'(', .. encoded.SelectMany(e => NumpyUint8Column(e)), (byte)'e', .. NumpyBoolArray[2..], 0x86, (byte)'.'];
        File.WriteAllBytes(FilePath("np.bin"), pickle);
        var (bins, issame) = VerificationBin.ReadEncoded(FilePath("np.bin"));
        Assert.Equal(encoded, bins);
        Assert.Equal(new[] { true, false }, issame);
        var set = VerificationBin.Read(FilePath("np.bin"), 16);
        using var expected = Quantised(images);
        using var actual = set.Images.Images([0, 1, 2, 3]);
        Assert.Equal(Values(expected), Values(actual));
    }

    [Fact]
    public void APython3Protocol2NumpyBoolArrayAndNumpyBoolScalarsLoad()
    {
        // ([b'ab', b'cd', b'ef', b'gh'], <NumpyBoolArray>): the array is [True, False].
        byte[] bins = [(byte)']', (byte)'(', (byte)'U', 2, .."ab"u8, (byte)'U', 2, .."cd"u8, (byte)'U', 2, .."ef"u8, (byte)'U', 2, .."gh"u8, (byte)'e'];
        File.WriteAllBytes(FilePath("array.bin"), [0x80, 2, .. bins, .. NumpyBoolArray[2..], 0x86, (byte)'.']);
        Assert.Equal(new[] { true, false }, VerificationBin.ReadEncoded(FilePath("array.bin")).IsSame);

        // issame as [numpy.False_, numpy.True_]: numpy.core.multiarray.scalar(dtype('b1'), b'\x00' / b'\x01').
        static byte[] Scalar(byte value) =>
        [
            .."cnumpy.core.multiarray\nscalar\n"u8, .."cnumpy\ndtype\n"u8, (byte)'X', 2, 0, 0, 0, .."b1"u8, 0x89, 0x88, 0x87, (byte)'R',
            (byte)'(', (byte)'K', 3, (byte)'X', 1, 0, 0, 0, (byte)'|', (byte)'N', (byte)'N', (byte)'N',
            (byte)'J', 0xff, 0xff, 0xff, 0xff, (byte)'J', 0xff, 0xff, 0xff, 0xff, (byte)'K', 0, (byte)'t', (byte)'b',
            (byte)'C', 1, value, 0x86, (byte)'R',
        ];
        File.WriteAllBytes(FilePath("scalars.bin"), [0x80, 3, .. bins, (byte)']', (byte)'(', .. Scalar(0), .. Scalar(1), (byte)'e', 0x86, (byte)'.']);
        Assert.Equal(new[] { false, true }, VerificationBin.ReadEncoded(FilePath("scalars.bin")).IsSame);
    }

    [Fact]
    public void ANumpyArrayWhoseShapeDoesNotFitItsBytesIsAClearError()
    {
        byte[] bad = NumpyUint8Column([1, 2], rows: 3);
        byte[] pickle = [0x80, 3, (byte)']', (byte)'(', .. bad, .. bad, (byte)'e', (byte)']', (byte)'(', 0x88, (byte)'e', 0x86, (byte)'.'];
        File.WriteAllBytes(FilePath("short.bin"), pickle);
        var e = Assert.Throws<FaceDataException>(() => VerificationBin.ReadEncoded(FilePath("short.bin")));
        Assert.Equal(0, e.Record);
        Assert.Contains("shape (3, 1)", e.Message);
        Assert.Contains("2 bytes", e.Message);
    }
}
