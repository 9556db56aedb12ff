using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using ArcFace.Backbones;
using ArcFace.Data;
using TorchSharp;
using TorchSharp.PyBridge;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ArcFace.Tests.Fuzz;

/// <summary>
/// Seeded mutations of small valid files, one test per reader: bit flips, truncations, inserted bytes or digits, and
/// overwrites of the format's own length and size fields with hostile values (the checksum that guards a PNG header
/// recomputed, so that the size itself is what gets tested). Every failure must be a <see cref="FaceDataException"/>,
/// and the run must stay fast and small.
/// </summary>
public class ReaderFuzzTests(ITestOutputHelper output) : IDisposable
{
    const int Cases = 300;
    readonly string dir = Directory.CreateTempSubdirectory("arcface-fuzz").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>A size or length field of a format: where it is, how wide (2 or 4 bytes), which byte order.</summary>
    internal readonly record struct Field(int Offset, int Size, bool BigEndian);

    // Sizes that broke readers: limits of 16/31/32-bit integers, a 16000² image, a 20000² property, 3e9 as a float label.
    static readonly uint[] Hostile = [0, 1, 0x7fff, 0xffff, 16000, 20000, 0x7fffffff, 0x80000000, 0xffffffff, BitConverter.SingleToUInt32Bits(3e9f)];

    /// <summary>
    /// One mutation of <paramref name="valid"/>. An overwrite sets one of <paramref name="fields"/> or a pair of them
    /// (or a random aligned word when there are none) to one hostile value; <paramref name="fixup"/> then repairs what
    /// guards them.
    /// </summary>
    internal static byte[] Mutate(byte[] valid, Random random, IReadOnlyList<Field> fields, Action<byte[]>? fixup = null)
    {
        var bytes = valid.ToList();
        switch (random.Next(5))
        {
            case 0:
                for (int i = random.Next(1, 4); i > 0; i--) bytes[random.Next(bytes.Count)] ^= (byte)(1 << random.Next(8));
                return [.. bytes];
            case 1:
                return [.. bytes[..random.Next(bytes.Count)]];
            case 2:
                var inserted = new byte[random.Next(1, 9)];
                random.NextBytes(inserted);
                bytes.InsertRange(random.Next(bytes.Count + 1), inserted);
                return [.. bytes];
            case 3:
                bytes.InsertRange(random.Next(bytes.Count + 1), Enumerable.Range(0, random.Next(1, 6)).Select(_ => (byte)('0' + random.Next(10))));
                return [.. bytes];
            default:
                byte[] result = [.. bytes];
                uint value = random.Next(4) == 0 ? (uint)random.Next() : Hostile[random.Next(Hostile.Length)];
                int pick = random.Next(Math.Max(1, fields.Count));
                // Fields come in pairs (an image's width and height): often both, since one huge side alone is cheap.
                List<Field> chosen = fields.Count == 0 ? [new Field(random.Next(Math.Max(1, result.Length - 3)) & ~3, 4, false)]
                    : random.Next(2) == 0 ? [fields[pick]] : [.. fields.Skip(pick & ~1).Take(2)];
                foreach (var f in chosen.Where(f => f.Offset + f.Size <= result.Length))
                {
                    var span = result.AsSpan(f.Offset, f.Size);
                    if (f.Size == 2 && f.BigEndian) BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)value);
                    else if (f.Size == 2) BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)value);
                    else if (f.BigEndian) BinaryPrimitives.WriteUInt32BigEndian(span, value);
                    else BinaryPrimitives.WriteUInt32LittleEndian(span, value);
                }
                fixup?.Invoke(result);
                return result;
        }
    }

    /// <summary>The width and height fields of a PNG's IHDR, and the CRC repair that lets libpng accept new values.</summary>
    internal static (Field[] Fields, Action<byte[]> Fixup) PngHeader(int at) =>
        ([new(at + 16, 4, true), new(at + 20, 4, true)],
         bytes => BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at + 29), Crc32.Append(0, bytes.AsSpan(at + 12, 17))));

    /// <summary>The height and width fields of a JPEG's first SOF0 segment (baseline, as SkiaSharp encodes).</summary>
    static Field[] JpegHeader(byte[] jpeg)
    {
        int sof = jpeg.AsSpan().IndexOf([(byte)0xff, (byte)0xc0]);
        Assert.True(sof > 0, "the JPEG has a SOF0 marker");
        return [new(sof + 5, 2, true), new(sof + 7, 2, true)];
    }

    /// <summary>Runs <paramref name="attempt"/> on <see cref="Cases"/> seeds; checks failures, time and memory.</summary>
    void Run(string name, Action<Random> attempt, double seconds)
    {
        var clock = Stopwatch.StartNew();
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        using var process = Process.GetCurrentProcess();
        long peak = process.PeakWorkingSet64;
        int failed = 0;
        for (int seed = 0; seed < Cases; seed++)
        {
            try { attempt(new Random(seed)); }
            catch (FaceDataException) { failed++; }
            catch (Exception e) { Assert.Fail($"{name}, seed {seed}: {e.GetType().Name} instead of FaceDataException: {e.Message}"); }
        }
        clock.Stop();
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        process.Refresh();
        long grown = process.PeakWorkingSet64 - peak;
        output.WriteLine($"{name}: {Cases} mutations, {failed} FaceDataException, {Cases - failed} read; {clock.Elapsed.TotalSeconds:F2} s, " +
            $"{allocated >> 20} MiB allocated, peak working set +{grown >> 20} MiB");
        Assert.True(clock.Elapsed.TotalSeconds < seconds, $"{name} took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(allocated < 256L << 20, $"{name} allocated {allocated >> 20} MiB");
        Assert.True(grown < 256L << 20, $"{name} grew the peak working set by {grown >> 20} MiB");
    }

    [Fact]
    public void RecordIOFilesAndProperty()
    {
        TestRuntime.EnsureLoaded();
        string valid = Path.Combine(dir, "valid");
        using (var set = SynthFaces.TrainingSet(new SynthFacesOptions(Identities: 2, ImagesPerIdentity: 2, ImageSize: 8, Seed: 1)))
            RecordIODataset.Write(valid, set);
        string[] names = ["train.rec", "train.idx", "property"];
        var originals = names.ToDictionary(n => n, n => File.ReadAllBytes(Path.Combine(valid, n)));
        // Per record: the frame's length word, the image header's flag and label, the first array label.
        var recFields = new List<Field>();
        using (var reader = new RecordIOReader(Path.Combine(valid, "train.rec")))
            foreach (var (offset, _) in reader.ReadAll())
                recFields.AddRange([new((int)offset + 4, 4, false), new((int)offset + 8, 4, false), new((int)offset + 12, 4, false), new((int)offset + 32, 4, false)]);
        string work = Path.Combine(dir, "work");
        Directory.CreateDirectory(work);
        Run("RecordIO", random =>
        {
            string victim = names[random.Next(names.Length)];
            foreach (var n in names)
                File.WriteAllBytes(Path.Combine(work, n), n != victim ? originals[n] : Mutate(originals[n], random, n == "train.rec" ? recFields : []));
            using var read = new RecordIODataset(work);
            using var scope = NewDisposeScope();
            read.Images(Enumerable.Range(0, read.Count).ToArray());
        }, seconds: 10);
    }

    [Fact]
    public void VerificationBin()
    {
        TestRuntime.EnsureLoaded();
        string path = Path.Combine(dir, "v.bin");
        using (var set = SynthFaces.TrainingSet(new SynthFacesOptions(Identities: 2, ImagesPerIdentity: 2, ImageSize: 8, Seed: 2)))
        using (var images = set.Images([0, 1, 2, 3]))
            ArcFace.Data.VerificationBin.Write(path, images, [true, false]);
        byte[] valid = File.ReadAllBytes(path);
        // The byte-string length fields WriteEncoded wrote (SHORT_BINSTRING 'U' n, BINSTRING 'T' n32) and the PNGs' sizes.
        var fields = new List<Field>();
        var fixups = new List<Action<byte[]>>();
        for (int at = 4; valid[at] is (byte)'U' or (byte)'T';)
        {
            bool wide = valid[at] == (byte)'T';
            int length = wide ? BinaryPrimitives.ReadInt32LittleEndian(valid.AsSpan(at + 1)) : valid[at + 1];
            if (wide) fields.Add(new(at + 1, 4, false));
            var (png, fixup) = PngHeader(at + (wide ? 5 : 2));
            fields.AddRange(png);
            fixups.Add(fixup);
            at += (wide ? 5 : 2) + length;
        }
        Assert.Equal(8, fields.Count(f => f.BigEndian));
        Run("verification .bin", random =>
        {
            File.WriteAllBytes(path, Mutate(valid, random, fields, bytes => fixups.ForEach(f => f(bytes))));
            using var scope = NewDisposeScope();
            ArcFace.Data.VerificationBin.Read(path, 8);
        }, seconds: 10);
    }

    [Fact]
    public void ImageCodec()
    {
        TestRuntime.EnsureLoaded();
        byte[] png, jpeg;
        using (var set = SynthFaces.TrainingSet(new SynthFacesOptions(Identities: 1, ImagesPerIdentity: 1, ImageSize: 16, Seed: 3)))
        using (var image = set.Images([0]))
        using (var one = image[0])
        {
            png = ArcFace.Data.ImageCodec.EncodePng(one);
            jpeg = ArcFace.Data.ImageCodec.EncodeJpeg(one);
        }
        var (pngFields, pngFixup) = PngHeader(0);
        var jpegFields = JpegHeader(jpeg);
        var chw = new float[3 * 16 * 16];
        Run("image codec", random =>
        {
            byte[] mutated = random.Next(2) == 0 ? Mutate(png, random, pngFields, pngFixup) : Mutate(jpeg, random, jpegFields);
            ArcFace.Data.ImageCodec.Decode(mutated, 16, chw, "fuzz.img", 0, 0);
        }, seconds: 10);
    }

    [Fact]
    public void PtCheckpoint()
    {
        TestRuntime.EnsureLoaded();
        string path = Path.Combine(dir, "model.pt");
        torch.manual_seed(4);
        using var source = nn.Linear(3, 2);
        source.save_py(path);
        byte[] valid = File.ReadAllBytes(path);
        var entries = ReadZip(valid);
        string pklName = entries.Keys.Single(k => k.EndsWith("data.pkl"));
        // PyBridge writes small ints as BININT1 'K' n; the same pickle with BININT 'J' n32 gives the numel and shape
        // fields room for hostile values. (No 'K' byte occurs inside this pickle's strings: the load below checks.)
        byte[] pkl = Widen(entries[pklName]);
        entries[pklName] = pkl;
        valid = WriteZip(entries);
        File.WriteAllBytes(path, valid);
        using (var check = nn.Linear(3, 2))
        {
            Checkpoints.LoadInsightface(check, path);
            Assert.Equal(source.state_dict()["weight"].data<float>().ToArray(), check.state_dict()["weight"].data<float>().ToArray());
        }
        // The zip's own size fields (local headers: sizes at +18, +22; central directory: +20, +24) and the pickle's
        // 4-byte integers (BININT 'J': numel, shapes), whose changes are then re-zipped with correct CRCs.
        var zipFields = new List<Field>();
        for (int at = 0; (at = valid.AsSpan(at).IndexOf("PK"u8) is var i and >= 0 ? at + i : -1) >= 0; at += 2)
        {
            if (valid.AsSpan(at).StartsWith((ReadOnlySpan<byte>)[0x50, 0x4b, 3, 4])) zipFields.AddRange([new(at + 18, 4, false), new(at + 22, 4, false)]);
            if (valid.AsSpan(at).StartsWith((ReadOnlySpan<byte>)[0x50, 0x4b, 1, 2])) zipFields.AddRange([new(at + 20, 4, false), new(at + 24, 4, false)]);
        }
        var pklFields = Enumerable.Range(0, pkl.Length - 4).Where(i => pkl[i] == (byte)'J').Select(i => new Field(i + 1, 4, false)).ToList();
        Assert.NotEmpty(zipFields);
        Assert.NotEmpty(pklFields);
        var weight = source.state_dict()["weight"].data<float>().ToArray();
        var bias = source.state_dict()["bias"].data<float>().ToArray();
        using var target = nn.Linear(3, 2);
        int loaded = 0;
        Run(".pt checkpoint", random =>
        {
            File.WriteAllBytes(path, random.Next(2) == 0 ? Mutate(valid, random, zipFields)
                : WriteZip(entries.ToDictionary(e => e.Key, e => e.Key == pklName ? Mutate(pkl, random, pklFields) : e.Value)));
            using (no_grad()) { target.state_dict()["weight"].zero_(); target.state_dict()["bias"].zero_(); }
            try { Checkpoints.LoadInsightface(target, path); }
            catch (CheckpointMismatchException) { return; }   // a readable file whose keys or shapes differ
            loaded++;
            // Whatever loads must be the saved weights: the CRC-32 of every entry stands between a mutation and a tensor.
            Assert.Equal(weight, target.state_dict()["weight"].data<float>().ToArray());
            Assert.Equal(bias, target.state_dict()["bias"].data<float>().ToArray());
        }, seconds: 15);
        output.WriteLine($".pt checkpoint: {loaded} mutated files loaded, all with the saved weights");
    }

    static byte[] Widen(byte[] pkl)
    {
        var wide = new List<byte>();
        for (int i = 0; i < pkl.Length; i++)
            if (pkl[i] == (byte)'K' && i + 1 < pkl.Length) wide.AddRange([(byte)'J', pkl[++i], 0, 0, 0]);
            else wide.Add(pkl[i]);
        return [.. wide];
    }

    static Dictionary<string, byte[]> ReadZip(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        return archive.Entries.ToDictionary(e => e.FullName, e =>
        {
            using var data = e.Open();
            var bytes = new MemoryStream();
            data.CopyTo(bytes);
            return bytes.ToArray();
        });
    }

    static byte[] WriteZip(Dictionary<string, byte[]> entries)
    {
        var bytes = new MemoryStream();
        using (var archive = new ZipArchive(bytes, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, data) in entries)
            {
                using var s = archive.CreateEntry(name, CompressionLevel.NoCompression).Open();
                s.Write(data);
            }
        return bytes.ToArray();
    }
}
