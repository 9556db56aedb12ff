using System.Globalization;

namespace ArcFace.Evaluation;

/// <summary>Mean and sample standard deviation (n − 1) of a result over seeds; NaN std for a single value.</summary>
public sealed record Spread(double Mean, double Std, int Count)
{
    /// <summary>The spread of <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentException">No values.</exception>
    public static Spread Of(IEnumerable<double> values)
    {
        var v = values.ToArray();
        if (v.Length == 0) throw new ArgumentException("a spread needs at least one value.", nameof(values));
        double mean = v.Average();
        double std = v.Length < 2 ? double.NaN : Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
        return new Spread(mean, std, v.Length);
    }

    /// <summary>"mean ± std" with two decimals, or the mean alone for one value.</summary>
    public override string ToString() => Count < 2
        ? Mean.ToString("F2", CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{Mean:F2} ± {Std:F2}");
}
