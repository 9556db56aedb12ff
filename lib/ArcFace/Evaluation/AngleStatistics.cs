using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Evaluation;

/// <summary>A histogram of angles over [0°, 180°] in equal bins.</summary>
/// <param name="Counts">Count per bin; bin b covers [b·w, (b+1)·w) degrees (the last bin includes 180°).</param>
/// <param name="BinWidth">Bin width w in degrees.</param>
public sealed record AngleHistogram(long[] Counts, double BinWidth);

/// <summary>
/// The paper's angle table (v3 Table 3), in degrees. Class centres are the (direction of the) mean of a class's
/// L2-normalised features; only classes present in the labels count. Statistics that need the class weights are NaN
/// (histograms null) when no weights are given, as for test sets (Intra2 / Inter2 on LFW).
/// </summary>
/// <param name="WEc">Mean over classes of the angle between W_j and class j's feature centre.</param>
/// <param name="WInter">Mean over j of the smallest angle between W_j and any other W_k.</param>
/// <param name="Intra">Mean over samples of the angle between x_i and its class centre.</param>
/// <param name="Inter">Mean over classes of the smallest angle between the class's centre and another class's centre.</param>
/// <param name="TargetTheta">Histogram of θ_{y_i} = angle(x_i, W_{y_i}) (Fig 4a).</param>
/// <param name="OtherTheta">Histogram of θ_j = angle(x_i, W_j) for all j ≠ y_i.</param>
public sealed record AngleStatistics(double WEc, double WInter, double Intra, double Inter,
    AngleHistogram? TargetTheta, AngleHistogram? OtherTheta)
{
    const int RowBlock = 1024; // rows of a cosine matrix computed at once, to bound memory for many classes

    /// <summary>
    /// Computes the statistics of N × D <paramref name="features"/> with class <paramref name="labels"/> and, when
    /// given, the C × D class weights <paramref name="weights"/> (the head's centres, one row per class).
    /// </summary>
    public static AngleStatistics Compute(Tensor features, int[] labels, Tensor? weights = null, int bins = 90)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (features.dim() != 2 || features.shape[0] != labels.Length)
            throw new ArgumentException($"Features must be N × D with N = {labels.Length} labels; got shape [{string.Join(", ", features.shape)}].", nameof(features));
        if (labels.Length == 0) throw new ArgumentException("No features given.", nameof(features));
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "Need at least one bin.");
        int classes = (int)(weights?.shape[0] ?? labels.Max() + 1);
        if (labels.Any(l => l < 0 || l >= classes))
            throw new ArgumentException($"Labels must lie in [0, {classes}); got {labels.Min()}…{labels.Max()}.", nameof(labels));
        if (weights is not null && (weights.dim() != 2 || weights.shape[1] != features.shape[1]))
            throw new ArgumentException($"Weights must be C × {features.shape[1]} (one row per class); got shape [{string.Join(", ", weights.shape)}].", nameof(weights));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = Unit(features, nameof(features));
        var y = tensor(labels.Select(l => (long)l).ToArray());
        var sums = zeros(classes, x.shape[1], dtype: float64).index_add_(0, y, x, 1);
        var present = tensor(Enumerable.Range(0, classes).Where(new HashSet<int>(labels).Contains).Select(c => (long)c).ToArray());
        var centres = nn.functional.normalize(sums, p: 2, dim: 1);

        double intra = Degrees((x * centres.index_select(0, y)).sum(1)).mean().item<double>();
        double inter = MeanNearestAngle(centres.index_select(0, present));
        if (weights is null) return new AngleStatistics(double.NaN, double.NaN, intra, inter, null, null);

        var w = Unit(weights, nameof(weights));
        double wEc = Degrees((w.index_select(0, present) * centres.index_select(0, present)).sum(1)).mean().item<double>();
        double wInter = MeanNearestAngle(w);
        var (target, other) = ThetaHistograms(x, y, w, bins);
        return new AngleStatistics(wEc, wInter, intra, inter, target, other);
    }

    static Tensor Unit(Tensor t, string name)
    {
        var unit = t.detach().cpu().to(float64);
        if (!isfinite(unit).all().item<bool>()) throw new ArgumentException($"{name} contain NaN or Inf.", name);
        return nn.functional.normalize(unit, p: 2, dim: 1);
    }

    static Tensor Degrees(Tensor cosines) => cosines.clamp(-1, 1).acos() * (180 / Math.PI);

    /// <summary>Mean over rows of the angle to the nearest other row (rows are unit vectors).</summary>
    static double MeanNearestAngle(Tensor unit)
    {
        long n = unit.shape[0];
        if (n < 2) return double.NaN;
        double total = 0;
        for (long start = 0; start < n; start += RowBlock)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(RowBlock, n - start);
            var cos = unit.narrow(0, start, count).mm(unit.t());
            cos[arange(count), arange(start, start + count)] = tensor(double.NegativeInfinity, float64);
            total += Degrees(cos.max(1).values).sum().item<double>();
        }
        return total / n;
    }

    static (AngleHistogram Target, AngleHistogram Other) ThetaHistograms(Tensor x, Tensor y, Tensor w, int bins)
    {
        var target = new long[bins];
        var other = new long[bins];
        double width = 180.0 / bins;
        for (long start = 0; start < x.shape[0]; start += RowBlock)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(RowBlock, x.shape[0] - start);
            var theta = Degrees(x.narrow(0, start, count).mm(w.t()));
            var isTarget = nn.functional.one_hot(y.narrow(0, start, count), w.shape[0]).to(@bool);
            Accumulate(target, theta.masked_select(isTarget), width);
            Accumulate(other, theta.masked_select(isTarget.logical_not()), width);
        }
        return (new AngleHistogram(target, width), new AngleHistogram(other, width));
    }

    static void Accumulate(long[] counts, Tensor degrees, double width)
    {
        var bin = (degrees / width).floor().clamp(0, counts.Length - 1).to(int64);
        var added = bincount(bin, minlength: counts.Length).data<long>().ToArray();
        for (int b = 0; b < counts.Length; b++) counts[b] += added[b];
    }
}
