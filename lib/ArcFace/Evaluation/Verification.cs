using ArcFace.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Evaluation;

/// <summary>
/// The result of insightface's 10-fold verification protocol on one set.
/// </summary>
/// <param name="Name">The set's name (e.g. "lfw").</param>
/// <param name="Accuracy">Mean held-out accuracy over the folds, in [0, 1].</param>
/// <param name="Std">Population standard deviation of the fold accuracies (numpy's <c>np.std</c>).</param>
/// <param name="FoldThresholds">Per fold, the squared-L2 threshold chosen on the other folds.</param>
/// <param name="FoldAccuracies">Per fold, the accuracy on the held-out fold.</param>
/// <param name="ValAtFar">VAL (TAR) at FAR = <see cref="Verification.ValFarTarget"/>, mean over folds.</param>
/// <param name="ValStd">Population standard deviation of the fold VALs.</param>
/// <param name="Far">The FAR actually reached on the held-out folds, mean over folds.</param>
/// <param name="Thresholds">The sweep 0, 0.01, …, 3.99 behind <paramref name="Tpr"/> and <paramref name="Fpr"/>.</param>
/// <param name="Tpr">insightface's ROC: held-out TPR per threshold, averaged over folds.</param>
/// <param name="Fpr">insightface's ROC: held-out FPR per threshold, averaged over folds.</param>
/// <param name="Roc">The exact ROC of all pairs with score = −distance (no folds), for AUC and TAR@FAR.</param>
public sealed record VerificationResult(
    string Name, double Accuracy, double Std, double[] FoldThresholds, double[] FoldAccuracies,
    double ValAtFar, double ValStd, double Far, double[] Thresholds, double[] Tpr, double[] Fpr, RocCurve Roc);

/// <summary>
/// Face verification exactly as insightface's <c>verification.py</c> scores LFW, CFP-FP and AgeDB-30: squared L2
/// distance between normalised embeddings, 10 contiguous unshuffled folds, for each fold the first threshold of
/// 0:0.01:4 that maximises accuracy on the other nine ("same" if distance &lt; threshold), and VAL at FAR = 1e-3 from
/// thresholds 0:0.001:4 with the threshold linearly interpolated from the training folds' FAR.
/// </summary>
public static class Verification
{
    /// <summary>The FAR at which VAL is reported (insightface's <c>far_target</c>).</summary>
    public const double ValFarTarget = 1e-3;

    const double AccuracyStep = 0.01, ValStep = 0.001;
    const int AccuracyThresholds = 400, ValThresholds = 4000; // len(np.arange(0, 4, step))

    /// <summary>Extracts embeddings of <paramref name="set"/> with <paramref name="model"/> and evaluates them.</summary>
    public static VerificationResult Evaluate(nn.Module<Tensor, Tensor> model, VerificationSet set, bool flip = true,
        int batchSize = 256, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (set.Images.Count != 2 * set.Pairs)
            throw new ArgumentException($"Verification set '{set.Name}' has {set.Images.Count} images for {set.Pairs} pairs; expected {2 * set.Pairs}.", nameof(set));
        using var embeddings = Embeddings.Extract(model, set.Images, flip, batchSize, device);
        return Evaluate(embeddings, set.IsSame, name: set.Name);
    }

    /// <summary>Evaluates 2P × D L2-normalised embeddings, rows 2i and 2i+1 forming pair i.</summary>
    public static VerificationResult Evaluate(Tensor embeddings, bool[] isSame, int folds = 10, string name = "")
        => Evaluate(SquaredDistances(embeddings, isSame), isSame, folds, name);

    /// <summary>Evaluates precomputed squared L2 distances (one per pair, in [0, 4]).</summary>
    public static VerificationResult Evaluate(double[] distances, bool[] isSame, int folds = 10, string name = "")
    {
        ArgumentNullException.ThrowIfNull(distances);
        ArgumentNullException.ThrowIfNull(isSame);
        if (distances.Length != isSame.Length)
            throw new ArgumentException($"{distances.Length} pair distances but {isSame.Length} 'is same' labels; they must match.", nameof(isSame));
        if (folds < 2) throw new ArgumentOutOfRangeException(nameof(folds), folds, "Need at least 2 folds.");
        if (isSame.Length < folds)
            throw new ArgumentException($"{isSame.Length} pairs cannot be split into {folds} folds; need at least one pair per fold.", nameof(isSame));
        for (int i = 0; i < distances.Length; i++)
            if (!double.IsFinite(distances[i]))
                throw new ArgumentException($"Distance of pair {i} is {distances[i]}; embeddings must be finite.", nameof(distances));

        var foldOf = FoldIndex(distances.Length, folds);
        var accept = Sweep.Count(distances, isSame, foldOf, folds, AccuracyStep, AccuracyThresholds);
        var val = Sweep.Count(distances, isSame, foldOf, folds, ValStep, ValThresholds);

        var foldThresholds = new double[folds];
        var foldAccuracies = new double[folds];
        var tpr = new double[AccuracyThresholds];
        var fpr = new double[AccuracyThresholds];
        var vals = new double[folds];
        var fars = new double[folds];
        for (int f = 0; f < folds; f++)
        {
            // First argmax of training accuracy; correct = TP + TN over the same denominator, so compare counts.
            int best = 0;
            long bestCorrect = -1;
            for (int t = 0; t < AccuracyThresholds; t++)
            {
                long correct = accept.TrainSame(f, t) + accept.TrainDiffTotal(f) - accept.TrainDiff(f, t);
                if (correct > bestCorrect) (best, bestCorrect) = (t, correct);
            }
            foldThresholds[f] = best * AccuracyStep;
            foldAccuracies[f] = (double)(accept.Same[f, best] + accept.DiffTotal[f] - accept.Diff[f, best]) / accept.Size[f];
            for (int t = 0; t < AccuracyThresholds; t++)
            {
                tpr[t] += Rate(accept.Same[f, t], accept.SameTotal[f]) / folds;
                fpr[t] += Rate(accept.Diff[f, t], accept.DiffTotal[f]) / folds;
            }

            double threshold = ValThreshold(val, f);
            long ta = 0, fa = 0;
            for (int i = 0; i < distances.Length; i++)
                if (foldOf[i] == f && distances[i] < threshold) { if (isSame[i]) ta++; else fa++; }
            vals[f] = Rate(ta, val.SameTotal[f]);
            fars[f] = Rate(fa, val.DiffTotal[f]);
        }

        var scores = distances.Select(d => -d).ToArray();
        return new VerificationResult(name, foldAccuracies.Average(), PopulationStd(foldAccuracies), foldThresholds,
            foldAccuracies, vals.Average(), PopulationStd(vals), fars.Average(),
            Enumerable.Range(0, AccuracyThresholds).Select(t => t * AccuracyStep).ToArray(), tpr, fpr,
            Roc.Compute(scores, isSame));
    }

    /// <summary>Squared L2 distance of each pair (rows 2i, 2i+1), checked for shape and finiteness.</summary>
    public static double[] SquaredDistances(Tensor embeddings, bool[] isSame)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(isSame);
        if (embeddings.dim() != 2)
            throw new ArgumentException($"Embeddings must be 2P × D; got shape [{string.Join(", ", embeddings.shape)}].", nameof(embeddings));
        if (embeddings.shape[0] != 2L * isSame.Length)
            throw new ArgumentException($"{embeddings.shape[0]} embeddings for {isSame.Length} pairs; expected {2L * isSame.Length} (rows 2i, 2i+1 form pair i).", nameof(embeddings));
        using var scope = NewDisposeScope();
        var e = embeddings.detach().to(float32).cpu();
        if (!isfinite(e).all().item<bool>())
            throw new ArgumentException("Embeddings contain NaN or Inf; check the model output (diverged training?).", nameof(embeddings));
        var pairs = e.view(isSame.Length, 2, -1);
        var diff = pairs.select(1, 0) - pairs.select(1, 1);
        // float32 like numpy's dist on float32 features; thresholds are float64 as np.arange makes them.
        return diff.square().sum(1).data<float>().ToArray().Select(d => (double)d).ToArray();
    }

    /// <summary>sklearn's KFold(n_splits, shuffle=False): the first n mod k folds hold one extra pair.</summary>
    static int[] FoldIndex(int n, int folds)
    {
        var foldOf = new int[n];
        int start = 0;
        for (int f = 0; f < folds; f++)
        {
            int size = n / folds + (f < n % folds ? 1 : 0);
            Array.Fill(foldOf, f, start, size);
            start += size;
        }
        return foldOf;
    }

    /// <summary>
    /// insightface's calculate_val: scipy interp1d(far_train, thresholds, kind='slinear') at the target. FAR is
    /// non-decreasing in the threshold, so the bracketing points are the last threshold with FAR ≤ target and the next
    /// one (as scipy's degree-1 spline on repeated knots evaluates). 0 when the target FAR is never reached.
    /// </summary>
    static double ValThreshold(Sweep.Counts val, int fold)
    {
        long diff = val.TrainDiffTotal(fold);
        double Far(int t) => Rate(val.TrainDiff(fold, t), diff);
        if (Far(ValThresholds - 1) < ValFarTarget) return 0;
        int q = 0;
        while (q + 1 < ValThresholds && Far(q + 1) <= ValFarTarget) q++;
        if (q == ValThresholds - 1) return q * ValStep;
        return q * ValStep + (ValFarTarget - Far(q)) * ValStep / (Far(q + 1) - Far(q));
    }

    static double Rate(long count, long total) => total == 0 ? 0 : (double)count / total;

    static double PopulationStd(double[] values)
    {
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
    }

    /// <summary>
    /// Accepted-pair counts for every threshold i·step, i &lt; T, per fold and kind, from one pass over the pairs:
    /// each pair is binned at the first threshold that accepts it (distance &lt; i·step), then counts are cumulated.
    /// </summary>
    static class Sweep
    {
        public sealed record Counts(long[,] Same, long[,] Diff, long[] SameTotal, long[] DiffTotal, long[] Size)
        {
            long Total(long[,] counts, int t) { long s = 0; for (int f = 0; f < Size.Length; f++) s += counts[f, t]; return s; }
            public long TrainSame(int fold, int t) => Total(Same, t) - Same[fold, t];
            public long TrainDiff(int fold, int t) => Total(Diff, t) - Diff[fold, t];
            public long TrainDiffTotal(int fold) => DiffTotal.Sum() - DiffTotal[fold];
        }

        public static Counts Count(double[] distances, bool[] isSame, int[] foldOf, int folds, double step, int thresholds)
        {
            var same = new long[folds, thresholds + 1];
            var diff = new long[folds, thresholds + 1];
            var sameTotal = new long[folds];
            var diffTotal = new long[folds];
            var size = new long[folds];
            for (int i = 0; i < distances.Length; i++)
            {
                int f = foldOf[i];
                int first = FirstAccepting(distances[i], step, thresholds);
                if (isSame[i]) { same[f, first]++; sameTotal[f]++; } else { diff[f, first]++; diffTotal[f]++; }
                size[f]++;
            }
            var sameCum = new long[folds, thresholds];
            var diffCum = new long[folds, thresholds];
            for (int f = 0; f < folds; f++)
            {
                long s = 0, d = 0;
                for (int t = 0; t < thresholds; t++)
                {
                    s += same[f, t];
                    d += diff[f, t];
                    sameCum[f, t] = s;
                    diffCum[f, t] = d;
                }
            }
            return new Counts(sameCum, diffCum, sameTotal, diffTotal, size);
        }

        /// <summary>The smallest i with d &lt; i·step (the float64 value np.arange gives), or T if none.</summary>
        static int FirstAccepting(double d, double step, int thresholds)
        {
            int i = (int)Math.Clamp(Math.Floor(d / step) + 1, 0, thresholds);
            while (i > 0 && d < (i - 1) * step) i--;
            while (i < thresholds && !(d < i * step)) i++;
            return i;
        }
    }
}
