namespace ArcFace.Evaluation;

/// <summary>How <see cref="RocCurve.TarAt"/> reads a TAR off the curve at a target FAR.</summary>
public enum TarConvention
{
    /// <summary>The largest TAR among the curve's points whose FAR is at most the target (the default; never
    /// reports a point that breaks the FAR budget).</summary>
    BestAtOrBelowFar,

    /// <summary>insightface's IJB script (<c>eval_ijbc.py</c>): sklearn's <c>roc_curve</c> with its default
    /// <c>drop_intermediate=True</c>, then the point whose FPR is nearest the target (on ties the largest TPR). Can
    /// read a point slightly above the target FAR; use it to compare with numbers printed by that script.</summary>
    NearestFprIjbScript,
}

/// <summary>
/// An exact ROC curve: one point per distinct score (a pair is accepted when its score is at least the threshold),
/// preceded by (0, 0) at threshold +∞. Ties between genuine and impostor scores form one diagonal step.
/// </summary>
/// <param name="Fpr">False accept rate (FAR / FPR) per point, non-decreasing.</param>
/// <param name="Tpr">True accept rate (TAR / TPR) per point, non-decreasing.</param>
/// <param name="Thresholds">Score threshold per point, decreasing; the first is +∞.</param>
/// <param name="Positives">Number of genuine ("same") pairs.</param>
/// <param name="Negatives">Number of impostor pairs.</param>
public sealed record RocCurve(double[] Fpr, double[] Tpr, double[] Thresholds, int Positives, int Negatives)
{
    /// <summary>The FARs of the paper's and the IJB script's tables: 1e-6 … 1e-1.</summary>
    public static readonly double[] StandardFars = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1];

    /// <summary>Area under the curve (trapezoids; equals P(genuine &gt; impostor) + ½ P(tie)).</summary>
    public double Auc
    {
        get
        {
            double area = 0;
            for (int i = 1; i < Fpr.Length; i++) area += (Fpr[i] - Fpr[i - 1]) * (Tpr[i] + Tpr[i - 1]) / 2;
            return area;
        }
    }

    /// <summary>TAR at the target FAR, read with <paramref name="convention"/>.</summary>
    public double TarAt(double far, TarConvention convention = TarConvention.BestAtOrBelowFar)
    {
        if (!(far >= 0 && far <= 1)) throw new ArgumentOutOfRangeException(nameof(far), far, "FAR must lie in [0, 1].");
        return convention switch
        {
            TarConvention.BestAtOrBelowFar => BestAtOrBelow(far),
            TarConvention.NearestFprIjbScript => NearestAfterDroppingIntermediate(far),
            _ => throw new ArgumentOutOfRangeException(nameof(convention), convention, null),
        };
    }

    double BestAtOrBelow(double far)
    {
        double best = 0;
        for (int i = 0; i < Fpr.Length && Fpr[i] <= far; i++) best = Tpr[i];
        return best;
    }

    double NearestAfterDroppingIntermediate(double far)
    {
        // sklearn keeps a point when the steps before and after it differ (np.diff(x, 2) != 0), plus both ends; the
        // (0, 0) origin is prepended afterwards. Our index 0 is that origin, so points 1..n are sklearn's.
        var kept = new List<int> { 0 };
        int n = Fpr.Length - 1;
        for (int i = 1; i <= n; i++)
        {
            if (i == 1 || i == n || StepChanges(i)) kept.Add(i);
        }
        // The script flips the arrays and takes the first minimum of |fpr − far|: the last such point in our order.
        int chosen = kept[0];
        foreach (int i in kept)
            if (Math.Abs(Fpr[i] - far) <= Math.Abs(Fpr[chosen] - far)) chosen = i;
        return Tpr[chosen];
    }

    // sklearn takes the second differences of integer counts; recover the counts so that rates do not round.
    bool StepChanges(int i)
    {
        long Count(double rate, int total) => (long)Math.Round(rate * total);
        return Count(Fpr[i + 1], Negatives) - 2 * Count(Fpr[i], Negatives) + Count(Fpr[i - 1], Negatives) != 0
            || Count(Tpr[i + 1], Positives) - 2 * Count(Tpr[i], Positives) + Count(Tpr[i - 1], Positives) != 0;
    }
}

/// <summary>ROC curves computed exactly from sorted scores.</summary>
public static class Roc
{
    /// <summary>The exact ROC of <paramref name="scores"/> (higher = more similar) against the genuine labels.</summary>
    public static RocCurve Compute(double[] scores, bool[] isSame)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(isSame);
        if (scores.Length != isSame.Length)
            throw new ArgumentException($"{scores.Length} scores but {isSame.Length} labels; they must match one to one.", nameof(isSame));
        for (int i = 0; i < scores.Length; i++)
            if (!double.IsFinite(scores[i]))
                throw new ArgumentException($"Score {i} is {scores[i]}; scores must be finite.", nameof(scores));
        int positives = isSame.Count(s => s), negatives = isSame.Length - positives;
        if (positives == 0 || negatives == 0)
            throw new ArgumentException($"A ROC needs both genuine and impostor pairs; got {positives} genuine and {negatives} impostor.", nameof(isSame));

        var order = Enumerable.Range(0, scores.Length).ToArray();
        Array.Sort(scores.ToArray(), order);
        Array.Reverse(order);
        var fpr = new List<double> { 0 };
        var tpr = new List<double> { 0 };
        var thresholds = new List<double> { double.PositiveInfinity };
        int tp = 0, fp = 0;
        for (int k = 0; k < order.Length; k++)
        {
            if (isSame[order[k]]) tp++; else fp++;
            if (k + 1 < order.Length && scores[order[k + 1]] == scores[order[k]]) continue;
            fpr.Add((double)fp / negatives);
            tpr.Add((double)tp / positives);
            thresholds.Add(scores[order[k]]);
        }
        return new RocCurve(fpr.ToArray(), tpr.ToArray(), thresholds.ToArray(), positives, negatives);
    }
}
