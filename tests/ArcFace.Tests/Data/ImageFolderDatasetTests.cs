using ArcFace.Data;

namespace ArcFace.Tests.Data;

public class ImageFolderDatasetTests : DataTestFiles
{
    [Fact]
    public void ReadsOneFolderPerIdentityInNameOrder()
    {
        TestRuntime.EnsureLoaded();
        using var source = SmallSet();
        using var images = source.Images([0, 1, 2]);
        Directory.CreateDirectory(FilePath("bob"));
        Directory.CreateDirectory(FilePath("alice"));
        File.WriteAllBytes(FilePath("bob/1.png"), ImageCodec.EncodePng(images[0]));
        File.WriteAllBytes(FilePath("alice/2.png"), ImageCodec.EncodePng(images[1]));
        File.WriteAllBytes(FilePath("alice/1.png"), ImageCodec.EncodePng(images[2]));
        File.WriteAllText(FilePath("alice/notes.txt"), "not an image");
        var set = new ImageFolderDataset(Dir, 16);
        Assert.Equal(new[] { "alice", "bob" }, set.Identities);
        Assert.Equal(3, set.Count);
        Assert.Equal(new[] { 0, 0, 1 }, Enumerable.Range(0, 3).Select(set.Label));
        using var read = set.Images([0, 1, 2]);
        using var expected = Quantised(images.index_select(0, TorchSharp.torch.tensor(new long[] { 2, 1, 0 })));
        Assert.Equal(Values(expected), Values(read));
    }

    [Fact]
    public void AnUndecodableFileIsNamed()
    {
        TestRuntime.EnsureLoaded();
        Directory.CreateDirectory(FilePath("x"));
        File.WriteAllText(FilePath("x/broken.jpg"), "garbage");
        var set = new ImageFolderDataset(Dir, 16);
        var e = Assert.Throws<FaceDataException>(() => set.Images([0]));
        Assert.Equal(FilePath("x/broken.jpg"), e.File);
    }

    [Fact]
    public void ADifferentSizeIsResizedOnItsShortSide()
    {
        TestRuntime.EnsureLoaded();
        // A 32×48 image of one grey level resizes to 16×24 and is centre-cropped to 16×16, still that grey.
        using var grey = TorchSharp.torch.full(new long[] { 3, 48, 32 }, 0.2f);
        Directory.CreateDirectory(FilePath("x"));
        File.WriteAllBytes(FilePath("x/a.png"), ImageCodec.EncodePng(grey));
        using var read = new ImageFolderDataset(Dir, 16).Images([0]);
        Assert.Equal([1L, 3, 16, 16], read.shape);
        float level = (MathF.Round(0.2f * 127.5f + 127.5f) - 127.5f) / 127.5f;
        Assert.All(Values(read), v => Assert.Equal(level, v, 5));
    }
}
