using static TorchSharp.torch;

namespace ArcFace.Data;

/// <summary>A 2-D similarity transform x' = A·x − B·y + Tx, y' = B·x + A·y + Ty (scale √(A²+B²), rotation atan2(B, A)).</summary>
public readonly record struct SimilarityTransform(double A, double B, double Tx, double Ty)
{
    /// <summary>The scale factor.</summary>
    public double Scale => Math.Sqrt(A * A + B * B);

    /// <summary>The rotation in degrees (counter-clockwise in x-right, y-up axes; clockwise on screen).</summary>
    public double RotationDegrees => Math.Atan2(B, A) * 180 / Math.PI;

    /// <summary>Maps one point.</summary>
    public (double X, double Y) Apply(double x, double y) => (A * x - B * y + Tx, B * x + A * y + Ty);

    /// <summary>The inverse transform.</summary>
    public SimilarityTransform Inverse()
    {
        double s2 = A * A + B * B, a = A / s2, b = -B / s2;
        return new(a, b, -(a * Tx - b * Ty), -(b * Tx + a * Ty));
    }
}

/// <summary>
/// insightface's five-point alignment (<c>face_align.norm_crop</c>): the least-squares similarity (Umeyama) from
/// the eyes, nose tip and mouth corners to the ArcFace 112×112 template, then a bilinear warp.
/// </summary>
public static class FaceAlignment
{
    /// <summary>The ArcFace template for 112×112: left eye, right eye, nose tip, left and right mouth corners.</summary>
    public static IReadOnlyList<(double X, double Y)> Template { get; } =
        [(38.2946, 51.6963), (73.5318, 51.5014), (56.0252, 71.7366), (41.5493, 92.3655), (70.7299, 92.2041)];

    /// <summary>
    /// The similarity transform minimising Σ‖T(source_i) − destination_i‖² (Umeyama 1991; in 2-D it has the closed form
    /// below, with no reflection possible).
    /// </summary>
    public static SimilarityTransform Estimate(IReadOnlyList<(double X, double Y)> source, IReadOnlyList<(double X, double Y)> destination)
    {
        if (source.Count != destination.Count || source.Count < 2)
            throw new ArgumentException($"need the same number (≥ 2) of source and destination points; got {source.Count} and {destination.Count}.");
        int n = source.Count;
        double sx = source.Average(p => p.X), sy = source.Average(p => p.Y), dx = destination.Average(p => p.X), dy = destination.Average(p => p.Y);
        double dot = 0, cross = 0, norm = 0;
        for (int i = 0; i < n; i++)
        {
            double x = source[i].X - sx, y = source[i].Y - sy, u = destination[i].X - dx, v = destination[i].Y - dy;
            dot += x * u + y * v;
            cross += x * v - y * u;
            norm += x * x + y * y;
        }
        if (norm == 0) throw new ArgumentException("the source points all coincide.", nameof(source));
        double a = dot / norm, b = cross / norm;
        return new(a, b, dx - (a * sx - b * sy), dy - (b * sx + a * sy));
    }

    /// <summary>The transform from five <paramref name="landmarks"/> to the template scaled to <paramref name="size"/>.</summary>
    public static SimilarityTransform ToTemplate(IReadOnlyList<(double X, double Y)> landmarks, int size = 112)
    {
        if (landmarks.Count != 5) throw new ArgumentException($"expected 5 landmarks (eyes, nose tip, mouth corners); got {landmarks.Count}.", nameof(landmarks));
        double k = size / 112.0;
        return Estimate(landmarks, Template.Select(p => (p.X * k, p.Y * k)).ToArray());
    }

    /// <summary>
    /// Warps a C × H × W image by <paramref name="transform"/> (source → output pixel coordinates, pixel centres at
    /// integers as in cv2.warpAffine) into C × size × size, sampling bilinearly; outside the source: <paramref name="border"/>.
    /// </summary>
    public static Tensor Warp(Tensor image, SimilarityTransform transform, int size = 112, float border = -1f)
    {
        if (image.dim() != 3) throw new ArgumentException($"expected a C × H × W image, got [{string.Join(", ", image.shape)}].", nameof(image));
        int c = (int)image.shape[0], h = (int)image.shape[1], w = (int)image.shape[2];
        var src = image.cpu().to(ScalarType.Float32).contiguous().data<float>().ToArray();
        var dst = new float[c * size * size];
        var inverse = transform.Inverse();
        float at(int ch, int y, int x) => x < 0 || y < 0 || x >= w || y >= h ? border : src[(ch * h + y) * w + x];
        Parallel.For(0, size, v =>
        {
            for (int u = 0; u < size; u++)
            {
                var (x, y) = inverse.Apply(u, v);
                int x0 = (int)Math.Floor(x), y0 = (int)Math.Floor(y);
                float fx = (float)(x - x0), fy = (float)(y - y0);
                for (int ch = 0; ch < c; ch++)
                    dst[(ch * size + v) * size + u] =
                        (1 - fy) * ((1 - fx) * at(ch, y0, x0) + fx * at(ch, y0, x0 + 1)) + fy * ((1 - fx) * at(ch, y0 + 1, x0) + fx * at(ch, y0 + 1, x0 + 1));
            }
        });
        return tensor(dst, [c, size, size]);
    }

    /// <summary>Aligns a C × H × W image with five landmarks to the ArcFace crop of <paramref name="size"/>.</summary>
    public static Tensor Align(Tensor image, IReadOnlyList<(double X, double Y)> landmarks, int size = 112) =>
        Warp(image, ToTemplate(landmarks, size), size);
}
