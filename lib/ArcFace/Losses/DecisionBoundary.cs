namespace ArcFace.Losses;

/// <summary>
/// Binary decision boundaries of §2.2 / Fig 5: with two classes, a sample is assigned to class 1 where
/// f(θ1) = cos θ2, i.e. θ2 = arccos f(θ1): Norm-Softmax θ1 = θ2, SphereFace m1·θ1 = θ2, CosFace cos θ1 − m3 = cos θ2,
/// ArcFace θ1 + m2 = θ2. Angles in radians.
/// </summary>
public static class DecisionBoundary
{
    /// <summary>θ2 on class 1's boundary for a given θ1, or null where f(θ1) leaves [−1, 1] or m1·θ1 + m2 passes π.</summary>
    public static double? Theta2(Margin margin, double theta1)
    {
        if (margin.M1 * theta1 + margin.M2 > Math.PI) return null;
        double f = Math.Cos(margin.M1 * theta1 + margin.M2) - margin.M3;
        return f is < -1 or > 1 ? null : Math.Acos(f);
    }

    /// <summary>Class 1's boundary sampled at <paramref name="points"/> θ1 in [0, π], where it exists.</summary>
    public static IReadOnlyList<(double Theta1, double Theta2)> Class1(Margin margin, int points = 181)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(points, 2);
        return Enumerable.Range(0, points).Select(i => Math.PI * i / (points - 1))
            .Select(t1 => (t1, Theta2(margin, t1))).Where(p => p.Item2 is not null)
            .Select(p => (p.t1, p.Item2!.Value)).ToList();
    }

    /// <summary>Class 2's boundary, the mirror image of class 1's (θ1 and θ2 swapped); the band between is the margin.</summary>
    public static IReadOnlyList<(double Theta1, double Theta2)> Class2(Margin margin, int points = 181) =>
        Class1(margin, points).Select(p => (p.Theta2, p.Theta1)).ToList();
}
