using System.Buffers.Binary;
using System.Collections;
using Razorvine.Pickle;
using Razorvine.Pickle.Objects;
using static TorchSharp.torch;

namespace ArcFace.Data;

/// <summary>
/// insightface's verification <c>.bin</c> files (lfw.bin, cfp_fp.bin, agedb_30.bin): a Python pickle of
/// <c>(bins, issame_list)</c>, where <c>bins</c> holds 2P encoded images (pair i = bins[2i], bins[2i+1]) and
/// <c>issame_list</c> P bools. Read with Razorvine.Pickle, accepting byte strings and bools, or their numpy forms:
/// uint8 arrays holding the encoded image (what <c>cv2.imencode</c> returns), numpy bools and a numpy bool array.
/// </summary>
public static class VerificationBin
{
    static VerificationBin() => NumpyArray.RegisterConstructors();

    /// <summary>
    /// Reads <paramref name="path"/> and decodes every image to <paramref name="imageSize"/> (short side resized if
    /// needed), in parallel. The set's name is the file name without extension.
    /// </summary>
    public static VerificationSet Read(string path, int imageSize = 112)
    {
        var (bins, issame) = ReadEncoded(path);
        var images = ImageCodec.DecodeBatch(bins.Length, imageSize, i => (bins[i], path, i, null));
        return new VerificationSet(Path.GetFileNameWithoutExtension(path), new TensorFaceDataset(images, new int[bins.Length], 1), issame);
    }

    /// <summary>The encoded images and pair labels of <paramref name="path"/>, undecoded.</summary>
    public static (byte[][] Bins, bool[] IsSame) ReadEncoded(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: verification .bin not found.", path);
        byte[] file = File.ReadAllBytes(path);
        object root;
        try
        {
            using var unpickler = new Unpickler();
            root = unpickler.loads(file);
        }
        catch (Exception e) when (e is not OutOfMemoryException)   // Razorvine reports garbage with many exception types
        {
            throw new FaceDataException(path, null, null, $"not a readable Python pickle ({e.GetType().Name}: {e.Message}); expected (list of encoded images, list of bools).", e);
        }
        if (root is not object[] { Length: 2 } tuple || tuple[0] is not IList binsList)
            throw new FaceDataException(path, null, null, $"the pickle holds {Describe(root)}; expected a tuple (list of encoded images, list of bools).");
        var issame = tuple[1] switch
        {
            IList list => Bools(list, path),
            NumpyArray { DType: "b1", IsVector: true } array => array.Bytes(path, 0, "the pair labels").Select(b => b != 0).ToArray(),
            var other => throw new FaceDataException(path, null, null, $"the pair labels are {Describe(other)}; expected a list of bools or a numpy bool vector."),
        };
        if (binsList.Count != 2 * issame.Length)
            throw new FaceDataException(path, null, null, $"{binsList.Count} images for {issame.Length} pairs; expected two images per pair.");
        var bins = new byte[binsList.Count][];
        for (int i = 0; i < bins.Length; i++)
            bins[i] = binsList[i] switch
            {
                byte[] b => b,
                string s => Latin1(s, path, i),
                NumpyArray { DType: "u1" or "i1", IsVector: true } a => a.Bytes(path, i, $"image {i}"),
                NumpyArray a => throw new FaceDataException(path, i, null, $"image {i} is {Describe(a)}; this reader takes encoded JPEG/PNG bytes (a uint8 vector, as cv2.imencode gives), as insightface's own .bin files hold."),
                var other => throw new FaceDataException(path, i, null, $"image {i} is {Describe(other)}; expected encoded JPEG/PNG bytes."),
            };
        return (bins, issame);
    }

    /// <summary>
    /// Writes a <c>.bin</c> as insightface's Python-2 tools did: pickle protocol 2 of (list of byte strings, list of
    /// bools), images as PNG (lossless) or JPEG of <paramref name="jpegQuality"/>. Python 3 loads it with
    /// <c>pickle.load(f, encoding='bytes')</c>.
    /// </summary>
    public static void Write(string path, Tensor images, bool[] issame, int? jpegQuality = null)
    {
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[0] != 2L * issame.Length)
            throw new ArgumentException($"expected {2 * issame.Length} images 3 × H × W for {issame.Length} pairs, got [{string.Join(", ", images.shape)}].", nameof(images));
        var slices = Enumerable.Range(0, (int)images.shape[0]).Select(i => images[i]).ToArray();
        var bins = new byte[slices.Length][];
        Parallel.For(0, slices.Length, i => bins[i] = jpegQuality is { } q ? ImageCodec.EncodeJpeg(slices[i], q) : ImageCodec.EncodePng(slices[i]));
        foreach (var s in slices) s.Dispose();
        WriteEncoded(path, bins, issame);
    }

    /// <summary>Writes a verification set (its images in pair order) to <paramref name="path"/>.</summary>
    public static void Write(string path, VerificationSet set, int? jpegQuality = null)
    {
        using var scope = NewDisposeScope();
        Write(path, set.Images.Images(Enumerable.Range(0, set.Images.Count).ToArray()), set.IsSame, jpegQuality);
    }

    /// <summary>Writes already-encoded images and pair labels as a protocol-2 pickle.</summary>
    public static void WriteEncoded(string path, IReadOnlyList<byte[]> bins, IReadOnlyList<bool> issame)
    {
        using var file = new BufferedStream(File.Create(path));
        Span<byte> length = stackalloc byte[4];
        file.Write([0x80, 2, (byte)']', (byte)'(']);                  // PROTO 2, EMPTY_LIST, MARK
        foreach (var b in bins)
        {
            if (b.Length < 256) file.Write([(byte)'U', (byte)b.Length]);  // SHORT_BINSTRING
            else
            {
                file.WriteByte((byte)'T');                                  // BINSTRING
                BinaryPrimitives.WriteInt32LittleEndian(length, b.Length);
                file.Write(length);
            }
            file.Write(b);
        }
        file.Write([(byte)'e', (byte)']', (byte)'(']);                  // APPENDS, EMPTY_LIST, MARK
        foreach (bool same in issame) file.WriteByte(same ? (byte)0x88 : (byte)0x89);  // NEWTRUE / NEWFALSE
        file.Write([(byte)'e', 0x86, (byte)'.']);                        // APPENDS, TUPLE2, STOP
    }

    static bool[] Bools(IList list, string path)
    {
        var bools = new bool[list.Count];
        for (int i = 0; i < bools.Length; i++)
            bools[i] = list[i] switch
            {
                bool b => b,
                NumpyArray { DType: "b1" } a when a.Bytes(path, i, $"pair label {i}") is [var value] => value != 0,
                var other => throw new FaceDataException(path, i, null, $"pair label {i} is {Describe(other)}; expected a bool."),
            };
        return bools;
    }

    // Python 2 byte strings come back from Razorvine as strings of chars 0…255, one per byte.
    static byte[] Latin1(string s, string path, int index)
    {
        var bytes = new byte[s.Length];
        for (int i = 0; i < s.Length; i++)
            bytes[i] = s[i] <= 0xff ? (byte)s[i] : throw new FaceDataException(path, index, null, $"image {index} is a text string (character U+{(int)s[i]:X4}); expected encoded JPEG/PNG bytes.");
        return bytes;
    }

    static string Describe(object? o) => o switch
    {
        null => "None",
        ClassDict d => $"a Python object of class {d.ClassName}",
        NumpyArray a => $"a numpy array of dtype {a.DType ?? "unknown"} and shape {a.Shape}",
        object[] t => $"a tuple of {t.Length} items",
        IList l => $"a list of {l.Count} items",
        _ => $"a {o.GetType().Name}",
    };
}
