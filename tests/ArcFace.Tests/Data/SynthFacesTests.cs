using ArcFace.Data;
using ArcFace.Runtime;
using static TorchSharp.torch;

namespace ArcFace.Tests.Data;

public class SynthFacesTests : DataTestFiles
{
    static readonly SynthFacesOptions Tiny = new(Identities: 4, ImagesPerIdentity: 3, ImageSize: 16, Seed: 11);

    [Fact]
    public void TheSameSeedGivesTheSamePixelsAndAnotherSeedOtherPixels()
    {
        TestRuntime.EnsureLoaded();
        var all = Enumerable.Range(0, 12).ToArray();
        using var a = SynthFaces.TrainingSet(Tiny);
        using var b = SynthFaces.TrainingSet(Tiny);
        using var c = SynthFaces.TrainingSet(Tiny with { Seed = 12 });
        using var ia = a.Images(all);
        using var ib = b.Images(all);
        using var ic = c.Images(all);
        Assert.Equal(Values(ia), Values(ib));
        Assert.True((ia - ic).abs().mean().item<float>() > 0.05f);
        Assert.Equal([12L, 3, 16, 16], ia.shape);
        Assert.True(ia.min().item<float>() >= -1 && ia.max().item<float>() <= 1);
    }

    [Fact]
    public void AnImageRendersTheSameAloneAsInABatch()
    {
        TestRuntime.EnsureLoaded();
        using var set = SynthFaces.TrainingSet(Tiny);
        using var batch = set.Images(Enumerable.Range(0, 12).ToArray());
        var latents = new[] { SynthFaces.Latent(set.IdentityIds[set.Label(7)], Tiny) };
        // Image 7 is identity 2, image 1: key 2·100,003 + 1, its noise keyed by key ^ seed.
        using var alone = SynthFaces.Render(latents, [set.Variation(7)], 16, [(2 * 100_003 + 1) ^ Tiny.Seed]);
        Assert.Equal(2, set.Label(7));
        using var expected = batch[7].unsqueeze(0);
        Assert.Equal(Values(expected), Values(alone), new FloatTolerance(1e-5f));
    }

    [Fact]
    public void ASetRendersTheSameInBatchesOfThreeAsInOne()
    {
        TestRuntime.EnsureLoaded();
        using var set = SynthFaces.TrainingSet(Tiny);
        var images = Enumerable.Range(0, 11).ToArray();
        var latents = images.Select(i => SynthFaces.Latent(set.IdentityIds[set.Label(i)], Tiny)).ToArray();
        var variations = images.Select(set.Variation).ToArray();
        var keys = images.Select(i => (long)i).ToArray();
        using var whole = SynthFaces.Render(latents, variations, 16, keys);
        // 11 = 3 + 3 + 3 + 2: each batch, the short last one included, lands in its own rows.
        using var inThrees = SynthFaces.Render(latents, variations, 16, keys, batchSize: 3);
        Assert.Equal([11L, 3, 16, 16], inThrees.shape);
        Assert.Equal(Values(whole), Values(inThrees), new FloatTolerance(1e-5f));
        Assert.True((whole[9] - whole[10]).abs().mean().item<float>() > 0.01f);
    }

    [Fact]
    public void IdentitiesDifferMoreThanImagesOfOneIdentity()
    {
        TestRuntime.EnsureLoaded();
        using var set = SynthFaces.TrainingSet(Tiny with { Identities = 8, ImagesPerIdentity = 4, FamilySize = 1, Occlusion = 0, Noise = 0, Blur = 0 });
        using var x = set.Images(Enumerable.Range(0, 32).ToArray()).view(32, -1);
        using var d = cdist(x, x);
        double within = 0, between = 0; int nw = 0, nb = 0;
        for (int i = 0; i < 32; i++)
            for (int j = i + 1; j < 32; j++)
                if (set.Label(i) == set.Label(j)) { within += d[i, j].item<float>(); nw++; }
                else { between += d[i, j].item<float>(); nb++; }
        Assert.True(within / nw < 0.9 * between / nb, $"within {within / nw:F2}, between {between / nb:F2}");
    }

    [Fact]
    public void LookAlikesShareMostOfTheirLatent()
    {
        var options = Tiny with { FamilySize = 4, FamilyCloseness = 0.8 };
        double distance(long i, long j) => SynthFaces.Latent(i, options).Zip(SynthFaces.Latent(j, options)).Sum(p => (p.First - p.Second) * (p.First - p.Second));
        double family = Enumerable.Range(0, 50).Average(f => distance(4 * f, 4 * f + 1));
        double strangers = Enumerable.Range(0, 50).Average(f => distance(4 * f, 4 * f + 5));
        // E‖z_i − z_j‖² = 2·D·(1 − ρ²) within a family (ρ = 0.8, D = 32: 23.04) and 2·D = 64 otherwise.
        Assert.InRange(family, 23.04 * 0.8, 23.04 * 1.2);
        Assert.InRange(strangers, 64 * 0.8, 64 * 1.2);
    }

    [Fact]
    public void TheTrainingSetIsSizedByTheProfile()
    {
        var settings = Settings.Default(Dir);
        using var set = SynthFaces.TrainingSet(settings);
        Assert.Equal(RunProfile.Smoke.TrainIdentities * RunProfile.Smoke.ImagesPerIdentity, set.Count);
        Assert.Equal(RunProfile.Smoke.TrainIdentities, set.Classes);
        Assert.Equal(RunProfile.Smoke.InputSize, set.ImageSize);
        Assert.Equal(settings.Seed, set.Options.Seed);
    }

    [Fact]
    public void TheProfileTrainingSetHoldsProfileViewsAndAgeGapsAsTheHardBenchmarksDo()
    {
        var settings = Settings.Default(Dir);
        using var set = SynthFaces.TrainingSet(settings);
        var yaws = Enumerable.Range(0, set.Count).Select(i => Math.Abs(set.Variation(i).Yaw) * 180 / Math.PI).ToArray();
        // Uniform on ±85°: P(|yaw| ≥ 60°) = 25/85 = 29.4 %, none beyond 85°; with LFW's ±40° none would reach 60°.
        Assert.InRange(yaws.Count(y => y >= 60) / (double)set.Count, 0.26, 0.33);
        Assert.True(yaws.Max() <= 85 + 1e-9);
        // An identity's ages span up to 2 × 0.3 = 0.6 (SynthAgeDB-30's pairs are ≥ 0.45 apart); with ±0.15 at most 0.3.
        double widest = Enumerable.Range(0, set.Classes).Max(c =>
        {
            var ages = Enumerable.Range(0, set.Count).Where(i => set.Label(i) == c).Select(i => set.Variation(i).Age).ToArray();
            return ages.Max() - ages.Min();
        });
        Assert.InRange(widest, 0.45, 0.6 + 1e-9);
    }

    [Fact]
    public void TheFullProfileHasTheBenchmarksPairCounts()
    {
        var full = Settings.Default(Dir) with { Profile = RunProfile.Full };
        Assert.Equal(6000, SynthFaces.Lfw(full).Pairs);
        Assert.Equal(7000, SynthFaces.CfpFp(full).Pairs);
        Assert.Equal(6000, SynthFaces.AgeDb30(full).Pairs);
    }

    [Fact]
    public void VerificationSetsHaveTheProtocolShapes()
    {
        var settings = Settings.Default(Dir);
        using var train = SynthFaces.TrainingSet(settings);
        var trainIds = train.IdentityIds.ToHashSet();
        var seen = new HashSet<long>();
        int p = settings.Profile.VerificationPairs;
        foreach (var (set, pairs) in new[] { (SynthFaces.Lfw(settings), p), (SynthFaces.CfpFp(settings), p * 7 / 6), (SynthFaces.AgeDb30(settings), p) })
        {
            var images = (SynthFaceDataset)set.Images;
            Assert.Equal(pairs, set.Pairs);
            Assert.Equal(2 * pairs, images.Count);
            int fold = pairs / 10;
            for (int i = 0; i < pairs; i++)
            {
                Assert.Equal(i % fold < fold / 2, set.IsSame[i]);                       // each fold: same pairs, then different
                Assert.Equal(set.IsSame[i], images.Label(2 * i) == images.Label(2 * i + 1));
            }
            var foldIds = Enumerable.Range(0, 10).Select(f => Enumerable.Range(f * fold * 2, fold * 2).Select(k => images.IdentityIds[images.Label(k)]).ToHashSet()).ToArray();
            for (int f = 0; f < 10; f++)
                for (int g = f + 1; g < 10; g++) Assert.Empty(foldIds[f].Intersect(foldIds[g]));
            Assert.Empty(images.IdentityIds.Intersect(trainIds));
            Assert.Empty(images.IdentityIds.Intersect(seen));
            seen.UnionWith(images.IdentityIds);
            if (set.Name == "SynthCFP-FP")
                for (int i = 0; i < pairs; i++)
                {
                    Assert.InRange(Math.Abs(images.Variation(2 * i).Yaw) * 180 / Math.PI, 0, 10);
                    Assert.InRange(Math.Abs(images.Variation(2 * i + 1).Yaw) * 180 / Math.PI, 60, 85);
                }
            if (set.Name == "SynthAgeDB-30")
                for (int i = 0; i < pairs; i++) Assert.True(images.Variation(2 * i + 1).Age - images.Variation(2 * i).Age >= 0.45);
        }
    }

    [Fact]
    public void LabelNoiseRelabelsTheGivenFractionAndKeepsTheTruth()
    {
        using var set = SynthFaces.TrainingSet(Tiny with { Identities = 10, ImagesPerIdentity = 10 });
        var noisy = SynthFaces.WithLabelNoise(set, 0.2, 5);
        Assert.Equal(20, noisy.NoisyCount);
        Assert.Equal(20, Enumerable.Range(0, 100).Count(noisy.IsNoisy));
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(set.Label(i), noisy.TrueLabel(i));
            Assert.Equal(noisy.IsNoisy(i), noisy.Label(i) != set.Label(i));
            Assert.InRange(noisy.Label(i), 0, 9);
        }
        var again = SynthFaces.WithLabelNoise(set, 0.2, 5);
        Assert.Equal(Enumerable.Range(0, 100).Select(noisy.Label), Enumerable.Range(0, 100).Select(again.Label));
    }

    [Fact]
    public void SavesAGridPng()
    {
        TestRuntime.EnsureLoaded();
        SynthFaces.SaveGrid(FilePath("grid.png"), 2, 3, Tiny, imageSize: 24);
        using var bitmap = SkiaSharp.SKBitmap.Decode(FilePath("grid.png"));
        Assert.Equal(3 * 26 + 2, bitmap.Width);
        Assert.Equal(2 * 26 + 2, bitmap.Height);
    }
}

/// <summary>Compares floats within an absolute tolerance.</summary>
sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
{
    public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
    public int GetHashCode(float obj) => 0;
}
