using System.Globalization;
using System.Text.Json.Serialization;

namespace ArcFace.Evaluation;

/// <summary>What the seeds say about a claim of the paper.</summary>
public enum Verdict
{
    /// <summary>The claim holds: significant at one-sided 5 % (or every seed agrees, with no spread at all).</summary>
    Holds,
    /// <summary>Neither the claim nor its opposite is significant: the difference is within the seed noise.</summary>
    Inconclusive,
    /// <summary>The opposite of the claim is significant at one-sided 5 %.</summary>
    Contradicted,
}

/// <summary>One claim of the paper, checked across seeds.</summary>
/// <param name="Notebook">The notebook that checked it, e.g. "07-margins".</param>
/// <param name="Claim">The claim in words, e.g. "ArcFace beats Softmax on LFW".</param>
/// <param name="Paper">The paper's value or statement, e.g. "99.53 vs 99.08".</param>
/// <param name="Unit">Unit of the values ("%", "°", or empty).</param>
/// <param name="Values">Ours, one value per seed.</param>
/// <param name="Baseline">For a comparison, the compared values per seed (paired with <paramref name="Values"/>), else null.</param>
/// <param name="Mean">Mean of <paramref name="Values"/>, or of the paired differences Values − Baseline for a comparison.</param>
/// <param name="Std">Sample standard deviation (n − 1) of the same numbers; NaN with one seed.</param>
/// <param name="Seeds">How many seeds.</param>
/// <param name="Verdict">The verdict.</param>
/// <param name="Test">How the verdict was decided, e.g. "ours − baseline: paired t = 3.46 (df 2) &gt; 2.92, one-sided 5 %".</param>
public sealed record ClaimResult(
    string Notebook,
    string Claim,
    string Paper,
    string Unit,
    IReadOnlyList<double> Values,
    IReadOnlyList<double>? Baseline,
    double Mean,
    double Std,
    int Seeds,
    Verdict Verdict,
    string Test)
{
    /// <summary>
    /// Ours as mean ± std with the unit, e.g. "81.00 ± 1.00 %"; a comparison shows the difference ("Δ +2.00 ± 1.00 %");
    /// one seed shows the mean alone.
    /// </summary>
    [JsonIgnore]
    public string Ours
    {
        get
        {
            string mean = Baseline is null ? Claims.Format(Mean) : "Δ " + (Mean > 0 ? "+" : "") + Claims.Format(Mean);
            string spread = double.IsNaN(Std) ? "" : " ± " + Claims.Format(Std);
            return mean + spread + (Unit.Length > 0 ? " " + Unit : "");
        }
    }
}

/// <summary>
/// Noise-aware verdicts on the paper's claims: one-sided t-tests at 5 % across seeds, paired where two methods are
/// compared on the same seeds (the seed's data and initialisation then cancel out of the difference).
/// </summary>
public static class Claims
{
    const string OneSeed = "1 seed: no spread to judge";

    /// <summary>Claim: ours &gt; baseline, by a one-sided paired t-test on d = ours − baseline per seed.</summary>
    /// <exception cref="ArgumentException">No values, or the two lists differ in length.</exception>
    public static ClaimResult Greater(string notebook, string claim, string paper, IReadOnlyList<double> ours, IReadOnlyList<double> baseline, string unit = "") =>
        Paired(notebook, claim, paper, ours, baseline, unit, sign: 1);

    /// <summary>Claim: ours &lt; baseline, by a one-sided paired t-test on d = ours − baseline per seed.</summary>
    /// <exception cref="ArgumentException">No values, or the two lists differ in length.</exception>
    public static ClaimResult Less(string notebook, string claim, string paper, IReadOnlyList<double> ours, IReadOnlyList<double> baseline, string unit = "") =>
        Paired(notebook, claim, paper, ours, baseline, unit, sign: -1);

    /// <summary>Claim: the values lie below <paramref name="bound"/>, by a one-sided one-sample t-test.</summary>
    /// <exception cref="ArgumentException">No values.</exception>
    public static ClaimResult Below(string notebook, string claim, string paper, IReadOnlyList<double> values, double bound, string unit = "")
    {
        var (verdict, test) = OneSample(values, bound, sign: -1);
        return Result(notebook, claim, paper, unit, values, null, values, verdict, test);
    }

    /// <summary>Claim: the values lie above <paramref name="bound"/>, by a one-sided one-sample t-test.</summary>
    /// <exception cref="ArgumentException">No values.</exception>
    public static ClaimResult Above(string notebook, string claim, string paper, IReadOnlyList<double> values, double bound, string unit = "")
    {
        var (verdict, test) = OneSample(values, bound, sign: 1);
        return Result(notebook, claim, paper, unit, values, null, values, verdict, test);
    }

    /// <summary>
    /// Claim: the values lie between <paramref name="low"/> and <paramref name="high"/> (e.g. "θ falls to 30–40°"):
    /// holds when both <see cref="Above"/> low and <see cref="Below"/> high hold, contradicted when either is.
    /// </summary>
    /// <exception cref="ArgumentException">No values, or low ≥ high.</exception>
    public static ClaimResult Within(string notebook, string claim, string paper, IReadOnlyList<double> values, double low, double high, string unit = "")
    {
        if (!(low < high)) throw new ArgumentException($"Within needs low < high; got {low} and {high}.", nameof(low));
        var (above, aboveTest) = OneSample(values, low, sign: 1);
        var (below, belowTest) = OneSample(values, high, sign: -1);
        var verdict = above == Verdict.Contradicted || below == Verdict.Contradicted ? Verdict.Contradicted
            : above == Verdict.Holds && below == Verdict.Holds ? Verdict.Holds
            : Verdict.Inconclusive;
        string test = aboveTest == belowTest ? aboveTest : $"{aboveTest}; {belowTest}";
        return Result(notebook, claim, paper, unit, values, null, values, verdict, test);
    }

    /// <summary>
    /// Claim: ours and baseline are the same within ±<paramref name="margin"/>, by two one-sided paired t-tests at 5 %
    /// (TOST) on d = ours − baseline: holds when d is significantly above −margin and below +margin, contradicted when
    /// it is significantly beyond either, else inconclusive (too noisy to tell).
    /// </summary>
    /// <exception cref="ArgumentException">No values, the lists differ in length, or margin ≤ 0.</exception>
    public static ClaimResult Equivalent(string notebook, string claim, string paper, IReadOnlyList<double> ours, IReadOnlyList<double> baseline, double margin, string unit = "")
    {
        if (!(margin > 0)) throw new ArgumentException($"Equivalent needs a margin > 0; got {margin}.", nameof(margin));
        if (ours.Count != baseline.Count)
            throw new ArgumentException($"Paired claim '{claim}': {ours.Count} values but {baseline.Count} baseline values; pair them by seed.", nameof(baseline));
        var d = ours.Zip(baseline, (a, b) => a - b).ToList();
        string label = $"ours − baseline within ±{Format(margin)}: t";
        var (aboveLow, lowTest) = Judge(d, -margin, 1, label);
        var (belowHigh, highTest) = Judge(d, margin, -1, label);
        var (beyondHigh, _) = Judge(d, margin, 1, label);
        var (beyondLow, _) = Judge(d, -margin, -1, label);
        var verdict = aboveLow == Verdict.Holds && belowHigh == Verdict.Holds ? Verdict.Holds
            : beyondHigh == Verdict.Holds || beyondLow == Verdict.Holds ? Verdict.Contradicted
            : Verdict.Inconclusive;
        return Result(notebook, claim, paper, unit, ours, baseline, d, verdict, lowTest == highTest ? lowTest : $"{lowTest}; {highTest}");
    }

    /// <summary>
    /// The one-sided 0.95 quantile of Student's t distribution with <paramref name="degreesOfFreedom"/> degrees of
    /// freedom (6.3138 for 1, 2.9200 for 2, → 1.6449 as it grows), by bisection on the t CDF.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="degreesOfFreedom"/> &lt; 1.</exception>
    public static double StudentT95(int degreesOfFreedom)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(degreesOfFreedom, 1);
        // P(T > t) = I_{ν/(ν+t²)}(ν/2, 1/2) / 2 falls from 1/2 at t = 0; t95 < 6.32 for every ν ≥ 1.
        double nu = degreesOfFreedom, lo = 0, hi = 10;
        for (int i = 0; i < 200 && hi - lo > 1e-13; i++)
        {
            double t = (lo + hi) / 2;
            if (RegularizedBeta(nu / (nu + t * t), nu / 2, 0.5) / 2 > 0.05) lo = t; else hi = t;
        }
        return (lo + hi) / 2;
    }

    /// <summary>A value as claims show it: two decimals, up to four where they matter (accuracies as fractions).</summary>
    public static string Format(double value) =>
        double.IsNaN(value) ? "NaN" : value.ToString("0.00##", CultureInfo.InvariantCulture);

    static ClaimResult Paired(string notebook, string claim, string paper, IReadOnlyList<double> ours, IReadOnlyList<double> baseline, string unit, int sign)
    {
        if (ours.Count != baseline.Count)
            throw new ArgumentException($"Paired claim '{claim}': {ours.Count} values but {baseline.Count} baseline values; pair them by seed.", nameof(baseline));
        var d = ours.Zip(baseline, (a, b) => a - b).ToList();
        var (verdict, test) = Judge(d, 0, sign, "ours − baseline: paired t");
        return Result(notebook, claim, paper, unit, ours, baseline, d, verdict, test);
    }

    static (Verdict, string) OneSample(IReadOnlyList<double> values, double bound, int sign) =>
        Judge(values, bound, sign, $"{(sign > 0 ? "above" : "below")} {Format(bound)}: t");

    // sign = +1: the claim is "mean > reference"; −1: "mean < reference". t is oriented so that large t supports the claim.
    static (Verdict, string) Judge(IReadOnlyList<double> x, double reference, int sign, string label)
    {
        if (x.Count == 0) throw new ArgumentException("A claim needs at least one value.", nameof(x));
        if (x.Any(v => !double.IsFinite(v))) return (Verdict.Inconclusive, "a value is not finite: nothing to judge");
        if (x.Count == 1) return (Verdict.Inconclusive, OneSeed);
        double mean = x.Average(), sd = SampleStd(x);
        int df = x.Count - 1;
        double critical = StudentT95(df);
        if (sd == 0)
        {
            double gap = sign * (mean - reference);
            var verdict = gap > 0 ? Verdict.Holds : gap < 0 ? Verdict.Contradicted : Verdict.Inconclusive;
            return (verdict, $"{label}: no spread over {x.Count} seeds, the sign decides ({Format(mean - reference)})");
        }
        double t = sign * (mean - reference) / (sd / Math.Sqrt(x.Count));
        var v = t > critical ? Verdict.Holds : t < -critical ? Verdict.Contradicted : Verdict.Inconclusive;
        string relation = t > critical ? "> " : t < -critical ? "< −" : "within ±";
        return (v, string.Create(CultureInfo.InvariantCulture, $"{label} = {t:0.00} (df {df}) {relation}{critical:0.00}, one-sided 5 %"));
    }

    static ClaimResult Result(string notebook, string claim, string paper, string unit, IReadOnlyList<double> values,
        IReadOnlyList<double>? baseline, IReadOnlyList<double> summarised, Verdict verdict, string test) =>
        new(notebook, claim, paper, unit, values.ToArray(), baseline?.ToArray(), summarised.Average(), SampleStd(summarised),
            values.Count, verdict, test);

    static double SampleStd(IReadOnlyList<double> x)
    {
        if (x.Count < 2) return double.NaN;
        double mean = x.Average();
        return Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / (x.Count - 1));
    }

    // I_x(a, b) by Lentz's continued fraction (Numerical Recipes 6.4), on the side where it converges fast.
    static double RegularizedBeta(double x, double a, double b)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        double front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x));
        return x < (a + 1) / (a + b + 2) ? front * BetaFraction(x, a, b) / a : 1 - front * BetaFraction(1 - x, b, a) / b;
    }

    static double BetaFraction(double x, double a, double b)
    {
        const double Tiny = 1e-300;
        double c = 1, d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.Abs(d) < Tiny ? Tiny : d);
        double h = d;
        for (int m = 1; m <= 10_000; m++)
        {
            double even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
            d = 1 / Guard(1 + even * d); c = Guard(1 + even / c); h *= d * c;
            double odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
            d = 1 / Guard(1 + odd * d); c = Guard(1 + odd / c);
            double step = d * c;
            h *= step;
            if (Math.Abs(step - 1) < 1e-15) break;
        }
        return h;

        static double Guard(double v) => Math.Abs(v) < Tiny ? Tiny : v;
    }

    // Lanczos (g = 7, n = 9): ~15 significant digits for positive arguments.
    static double LogGamma(double x)
    {
        ReadOnlySpan<double> g =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        double sum = g[0];
        for (int i = 1; i < g.Length; i++) sum += g[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}
