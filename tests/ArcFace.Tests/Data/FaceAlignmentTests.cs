using ArcFace.Data;
using static TorchSharp.torch;

namespace ArcFace.Tests.Data;

public class FaceAlignmentTests
{
    [Fact]
    public void RecoversAKnownSimilarityExactly()
    {
        // Landmarks = the template moved by the inverse of T (scale 1.7, rotation 23°, shift (−12.5, 30)); aligning
        // them must give T back.
        double angle = 23 * Math.PI / 180, scale = 1.7;
        var t = new SimilarityTransform(scale * Math.Cos(angle), scale * Math.Sin(angle), -12.5, 30);
        var inverse = t.Inverse();
        var landmarks = FaceAlignment.Template.Select(p => inverse.Apply(p.X, p.Y)).ToArray();
        var found = FaceAlignment.ToTemplate(landmarks);
        Assert.Equal(t.A, found.A, 1e-9);
        Assert.Equal(t.B, found.B, 1e-9);
        Assert.Equal(t.Tx, found.Tx, 1e-9);
        Assert.Equal(t.Ty, found.Ty, 1e-9);
        Assert.Equal(23, found.RotationDegrees, 1e-9);
        Assert.Equal(1.7, found.Scale, 1e-9);
    }

    [Fact]
    public void FitsNoisyPointsByLeastSquares()
    {
        // Source (0,0), (2,0), (0,2) to (1,1), (3,1.2), (1,3). Golden values of the closed form, computed once in
        // float64 (python3): Σ|s|² = 16/3, a = Σ s·d / Σ|s|² = 0.975, b = Σ s×d / Σ|s|² = 0.05.
        (double X, double Y)[] src = [(0, 0), (2, 0), (0, 2)], dst = [(1, 1), (3, 1.2), (1, 3)];
        var t = FaceAlignment.Estimate(src, dst);
        double sx = 2 / 3.0, sy = 2 / 3.0, dx = 5 / 3.0, dy = 5.2 / 3;
        double dot = 0, cross = 0, norm = 0;
        for (int i = 0; i < 3; i++)
        {
            double x = src[i].X - sx, y = src[i].Y - sy, u = dst[i].X - dx, v = dst[i].Y - dy;
            dot += x * u + y * v; cross += x * v - y * u; norm += x * x + y * y;
        }
        Assert.Equal(dot / norm, t.A, 1e-12);
        Assert.Equal(cross / norm, t.B, 1e-12);
        Assert.Equal(0.975, t.A, 1e-12);
        Assert.Equal(0.05, t.B, 1e-12);
        // Least squares: the residual grows when the fit is perturbed.
        double residual(SimilarityTransform s) => src.Zip(dst).Sum(p => { var q = s.Apply(p.First.X, p.First.Y); return Math.Pow(q.X - p.Second.X, 2) + Math.Pow(q.Y - p.Second.Y, 2); });
        Assert.True(residual(t) < residual(t with { A = t.A + 1e-3 }));
        Assert.True(residual(t) < residual(t with { B = t.B - 1e-3 }));
        Assert.True(residual(t) < residual(t with { Tx = t.Tx + 1e-3 }));
    }

    [Fact]
    public void WarpsByIntegerShiftsExactlyAndFillsTheBorder()
    {
        TestRuntime.EnsureLoaded();
        using var image = arange(3 * 6 * 6, dtype: float32).view(3, 6, 6) / 100;
        using var shifted = FaceAlignment.Warp(image, new SimilarityTransform(1, 0, 2, -1), size: 6, border: -1);
        // out(u, v) = in(u − 2, v + 1)
        var a = image.data<float>().ToArray();
        var b = shifted.data<float>().ToArray();
        for (int c = 0; c < 3; c++)
            for (int v = 0; v < 6; v++)
                for (int u = 0; u < 6; u++)
                {
                    int x = u - 2, y = v + 1;
                    float expected = x is >= 0 and < 6 && y is >= 0 and < 6 ? a[(c * 6 + y) * 6 + x] : -1;
                    Assert.Equal(expected, b[(c * 6 + v) * 6 + u], 6);
                }
        // Half-pixel shift: the mean of two neighbours.
        using var half = FaceAlignment.Warp(image, new SimilarityTransform(1, 0, -0.5, 0), size: 6);
        Assert.Equal((a[0] + a[1]) / 2, half.data<float>()[0], 6);
    }
}
