using ArcFace.Evaluation;

namespace ArcFace.Tests.Evaluation;

public class RocTests
{
    static (double[] Scores, bool[] IsSame) RandomScores(int seed, int n)
    {
        var rng = new Random(seed);
        var same = Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.3).ToArray();
        // Rounded to 0.01 so that many genuine and impostor scores tie.
        var scores = same.Select(s => Math.Round((s ? 0.6 : 0.3) + 0.2 * (rng.NextDouble() - 0.5) * 2, 2)).ToArray();
        return (scores, same);
    }

    [Fact]
    public void CurveEqualsBruteForceWithTies()
    {
        var (scores, same) = RandomScores(11, 700);
        var roc = Roc.Compute(scores, same);
        var distinct = scores.Distinct().OrderDescending().ToArray();
        int pos = same.Count(s => s), neg = same.Length - pos;
        Assert.Equal(distinct.Length + 1, roc.Fpr.Length);
        Assert.Equal((0.0, 0.0), (roc.Fpr[0], roc.Tpr[0]));
        for (int k = 0; k < distinct.Length; k++)
        {
            int tp = 0, fp = 0;
            for (int i = 0; i < scores.Length; i++)
                if (scores[i] >= distinct[k]) { if (same[i]) tp++; else fp++; }
            Assert.Equal(distinct[k], roc.Thresholds[k + 1]);
            Assert.Equal((double)tp / pos, roc.Tpr[k + 1], 12);
            Assert.Equal((double)fp / neg, roc.Fpr[k + 1], 12);
        }
    }

    [Fact]
    public void AucEqualsPairwiseProbability()
    {
        var (scores, same) = RandomScores(12, 500);
        double wins = 0;
        int pairs = 0;
        for (int i = 0; i < scores.Length; i++)
            for (int j = 0; j < scores.Length; j++)
                if (same[i] && !same[j])
                {
                    pairs++;
                    wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                }
        Assert.Equal(wins / pairs, Roc.Compute(scores, same).Auc, 12);
    }

    [Fact]
    public void TarAtFarEqualsBruteForce()
    {
        var (scores, same) = RandomScores(13, 3000);
        var roc = Roc.Compute(scores, same);
        int pos = same.Count(s => s), neg = same.Length - pos;
        foreach (double far in new[] { 1e-6, 1e-4, 1e-3, 3e-3, 1e-2, 5e-2, 1e-1, 0.5 })
        {
            // Best TAR over every threshold t (accept score ≥ t) whose FAR ≤ far, including t = +∞.
            double best = 0;
            foreach (double t in scores.Distinct())
            {
                int tp = 0, fp = 0;
                for (int i = 0; i < scores.Length; i++)
                    if (scores[i] >= t) { if (same[i]) tp++; else fp++; }
                if ((double)fp / neg <= far) best = Math.Max(best, (double)tp / pos);
            }
            Assert.Equal(best, roc.TarAt(far), 12);
        }
    }

    /// <summary>
    /// Impostors at 0.9, 0.8, 0.7, 0.6, genuine at 1.0 and 0.5. Points: (0,0) (0,.5) (.25,.5) (.5,.5) (.75,.5)
    /// (1,.5) (1,1). sklearn drops the collinear equal steps (.25,.5) (.5,.5) (.75,.5). At FAR 0.6 the nearest kept
    /// FPR is 1.0 (|0.4| &lt; |0.6|), the largest TPR there is 1.0; the at-or-below convention gives 0.5.
    /// </summary>
    [Fact]
    public void IjbScriptConventionReadsTheNearestKeptPoint()
    {
        double[] scores = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5];
        bool[] same = [true, false, false, false, false, true];
        var roc = Roc.Compute(scores, same);
        Assert.Equal(0.5, roc.TarAt(0.6));
        Assert.Equal(1.0, roc.TarAt(0.6, TarConvention.NearestFprIjbScript));
        Assert.Equal(0.5, roc.TarAt(0.2, TarConvention.NearestFprIjbScript)); // nearest kept: (0, .5)
        Assert.Equal(0.5, roc.Auc, 12); // 1.0 beats all 4 impostors, 0.5 beats none: (4 + 0) / 8
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        Assert.Throws<ArgumentException>(() => Roc.Compute([0.1, 0.2], [true]));
        Assert.Throws<ArgumentException>(() => Roc.Compute([0.1, double.NaN], [true, false]));
        Assert.Throws<ArgumentException>(() => Roc.Compute([0.1, 0.2], [true, true]));
        var roc = Roc.Compute([0.1, 0.2], [true, false]);
        Assert.Throws<ArgumentOutOfRangeException>(() => roc.TarAt(1.5));
    }
}
