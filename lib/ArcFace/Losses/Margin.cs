using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Losses;

/// <summary>What the target logit does where m1·θ + m2 passes π (reference §3).</summary>
public enum MarginBoundary
{
    /// <summary>The plain formula everywhere (the paper): the logit rises again past π − m2.</summary>
    Plain,

    /// <summary>insightface's fallback: where θ &gt; π − m2 use cos θ − m3 − m2·sin m2 (the <c>th</c>/<c>mm</c> constants).</summary>
    Fallback,

    /// <summary>Easy margin: apply the margin only where cos θ &gt; 0, else the plain cos θ.</summary>
    EasyMargin,
}

/// <summary>How the margin's gradient flows (reference §3, variants A–C versus D).</summary>
public enum GradientMode
{
    /// <summary>The exact derivative of the target logit (the paper, pytorch-metric-learning).</summary>
    Exact,

    /// <summary>
    /// The margin's value without its gradient, as arcface_torch since Dec 2022: z_y = s·(c + detach(f(c) − c)), so
    /// dz_y/dc = s and ∂L/∂c_j = s·(p_j − 1[j = y]) for every class j.
    /// </summary>
    StraightThrough,
}

/// <summary>
/// The paper's combined margin: target logit s·(cos(m1·θ + m2) − m3), non-target logits s·cos θ. Every margin loss of
/// the paper is a preset of it (<see cref="ArcFace"/>, <see cref="CosFace"/>, <see cref="SphereFace"/>, ...).
/// </summary>
/// <param name="M1">Multiplicative angular margin (SphereFace); 1 for none. Real, &gt; 0.</param>
/// <param name="M2">Additive angular margin in radians (ArcFace); 0 for none.</param>
/// <param name="M3">Additive cosine margin (CosFace); 0 for none.</param>
/// <param name="Scale">Feature scale s (64 in the paper).</param>
/// <param name="Boundary">Behaviour past θ = π − m2.</param>
/// <param name="Gradient">Exact or straight-through gradient of the margin.</param>
public sealed record Margin(double M1 = 1, double M2 = 0, double M3 = 0, double Scale = 64,
    MarginBoundary Boundary = MarginBoundary.Plain, GradientMode Gradient = GradientMode.Exact)
{
    /// <summary>Floor under sin²θ: keeps √(1 − c²) and its gradient finite at c = ±1 exactly.</summary>
    internal const double SinSquaredFloor = 1e-12;

    public double M1 { get; init; } = M1 > 0 && double.IsFinite(M1) ? M1 : throw new ArgumentOutOfRangeException(nameof(M1), M1, "Margin.M1 must be finite and > 0.");
    public double M2 { get; init; } = M2 >= 0 && M2 < Math.PI ? M2 : throw new ArgumentOutOfRangeException(nameof(M2), M2, "Margin.M2 must be in [0, π).");
    public double M3 { get; init; } = M3 >= 0 && M3 < 2 ? M3 : throw new ArgumentOutOfRangeException(nameof(M3), M3, "Margin.M3 must be in [0, 2).");
    public double Scale { get; init; } = Scale > 0 && double.IsFinite(Scale) ? Scale : throw new ArgumentOutOfRangeException(nameof(Scale), Scale, "Margin.Scale must be finite and > 0.");

    /// <summary>Norm-Softmax (1, 0, 0): normalised features and centres, scale s, no margin.</summary>
    public static Margin NormSoftmax(double s = 64) => new(Scale: s);

    /// <summary>SphereFace in the paper's arccos form: cos(m1·θ), real m1 (best 1.35).</summary>
    public static Margin SphereFace(double m1 = 1.35) => new(M1: m1);

    /// <summary>CosFace: cos θ − m3 (best 0.35).</summary>
    public static Margin CosFace(double m3 = 0.35) => new(M3: m3);

    /// <summary>ArcFace: cos(θ + m2) (m = 0.5 in the paper).</summary>
    public static Margin ArcFace(double m2 = 0.5) => new(M2: m2);

    /// <summary>The combined form cos(m1·θ + m2) − m3.</summary>
    public static Margin Combined(double m1, double m2, double m3) => new(m1, m2, m3);

    /// <summary>The paper's CM1 = (1, 0.3, 0.2).</summary>
    public static Margin CM1 => new(1, 0.3, 0.2);

    /// <summary>The paper's CM2 = (0.9, 0.4, 0.15).</summary>
    public static Margin CM2 => new(0.9, 0.4, 0.15);

    /// <summary>True for (1, 0, 0): the target logit is s·cos θ like every other.</summary>
    public bool IsIdentity => M1 == 1 && M2 == 0 && M3 == 0;

    /// <summary>s·cos θ_y, the target logit without the margin, or null where the margin is the identity.</summary>
    internal Tensor? PlainTargetLogit(Tensor targetCos) => IsIdentity ? null : targetCos.detach() * Scale;

    /// <summary>Angle past which <see cref="MarginBoundary.Fallback"/> replaces the margin: (π − m2)/m1, at most π.</summary>
    public double FallbackAngle => Math.Min(Math.PI, (Math.PI - M2) / M1);

    /// <summary>insightface's <c>th</c> = cos(π − m) (for m1 = 1): the cosine below which the fallback applies.</summary>
    public double Th => Math.Cos(FallbackAngle);

    /// <summary>insightface's <c>mm</c> = sin(π − m)·m = m·sin m: the fallback's cosine penalty.</summary>
    public double Mm => Math.Sin(Math.PI - M2) * M2;

    /// <summary>The unscaled target logit f(θ) in closed form (float64), honouring <see cref="Boundary"/>; for charts.</summary>
    public double TargetLogit(double thetaRadians)
    {
        double c = Math.Cos(thetaRadians);
        double margin = Math.Cos(M1 * thetaRadians + M2) - M3;
        return Boundary switch
        {
            MarginBoundary.Fallback => thetaRadians > FallbackAngle ? c - M3 - Mm : margin,
            MarginBoundary.EasyMargin => c > 0 ? margin : c,
            _ => margin,
        };
    }

    /// <summary>
    /// The unscaled target logit f(c) for target cosines c (any shape), with this margin's boundary and gradient mode.
    /// θ comes from atan2(√max(1 − c², ε), c), which equals arccos c but keeps value and gradient finite at c = ±1.
    /// </summary>
    public Tensor TargetLogit(Tensor cos)
    {
        if (IsIdentity) return cos;
        var theta = Angle(cos);
        var f = (M1 == 1 ? theta : theta * M1);
        f = M2 == 0 ? f.cos() : (f + M2).cos();
        if (M3 != 0) f = f - M3;
        f = Boundary switch
        {
            MarginBoundary.Fallback => where(cos > Th, f, cos - (M3 + Mm)),
            MarginBoundary.EasyMargin => where(cos > 0, f, cos),
            _ => f,
        };
        return Gradient == GradientMode.StraightThrough ? cos + (f - cos).detach() : f;
    }

    /// <summary>θ = arccos c as atan2(√max(1 − c², ε), c): finite value and gradient at c = ±1 (and just past).</summary>
    internal static Tensor Angle(Tensor cos) => atan2((1 - cos * cos).clamp_min(SinSquaredFloor).sqrt(), cos);

    /// <summary>A short name as the paper's tables write it, e.g. "ArcFace (0.5)", "CM1 (1, 0.3, 0.2)".</summary>
    public string Label
    {
        get
        {
            static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
            string name = (M1, M2, M3) switch
            {
                (1, 0, 0) => "Norm-Softmax",
                (_, 0, 0) => $"SphereFace ({F(M1)})",
                (1, _, 0) => $"ArcFace ({F(M2)})",
                (1, 0, _) => $"CosFace ({F(M3)})",
                (1, 0.3, 0.2) => "CM1 (1, 0.3, 0.2)",
                (0.9, 0.4, 0.15) => "CM2 (0.9, 0.4, 0.15)",
                _ => $"Combined ({F(M1)}, {F(M2)}, {F(M3)})",
            };
            var extras = new List<string>();
            if (Scale != 64) extras.Add($"s = {F(Scale)}");
            if (Boundary != MarginBoundary.Plain) extras.Add(Boundary == MarginBoundary.Fallback ? "fallback" : "easy margin");
            if (Gradient != GradientMode.Exact) extras.Add("straight-through");
            return extras.Count == 0 ? name : $"{name}, {string.Join(", ", extras)}";
        }
    }

    /// <inheritdoc cref="Label"/>
    public override string ToString() => Label;
}
