namespace ArcFace.Evaluation;

/// <summary>
/// Fig 3's picture as numbers: with 2-D features every image is an angle on the circle, and each identity should fill
/// one arc. The gap between neighbouring arcs is the empty angle a margin opens (negative where the arcs overlap).
/// </summary>
public static class CircleArcs
{
    /// <summary>
    /// The gaps, in degrees, between each identity's arc and the next one anticlockwise, in the order of the arcs'
    /// centres. An identity's arc is centred on the circular mean of its angles and holds the middle
    /// <paramref name="coverage"/> of them (nearest-rank quantiles), so a few stray images do not close a gap.
    /// </summary>
    /// <param name="anglesDegrees">Each image's feature angle, atan2(y, x) in degrees.</param>
    /// <param name="labels">Each image's identity, 0 … C − 1 with C ≥ 2, every identity present.</param>
    /// <param name="coverage">Share of an identity's images its arc holds, in (0, 1].</param>
    /// <exception cref="ArgumentException">Lengths differ, fewer than two identities, or an identity without images.</exception>
    public static double[] Gaps(IReadOnlyList<double> anglesDegrees, IReadOnlyList<int> labels, double coverage = 0.9)
    {
        if (anglesDegrees.Count != labels.Count)
            throw new ArgumentException($"{anglesDegrees.Count} angles but {labels.Count} labels.", nameof(labels));
        if (coverage is not (> 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(coverage), coverage, "coverage must be in (0, 1].");
        int classes = labels.Count == 0 ? 0 : labels.Max() + 1;
        if (classes < 2 || labels.Min() < 0) throw new ArgumentException($"labels must run 0 … C − 1 with C ≥ 2; got {classes} identities.", nameof(labels));
        var arcs = Enumerable.Range(0, classes).Select(c =>
        {
            var angles = Enumerable.Range(0, labels.Count).Where(i => labels[i] == c).Select(i => anglesDegrees[i] * Math.PI / 180).ToArray();
            if (angles.Length == 0) throw new ArgumentException($"identity {c} has no images.", nameof(labels));
            double centre = Math.Atan2(angles.Average(Math.Sin), angles.Average(Math.Cos)) * 180 / Math.PI;
            var offsets = angles.Select(a => Wrap(a * 180 / Math.PI - centre)).Order().ToArray();
            double Quantile(double p) => offsets[(int)Math.Round(p * (offsets.Length - 1))];
            return (Centre: centre, Start: centre + Quantile((1 - coverage) / 2), End: centre + Quantile((1 + coverage) / 2));
        }).OrderBy(a => a.Centre).ToArray();
        return arcs.Select((arc, i) => Wrap(arcs[(i + 1) % classes].Start - arc.End)).ToArray();
    }

    /// <summary>An angle in degrees brought into (−180, 180].</summary>
    static double Wrap(double degrees)
    {
        double d = degrees % 360;
        return d > 180 ? d - 360 : d <= -180 ? d + 360 : d;
    }
}
