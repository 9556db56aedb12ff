using ArcFace.Evaluation;
using static TorchSharp.torch;

namespace ArcFace.Tests.Evaluation;

public class IdentificationTests
{
    const int Dim = 16, People = 8, PerPerson = 4, DistractorCount = 600;

    static (Tensor Faces, int[] Ids, Tensor Distractors) Data()
    {
        manual_seed(21);
        var centres = randn(People, Dim);
        var ids = Enumerable.Range(0, People * PerPerson).Select(i => i / PerPerson).ToArray();
        var faces = centres.index_select(0, tensor(ids.Select(i => (long)i).ToArray())) + 0.9f * randn(ids.Length, Dim);
        return (nn.functional.normalize(faces, p: 2, dim: 1), ids, nn.functional.normalize(randn(DistractorCount, Dim), p: 2, dim: 1));
    }

    static double[,] Float64(Tensor t)
    {
        var v = t.to(float64).data<double>().ToArray();
        var m = new double[t.shape[0], t.shape[1]];
        for (int i = 0; i < m.GetLength(0); i++) for (int j = 0; j < m.GetLength(1); j++) m[i, j] = v[i * m.GetLength(1) + j];
        return m;
    }

    static double Dot(double[,] a, int i, double[,] b, int j)
    {
        double s = 0;
        for (int k = 0; k < a.GetLength(1); k++) s += a[i, k] * b[j, k];
        return s;
    }

    /// <summary>MegaFace by brute force in float64: every ordered pair of distinct same-id faces is a trial; rank = 1 +
    /// distractors scoring above the mate; TAR at the largest threshold-set whose impostor count ≤ ⌊FAR·N⌋.</summary>
    static (double[] Cmc, double Tar) BruteForce(double[,] faces, int[] ids, double[,] distractors, int maxRank, double far,
        HashSet<int>? noisyFaces = null, HashSet<int>? noisyDistractors = null)
    {
        noisyFaces ??= [];
        noisyDistractors ??= [];
        var ranks = new List<int>();
        var genuine = new List<double>();
        var impostor = new List<double>();
        for (int p = 0; p < ids.Length; p++)
        {
            if (noisyFaces.Contains(p)) continue;
            for (int d = 0; d < distractors.GetLength(0); d++)
                if (!noisyDistractors.Contains(d)) impostor.Add(Dot(faces, p, distractors, d));
            for (int g = 0; g < ids.Length; g++)
            {
                if (g == p || ids[g] != ids[p] || noisyFaces.Contains(g)) continue;
                double s = Dot(faces, p, faces, g);
                genuine.Add(s);
                int above = 0;
                for (int d = 0; d < distractors.GetLength(0); d++)
                    if (!noisyDistractors.Contains(d) && Dot(faces, p, distractors, d) > s) above++;
                ranks.Add(above + 1);
            }
        }
        var cmc = Enumerable.Range(1, maxRank).Select(r => (double)ranks.Count(k => k <= r) / ranks.Count).ToArray();
        var sorted = impostor.OrderDescending().ToArray();
        long allowed = (long)Math.Floor(far * sorted.Length);
        double tar = (double)genuine.Count(s => s > sorted[allowed]) / genuine.Count;
        return (cmc, tar);
    }

    [Fact]
    public void RankKAndTarEqualBruteForce()
    {
        TestRuntime.EnsureLoaded();
        var (faces, ids, distractors) = Data();
        var expected = BruteForce(Float64(faces), ids, Float64(distractors), 5, 1e-3);
        var r = Identification.Evaluate(faces, ids, faces, ids, distractors, maxRank: 5,
            new IdentificationOptions(VerificationFar: 1e-3, ExcludeSelfPairs: true));
        Assert.Equal(People * PerPerson * (PerPerson - 1), r.Trials);
        Assert.Equal(DistractorCount, r.Distractors);
        for (int k = 0; k < 5; k++) Assert.Equal(expected.Cmc[k], r.Cmc[k], 12);
        Assert.Equal(expected.Tar, r.TarAtFar, 12);
        Assert.InRange(r.Rank1, 0.2, 0.95); // a case where ranks actually vary
        Assert.True(r.Cmc[4] > r.Rank1);
    }

    [Fact]
    public void ChunkedStreamEqualsOneBlock()
    {
        TestRuntime.EnsureLoaded();
        var (faces, ids, distractors) = Data();
        var options = new IdentificationOptions(VerificationFar: 2e-3, ExcludeSelfPairs: true);
        var whole = Identification.Evaluate(faces, ids, faces, ids, distractors, 10, options);
        // Uneven chunks, each further split into blocks of 7 distractors (32 probes × 7 scores).
        int[] sizes = [100, 1, 250, 249];
        var chunks = sizes.Select((s, i) => distractors.narrow(0, sizes.Take(i).Sum(), s));
        var chunked = Identification.Evaluate(faces, ids, faces, ids, new DistractorSource(DistractorCount, chunks), 10,
            options with { ScoreBlockElements = 32 * 7 });
        Assert.Equal(whole.Cmc, chunked.Cmc);
        Assert.Equal(whole.TarAtFar, chunked.TarAtFar);
    }

    [Fact]
    public void RefinementDropsListedFacesAndDistractors()
    {
        TestRuntime.EnsureLoaded();
        var (faces, ids, distractors) = Data();
        int[] noisyFaces = [0, 5, 13];
        long[] noisyDistractors = [3, 77, 599, 200];
        var expected = BruteForce(Float64(faces), ids, Float64(distractors), 3, 1e-2, [.. noisyFaces],
            [.. noisyDistractors.Select(d => (int)d)]);
        var r = Identification.MegaFace(faces, ids, DistractorSource.From(distractors), 3, noisyFaces, noisyDistractors) with { };
        var r2 = Identification.Evaluate(faces, ids, faces, ids, distractors, 3, new IdentificationOptions(1e-2, true,
            noisyFaces, noisyFaces, noisyDistractors, ScoreBlockElements: 29 * 11));
        Assert.Equal(DistractorCount - 4, r2.Distractors);
        for (int k = 0; k < 3; k++) Assert.Equal(expected.Cmc[k], r2.Cmc[k], 12);
        Assert.Equal(expected.Tar, r2.TarAtFar, 12);
        Assert.Equal(r.Cmc, r2.Cmc);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        TestRuntime.EnsureLoaded();
        var (faces, ids, distractors) = Data();
        Assert.Throws<ArgumentException>(() => Identification.Evaluate(faces, ids[1..], faces, ids, distractors));
        using var nan = faces.clone();
        nan[2, 2] = tensor(float.NaN);
        Assert.Throws<ArgumentException>(() => Identification.Evaluate(nan, ids, faces, ids, distractors));
        Assert.Throws<ArgumentException>(() => Identification.Evaluate(faces, ids, faces, ids, distractors.narrow(1, 0, 8)));
        Assert.Throws<ArgumentException>(() => Identification.Evaluate(faces, ids, faces, ids,
            new DistractorSource(DistractorCount + 1, [distractors])));
        Assert.Throws<ArgumentException>(() => Identification.Evaluate(faces, ids, faces, ids.Select(i => i + 100).ToArray(), distractors));
        var unnormalised = Assert.Throws<ArgumentException>(() => Identification.Evaluate(faces, ids, faces, ids, distractors * 2));
        Assert.Contains("L2-normalised", unnormalised.Message);
        using var nanDistractors = distractors.clone();
        nanDistractors[5, 0] = tensor(float.NaN);
        Assert.Throws<ArgumentException>(() => Identification.Evaluate(faces, ids, faces, ids, nanDistractors));
    }
}
