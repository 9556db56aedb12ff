using ArcFace.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Tests.Training;

public class FaceLoaderTests
{
    static int[] Ids(Tensor images) => (images[.., 0, 0, 0] * 100).round().to(int32).data<int>().ToArray();

    [Fact]
    public void EpochIsAPermutationWithTheRemainderDropped()
    {
        TestRuntime.EnsureLoaded();
        var data = new RandomFaces(50, 5, 4);
        var loader = new FaceLoader(data, 8, seed: 11, flip: false);
        Assert.Equal(6, loader.BatchesPerEpoch);
        var seen = new List<int>();
        foreach (var batch in loader.Epoch(0))
            using (batch)
            {
                Assert.Equal([8L, 3, 4, 4], batch.Images.shape);
                var ids = Ids(batch.Images);
                Assert.Equal(ids.Select(i => (long)(i % 5)), batch.Labels.data<long>().ToArray());
                seen.AddRange(ids);
            }
        Assert.Equal(48, seen.Count);
        Assert.Equal(48, seen.Distinct().Count());
        Assert.Equal(loader.Order(0).Take(48), seen);
    }

    [Fact]
    public void OrderFollowsRandpermOfSeedPlusEpoch()
    {
        TestRuntime.EnsureLoaded();
        var loader = new FaceLoader(new RandomFaces(20, 4, 4), 4, seed: 2048);
        using var g = new Generator(2049);
        Assert.Equal(randperm(20, generator: g).data<long>().ToArray().Select(i => (int)i), loader.Order(1));
        Assert.NotEqual(loader.Order(0), loader.Order(1));
        Assert.Equal(loader.Order(3), new FaceLoader(new RandomFaces(20, 4, 4), 4, seed: 2048).Order(3));
    }

    [Fact]
    public void FlipsMirrorTheChosenImagesAndRepeat()
    {
        TestRuntime.EnsureLoaded();
        var data = new RandomFaces(16, 4, 6);
        var loader = new FaceLoader(data, 16, seed: 5, prefetch: 0);
        var flips = loader.Flips(0);
        Assert.Contains(true, flips);
        Assert.Contains(false, flips);
        using var batch = loader.Epoch(0).Single();
        using var originals = data.Images(loader.Order(0));
        for (int i = 0; i < 16; i++)
        {
            var expected = flips[i] ? originals[i].flip(2) : originals[i];
            Assert.True(batch.Images[i].equal(expected).all().item<bool>(), $"image {i} (flip {flips[i]})");
        }
        Assert.Equal(flips, new FaceLoader(data, 16, seed: 5).Flips(0));
    }

    [Fact]
    public void StartBatchResumesMidEpochAndEarlyExitFreesTheReader()
    {
        TestRuntime.EnsureLoaded();
        var loader = new FaceLoader(new RandomFaces(40, 4, 4), 4, seed: 3, flip: false, prefetch: 3);
        var all = loader.Epoch(2).Select(b => { using (b) return Ids(b.Images); }).ToList();
        var tail = loader.Epoch(2, startBatch: 6).Select(b => { using (b) return Ids(b.Images); }).ToList();
        Assert.Equal(all.Skip(6), tail);
        var first = loader.Epoch(2).Take(1).Select(b => { using (b) return Ids(b.Images); }).Single();
        Assert.Equal(all[0], first);
    }

    [Fact]
    public void BadBatchSizeIsNamed()
    {
        TestRuntime.EnsureLoaded();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new FaceLoader(new RandomFaces(10, 2, 4), 11, 0));
        Assert.Contains("batchSize", e.Message);
    }
}
