using ArcFace.Data;
using ArcFace.Evaluation;
using static TorchSharp.torch;

namespace ArcFace.Tests.Evaluation;

public class VerificationTests
{
    /// <summary>
    /// 100 pairs, 10 folds of 10 (5 same, 5 different). Folds 1–9: same at distance 0.5, different at 1.5. Fold 0:
    /// same at 1.0, different at 1.2.
    /// Fold 0 held out: the training folds are clean, every threshold in (0.5, 1.5] is perfect, the first grid point
    /// is 0.51 (0.50 fails: 0.5 &lt; 0.5 is false). On fold 0, 1.0 and 1.2 are both ≥ 0.51: same pairs rejected,
    /// different rejected → 5/10 = 0.5.
    /// Fold k ≥ 1 held out: training has same {5 × 1.0, 40 × 0.5} and different {5 × 1.2, 40 × 1.5}; (0.5, 1.0]
    /// scores 85/90, (1.0, 1.2] scores 90/90, so the first best is 1.01 (1.00 rejects 1.0). Held out: 10/10.
    /// Mean = (0.5 + 9) / 10 = 0.95; population std = √((0.45² + 9 · 0.05²) / 10) = √0.0225 = 0.15.
    /// VAL@FAR=1e-3: fold 0 trains on clean folds, FAR jumps 0 → 1 after 1.500, so the interpolated threshold is
    /// 1.5 + 1e-3 · 0.001 / 1 = 1.500001: fold 0 accepts all → VAL 1, FAR 1. Fold k: FAR jumps 0 → 5/45 after 1.200,
    /// threshold 1.2 + 1e-3 · 0.001 / (5/45) = 1.200009: same 0.5 accepted, different 1.5 rejected → VAL 1, FAR 0.
    /// Means: VAL 1, std 0, FAR 0.1.
    /// </summary>
    [Fact]
    public void HandComputedTenFoldCase()
    {
        var distances = new double[100];
        var isSame = new bool[100];
        for (int i = 0; i < 100; i++)
        {
            isSame[i] = i % 10 < 5;
            distances[i] = i < 10 ? (isSame[i] ? 1.0 : 1.2) : (isSame[i] ? 0.5 : 1.5);
        }
        var r = Verification.Evaluate(distances, isSame);
        Assert.Equal(0.51, r.FoldThresholds[0], 12);
        for (int f = 1; f < 10; f++) Assert.Equal(1.01, r.FoldThresholds[f], 12);
        Assert.Equal(0.5, r.FoldAccuracies[0], 12);
        for (int f = 1; f < 10; f++) Assert.Equal(1.0, r.FoldAccuracies[f], 12);
        Assert.Equal(0.95, r.Accuracy, 12);
        Assert.Equal(0.15, r.Std, 12);
        Assert.Equal(1.0, r.ValAtFar, 12);
        Assert.Equal(0.0, r.ValStd, 12);
        Assert.Equal(0.1, r.Far, 12);
        Assert.Equal(400, r.Thresholds.Length);
        Assert.Equal(3.99, r.Thresholds[^1], 12);
    }

    /// <summary>insightface's calculate_roc / calculate_val written plainly (loop over folds, thresholds, pairs).</summary>
    static (double Acc, double[] Thresholds, double[] Accs, double Val, double Far) Reference(double[] dist, bool[] same, int folds)
    {
        int n = dist.Length;
        var foldOf = new int[n];
        for (int f = 0, start = 0; f < folds; f++)
        {
            int size = n / folds + (f < n % folds ? 1 : 0);
            for (int i = start; i < start + size; i++) foldOf[i] = f;
            start += size;
        }
        (int Correct, int Total) Acc(double t, Func<int, bool> inSet)
        {
            int correct = 0, total = 0;
            for (int i = 0; i < n; i++) if (inSet(i)) { total++; if ((dist[i] < t) == same[i]) correct++; }
            return (correct, total);
        }
        var thresholds = new double[folds];
        var accs = new double[folds];
        var vals = new double[folds];
        var fars = new double[folds];
        for (int f = 0; f < folds; f++)
        {
            double bestAcc = -1;
            for (int t = 0; t < 400; t++)
            {
                var (c, total) = Acc(t * 0.01, i => foldOf[i] != f);
                if ((double)c / total > bestAcc) { bestAcc = (double)c / total; thresholds[f] = t * 0.01; }
            }
            var (hc, ht) = Acc(thresholds[f], i => foldOf[i] == f);
            accs[f] = (double)hc / ht;

            var farTrain = new double[4000];
            for (int t = 0; t < 4000; t++)
            {
                int fa = 0, nd = 0;
                for (int i = 0; i < n; i++) if (foldOf[i] != f && !same[i]) { nd++; if (dist[i] < t * 0.001) fa++; }
                farTrain[t] = (double)fa / nd;
            }
            double threshold = 0;
            if (farTrain.Max() >= 1e-3)
                for (int t = 0; t + 1 < 4000; t++)
                    if (farTrain[t] <= 1e-3 && farTrain[t + 1] > 1e-3)
                        threshold = t * 0.001 + (1e-3 - farTrain[t]) * 0.001 / (farTrain[t + 1] - farTrain[t]);
            int ta = 0, fa2 = 0, ns = 0, nd2 = 0;
            for (int i = 0; i < n; i++)
                if (foldOf[i] == f)
                {
                    if (same[i]) { ns++; if (dist[i] < threshold) ta++; }
                    else { nd2++; if (dist[i] < threshold) fa2++; }
                }
            vals[f] = (double)ta / ns;
            fars[f] = (double)fa2 / nd2;
        }
        return (accs.Average(), thresholds, accs, vals.Average(), fars.Average());
    }

    [Fact]
    public void SweepEqualsPlainReferenceOnRandomData()
    {
        var rng = new Random(5);
        const int pairs = 613; // not a multiple of 10: the first 3 folds hold 62 pairs
        var same = Enumerable.Range(0, pairs).Select(_ => rng.NextDouble() < 0.5).ToArray();
        // Overlapping classes, rounded to 0.001 so that many distances sit exactly on grid points.
        var dist = same.Select(s => Math.Round(Math.Clamp((s ? 0.9 : 1.5) + 0.35 * Normal(rng), 0, 4), 3)).ToArray();
        var r = Verification.Evaluate(dist, same);
        var reference = Reference(dist, same, 10);
        Assert.Equal(reference.Thresholds, r.FoldThresholds);
        Assert.Equal(reference.Accs, r.FoldAccuracies);
        Assert.Equal(reference.Acc, r.Accuracy, 12);
        Assert.Equal(reference.Val, r.ValAtFar, 12);
        Assert.Equal(reference.Far, r.Far, 12);
        Assert.InRange(r.Accuracy, 0.6, 0.95);
    }

    static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    [Fact]
    public void EmbeddingsGiveSquaredL2Distances()
    {
        TestRuntime.EnsureLoaded();
        // Pair i: unit vectors at angle θ_i, so the squared distance is 2 − 2 cos θ_i.
        double[] angles = [0.1, 0.5, 1.0, 2.0, 3.0, 0.2, 0.7, 1.5, 2.5, 0.05];
        var rows = angles.SelectMany(a => new[] { 1f, 0f, (float)Math.Cos(a), (float)Math.Sin(a) }).ToArray();
        using var embeddings = tensor(rows).view(20, 2);
        var same = angles.Select(a => a < 1.2).ToArray();
        var d = Verification.SquaredDistances(embeddings, same);
        for (int i = 0; i < angles.Length; i++) Assert.Equal(2 - 2 * Math.Cos(angles[i]), d[i], 5);
        // One pair per fold. The largest "same" distance (θ = 1.0, d = 0.919) is only accepted when its own fold
        // trains the threshold (first best 0.92; different pairs start at 1.859). Held out, the best threshold is the
        // first grid point above 0.470 (θ = 0.7), so that pair is rejected: accuracy 9/10.
        var r = Verification.Evaluate(embeddings, same, name: "toy");
        Assert.Equal("toy", r.Name);
        Assert.Equal(0.9, r.Accuracy, 12);
        Assert.Equal(0.48, r.FoldThresholds[2], 12);
        Assert.Equal(0.92, r.FoldThresholds[0], 12);
    }

    [Fact]
    public void ModelOverloadEvaluatesTheExtractedEmbeddingsUnderTheSetName()
    {
        TestRuntime.EnsureLoaded();
        manual_seed(3);
        using var images = rand(40, 3, 4, 4) * 2 - 1;
        var isSame = Enumerable.Range(0, 20).Select(i => i % 3 == 0).ToArray();
        var set = new VerificationSet("fake", new TensorDataset(images), isSame);
        var model = new HalvesModel();
        var r = Verification.Evaluate(model, set, flip: false, batchSize: 7);
        using var e = Embeddings.Extract(model, images, flip: false);
        var expected = Verification.Evaluate(e, isSame);
        Assert.Equal("fake", r.Name);
        Assert.Equal(expected.FoldThresholds, r.FoldThresholds);
        Assert.Equal(expected.FoldAccuracies, r.FoldAccuracies);
        Assert.Equal(expected.Roc.Auc, r.Roc.Auc, 12);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        TestRuntime.EnsureLoaded();
        using var good = nn.functional.normalize(randn(40, 8), p: 2, dim: 1);
        var same = Enumerable.Range(0, 20).Select(i => i % 2 == 0).ToArray();
        using var nan = good.clone();
        nan[3, 2] = tensor(float.NaN);
        var e1 = Assert.Throws<ArgumentException>(() => Verification.Evaluate(nan, same));
        Assert.Contains("NaN", e1.Message);
        using var inf = good.clone();
        inf[0, 0] = tensor(float.PositiveInfinity);
        Assert.Throws<ArgumentException>(() => Verification.Evaluate(inf, same));
        var e2 = Assert.Throws<ArgumentException>(() => Verification.Evaluate(good, same.Take(19).ToArray()));
        Assert.Contains("38", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => Verification.Evaluate(good.narrow(0, 0, 10), same.Take(5).ToArray()));
        Assert.Contains("10 folds", e3.Message);
        Assert.Throws<ArgumentException>(() => Verification.Evaluate(new double[20], same.Take(19).ToArray()));
    }
}
