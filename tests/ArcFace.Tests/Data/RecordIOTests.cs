using System.Buffers.Binary;
using ArcFace.Data;

namespace ArcFace.Tests.Data;

public class RecordIOTests : DataTestFiles
{
    [Fact]
    public void AnInsightFaceSetRoundTripsWithIdenticalPixelsAndLabels()
    {
        TestRuntime.EnsureLoaded();
        using var source = SmallSet();
        RecordIODataset.Write(Dir, source);
        using var read = new RecordIODataset(Dir);

        Assert.True(read.HasHeader);
        Assert.Equal(6, read.Count);
        Assert.Equal(3, read.Classes);
        Assert.Equal(16, read.ImageSize);
        Assert.Equal(new InsightFaceProperty(3, 16, 16), read.Property);
        var all = Enumerable.Range(0, 6).ToArray();
        Assert.Equal(all.Select(source.Label), all.Select(read.Label));
        using var expected = Quantised(source.Images(all));
        using var actual = read.Images(all);
        Assert.Equal(Values(expected), Values(actual));
    }

    [Fact]
    public void TheHeaderRecordAndIdentityRecordsFollowInsightFacesLayout()
    {
        TestRuntime.EnsureLoaded();
        using var source = SmallSet();
        RecordIODataset.Write(Dir, source);
        using var read = new RecordIODataset(Dir);

        var header = read.Header(0);
        Assert.Equal(2u, header.Flag);
        Assert.Equal(0f, header.Label);
        Assert.Equal(new[] { 7f, 10f }, header.Labels);                  // N_img + 1 = 7, N_img + 1 + N_ids = 10
        Assert.Equal(Enumerable.Range(1, 6).Select(k => (long)k), Enumerable.Range(0, 6).Select(read.Key));
        for (int c = 0; c < 3; c++)
        {
            var identity = read.Header(7 + c);
            Assert.Equal(new[] { 1f + 2 * c, 3f + 2 * c }, identity.Labels);   // image keys [start, end) of class c
        }
        Assert.Equal("3,16,16", File.ReadAllText(FilePath("property")));
    }

    [Fact]
    public void AFileWithoutHeaderUsesEveryIndexKeyAndElementZeroOfArrayLabels()
    {
        TestRuntime.EnsureLoaded();
        using var source = SmallSet();
        using var images = source.Images([0, 1, 2]);
        using (var writer = new RecordIOWriter(FilePath("train.rec"), FilePath("train.idx")))
        {
            writer.Write(IRHeader.Scalar(1, 0).Pack(ImageCodec.EncodePng(images[0])), 0);
            writer.Write(IRHeader.Array([0, 5, 6], 1).Pack(ImageCodec.EncodePng(images[1])), 1);
            writer.Write(IRHeader.Scalar(2, 2).Pack(ImageCodec.EncodePng(images[2])), 2);
        }
        using var read = new RecordIODataset(Dir, imageSize: 16);
        Assert.False(read.HasHeader);
        Assert.Equal(3, read.Count);
        Assert.Equal(new[] { 1, 0, 2 }, Enumerable.Range(0, 3).Select(read.Label));
        Assert.Equal(3, read.Classes);
        using var expected = Quantised(images);
        using var actual = read.Images([0, 1, 2]);
        Assert.Equal(Values(expected), Values(actual));
    }

    [Fact]
    public void APayloadHoldingTheMagicIsSplitIntoPartsAndJoinedOnRead()
    {
        var payload = new byte[30];
        new Random(1).NextBytes(payload);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(4), RecordIO.Magic);   // aligned: splits
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(12), RecordIO.Magic);  // aligned: splits
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(21), RecordIO.Magic);  // unaligned: kept
        var plain = new byte[] { 1, 2, 3, 4, 5 };
        using (var writer = new RecordIOWriter(FilePath("x.rec"), FilePath("x.idx")))
        {
            writer.Write(payload, 10);
            writer.Write(plain, 11);
        }
        byte[] file = File.ReadAllBytes(FilePath("x.rec"));
        // Parts: [0,4) cflag 1, [8,12) cflag 2, [16,30) cflag 3; then the plain record (cflag 0, 5 bytes + 3 padding).
        var frames = new List<(uint Flag, uint Length)>();
        for (int at = 0; at < file.Length;)
        {
            Assert.Equal(RecordIO.Magic, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at)));
            uint lrec = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 4));
            frames.Add((lrec >> 29, lrec & RecordIO.MaxLength));
            at += 8 + (int)((lrec & RecordIO.MaxLength) + 3) / 4 * 4;
        }
        Assert.Equal(new[] { (1u, 4u), (2u, 4u), (3u, 14u), (0u, 5u) }, frames);
        Assert.Equal(8 + 4 + 8 + 4 + 8 + 16 + 8 + 8, file.Length);

        using var reader = new RecordIOReader(FilePath("x.rec"), FilePath("x.idx"));
        Assert.Equal(payload, reader.Read(10));
        Assert.Equal(plain, reader.Read(11));
        Assert.Equal(new[] { payload, plain }, reader.ReadAll().Select(r => r.Payload));
    }

    [Fact]
    public void AnIndexOffsetThatMissesARecordNamesFileRecordAndOffset()
    {
        using (var writer = new RecordIOWriter(FilePath("x.rec"), FilePath("x.idx")))
        {
            writer.Write(new byte[12], 0);
            writer.Write(new byte[12], 1);
        }
        File.WriteAllText(FilePath("x.idx"), "0\t0\n1\t8\n");            // record 1 really starts at 20
        using var reader = new RecordIOReader(FilePath("x.rec"), FilePath("x.idx"));
        var e = Assert.Throws<FaceDataException>(() => reader.Read(1));
        Assert.Equal(FilePath("x.rec"), e.File);
        Assert.Equal(1, e.Record);
        Assert.Equal(8, e.Offset);
        Assert.Contains("magic", e.Message);
        Assert.Contains("record 1 at byte offset 8", e.Message);
    }

    [Fact]
    public void ATruncatedFileOrAGarbageLengthFailsWithoutAHugeBuffer()
    {
        using (var writer = new RecordIOWriter(FilePath("x.rec"), FilePath("x.idx")))
            writer.Write(new byte[40], 0);
        byte[] whole = File.ReadAllBytes(FilePath("x.rec"));
        File.WriteAllBytes(FilePath("x.rec"), whole[..30]);
        using (var reader = new RecordIOReader(FilePath("x.rec"), FilePath("x.idx")))
        {
            var e = Assert.Throws<FaceDataException>(() => reader.Read(0));
            Assert.Equal(0, e.Offset);
            Assert.Contains("length 40 runs past the end of the file (30 bytes)", e.Message);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(whole.AsSpan(4), RecordIO.MaxLength);   // 512 MB claimed
        File.WriteAllBytes(FilePath("x.rec"), whole);
        using (var reader = new RecordIOReader(FilePath("x.rec"), FilePath("x.idx")))
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<FaceDataException>(() => reader.Read(0));
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
            Assert.Contains($"length {RecordIO.MaxLength} runs past the end", e.Message);
        }
    }

    [Fact]
    public void RandomBytesAndBadIndexLinesGiveFaceDataExceptions()
    {
        var bytes = new byte[4096];
        new Random(3).NextBytes(bytes);
        File.WriteAllBytes(FilePath("r.rec"), bytes);
        using (var reader = new RecordIOReader(FilePath("r.rec")))
        {
            var e = Assert.Throws<FaceDataException>(() => reader.ReadAll().ToList());
            Assert.Equal(0, e.Offset);
        }
        File.WriteAllText(FilePath("r.idx"), "0\t0\nnot an index line\n");
        var bad = Assert.Throws<FaceDataException>(() => new RecordIOReader(FilePath("r.rec"), FilePath("r.idx")));
        Assert.Contains("line 2", bad.Message);
        File.WriteAllText(FilePath("r.idx"), "0\t999999\n");
        bad = Assert.Throws<FaceDataException>(() => new RecordIOReader(FilePath("r.rec"), FilePath("r.idx")));
        Assert.Contains("outside", bad.Message);
        Assert.Equal(999999, bad.Offset);
    }

    [Fact]
    public void AnUndecodableImageNamesItsRecord()
    {
        TestRuntime.EnsureLoaded();
        using (var writer = new RecordIOWriter(FilePath("train.rec"), FilePath("train.idx")))
        {
            writer.Write(IRHeader.Scalar(0, 0).Pack("not a jpeg"u8), 0);
            writer.Write(IRHeader.Scalar(0, 1).Pack("nor a png"u8), 1);
        }
        using var read = new RecordIODataset(Dir, 16);
        var e = Assert.Throws<FaceDataException>(() => read.Images([1]));
        Assert.Equal(1, e.Record);
        Assert.Contains("not a JPEG or PNG that decodes", e.Message);
        Assert.Equal(FilePath("train.rec"), e.File);
    }

    [Fact]
    public void AHeaderLabelBeyondTheIndexIsAFaceDataException()
    {
        using (var writer = new RecordIOWriter(FilePath("train.rec"), FilePath("train.idx")))
        {
            writer.Write(IRHeader.Array([3e9f, 3e9f + 10], 0).Pack([]), 0);     // label[0] ≥ 2^31: keys 1 … 3·10^9 − 1
            writer.Write(IRHeader.Scalar(0, 1).Pack([1, 2, 3]), 1);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<FaceDataException>(() => new RecordIODataset(Dir, 16));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Equal(FilePath("train.rec"), e.File);
        Assert.Equal(0, e.Record);
        Assert.Contains("3000000000", e.Message);
        Assert.Contains("2 index keys", e.Message);
    }

    [Fact]
    public void AFailedOpenClosesTheRecFile()
    {
        using (var writer = new RecordIOWriter(FilePath("x.rec"), FilePath("x.idx")))
            writer.Write(new byte[12], 0);
        File.WriteAllText(FilePath("x.idx"), "0\t0\nnot an index line\n");
        int before = Directory.GetFiles("/proc/self/fd").Length;
        for (int i = 0; i < 200; i++)
            Assert.Throws<FaceDataException>(() => new RecordIOReader(FilePath("x.rec"), FilePath("x.idx")));
        int leaked = Directory.GetFiles("/proc/self/fd").Length - before;
        Assert.True(leaked < 10, $"{leaked} file descriptors more after 200 failed opens");
    }

    [Theory]
    [InlineData("3,20000,20000", "height 20000")]
    [InlineData("3,112,5000", "width 5000")]
    [InlineData("100000000,112,112", "num_classes 100000000")]
    public void PropertySizesAboveTheLimitsAreRefused(string property, string named)
    {
        using (var writer = new RecordIOWriter(FilePath("train.rec"), FilePath("train.idx")))
            writer.Write(IRHeader.Scalar(0, 0).Pack([1, 2, 3]), 0);
        File.WriteAllText(FilePath("property"), property);
        var e = Assert.Throws<FaceDataException>(() => new RecordIODataset(Dir));
        Assert.Equal(FilePath("property"), e.File);
        Assert.Contains(named, e.Message);
        Assert.Contains("limit", e.Message);
    }

    [Fact]
    public void AnImageTooLargeInARecordNamesTheRecord()
    {
        TestRuntime.EnsureLoaded();
        using (var writer = new RecordIOWriter(FilePath("train.rec"), FilePath("train.idx")))
        {
            writer.Write(IRHeader.Scalar(0, 0).Pack(ImageCodecTests.Png16000), 0);
            writer.Write(IRHeader.Scalar(0, 1).Pack(ImageCodecTests.Png16000), 1);
        }
        using var read = new RecordIODataset(Dir, 16);
        var e = Assert.Throws<FaceDataException>(() => read.Images([1]));
        Assert.Equal(FilePath("train.rec"), e.File);
        Assert.Equal(1, e.Record);
        Assert.Contains("16000×16000", e.Message);
    }
}
