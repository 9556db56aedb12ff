using ArcFace.Data;
using static TorchSharp.torch;

namespace ArcFace.Tests.Data;

public class SynthFacesCacheTests : DataTestFiles
{
    static readonly SynthFacesOptions Tiny = new(Identities: 3, ImagesPerIdentity: 2, ImageSize: 16, Seed: 5);

    static float[] AllPixels(SynthFaceDataset set)
    {
        using var images = set.Images(Enumerable.Range(0, set.Count).ToArray());
        return Values(images);
    }

    T WithCache<T>(Func<T> body)
    {
        var before = SynthFaces.CacheFolder;
        SynthFaces.CacheFolder = Dir;
        try { return body(); }
        finally { SynthFaces.CacheFolder = before; }
    }

    [Fact]
    public void ASecondSetWithTheSameKeyReadsThePixelsTheFirstOneWrote()
    {
        TestRuntime.EnsureLoaded();
        float[] rendered;
        using (var plain = SynthFaces.TrainingSet(Tiny)) rendered = AllPixels(plain);
        WithCache(() =>
        {
            using (var first = SynthFaces.TrainingSet(Tiny)) Assert.Equal(rendered, AllPixels(first));
            var file = Assert.Single(Directory.GetFiles(Dir));
            // Overwrite the stored pixels with a marker: a set that shows the marker read the file instead of rendering.
            long payload = 3L * 2 * 3 * 16 * 16 * sizeof(float);
            using (var stream = File.OpenWrite(file))
            {
                stream.Seek(-payload, SeekOrigin.End);
                var marker = new float[payload / sizeof(float)];
                Array.Fill(marker, 0.25f);
                stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(marker.AsSpan()));
            }
            using var second = SynthFaces.TrainingSet(Tiny);
            Assert.All(AllPixels(second), v => Assert.Equal(0.25f, v));
            return 0;
        });
    }

    [Fact]
    public void AnotherSeedOrSizeHasAnotherKeyAndATornFileIsRenderedAgain()
    {
        TestRuntime.EnsureLoaded();
        using var a = SynthFaces.TrainingSet(Tiny);
        using var b = SynthFaces.TrainingSet(Tiny with { Seed = 6 });
        using var c = SynthFaces.TrainingSet(Tiny with { Yaw = 30 });
        Assert.Equal(64, a.CacheKey.Length);
        Assert.Equal(a.CacheKey, SynthFaces.TrainingSet(Tiny).CacheKey);
        Assert.NotEqual(a.CacheKey, b.CacheKey);
        Assert.NotEqual(a.CacheKey, c.CacheKey);
        var expected = AllPixels(a);
        WithCache(() =>
        {
            using (var first = SynthFaces.TrainingSet(Tiny)) AllPixels(first);
            var file = Assert.Single(Directory.GetFiles(Dir));
            using (var stream = File.OpenWrite(file)) stream.SetLength(stream.Length / 2);
            using var again = SynthFaces.TrainingSet(Tiny);
            Assert.Equal(expected, AllPixels(again));
            using var reread = SynthFaces.TrainingSet(Tiny);
            Assert.Equal(expected, AllPixels(reread));   // the torn file was replaced by a whole one
            return 0;
        });
    }
}
