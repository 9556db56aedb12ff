namespace ArcFace.Interactive;

/// <summary>One row of a published table: a setting and its figures, in the table's column order (NaN: not reported).</summary>
public sealed record PublishedRow(string Setting, params double[] Values);

/// <summary>A table of the paper: its columns and rows, looked up as <c>table["ArcFace (0.5)", "LFW"]</c>.</summary>
public sealed record PublishedTable(string Title, string Unit, string[] Columns, IReadOnlyList<PublishedRow> Rows)
{
    /// <summary>The figure of <paramref name="setting"/> in <paramref name="column"/>, or null where the paper has none.</summary>
    public double? this[string setting, string column]
    {
        get
        {
            int c = Array.IndexOf(Columns, column);
            if (c < 0) throw new ArgumentException($"'{Title}' has no column '{column}'; columns: {string.Join(", ", Columns)}.", nameof(column));
            var row = Rows.FirstOrDefault(r => r.Setting == setting);
            return row is null || double.IsNaN(row.Values[c]) ? null : row.Values[c];
        }
    }
}

/// <summary>
/// The ArcFace paper's published figures that the notebooks set beside their own (arXiv 1801.07698 v3/v4; see
/// shared/reference/arcface-reference.md §4). Percentages unless a table says otherwise.
/// </summary>
public static class PaperNumbers
{
    /// <summary>
    /// Table 2, [CASIA, ResNet50, loss]: LFW, CFP-FP, AgeDB-30 (%). Settings are named as <c>Margin.Label</c> and
    /// <c>RegularizedHead.Label</c> name them, so a run's label finds its published row.
    /// </summary>
    public static PublishedTable LossComparison { get; } = new("Table 2, [CASIA, ResNet50, loss]", "%", ["LFW", "CFP-FP", "AgeDB-30"],
    [
        new PublishedRow("Softmax", 99.08, 94.39, 92.33),
        new PublishedRow("Norm-Softmax", 98.56, 89.79, 88.72),
        new PublishedRow("SphereFace (1.35)", 99.11, 94.38, 91.70),
        new PublishedRow("CosFace (0.35)", 99.51, 95.44, 94.56),
        new PublishedRow("ArcFace (0.4)", 99.53, 95.41, 94.98),
        new PublishedRow("ArcFace (0.45)", 99.46, 95.47, 94.93),
        new PublishedRow("ArcFace (0.5)", 99.53, 95.56, 95.15),
        new PublishedRow("ArcFace (0.55)", 99.41, 95.32, 95.05),
        new PublishedRow("CM1 (1, 0.3, 0.2)", 99.48, 95.12, 94.38),
        new PublishedRow("CM2 (0.9, 0.4, 0.15)", 99.50, 95.24, 94.86),
        new PublishedRow("Norm-Softmax + Intra", 98.75, 93.81, 90.92),
        new PublishedRow("Norm-Softmax + Inter", 98.68, 90.67, 89.50),
        new PublishedRow("Norm-Softmax + Intra + Inter", 98.73, 94.00, 91.41),
        new PublishedRow("Triplet (0.35)", 98.98, 91.90, 89.98),
        new PublishedRow("ArcFace (0.5) + Intra", 99.45, 95.37, 94.73),
        new PublishedRow("ArcFace (0.5) + Inter", 99.43, 95.25, 94.55),
        new PublishedRow("ArcFace (0.5) + Intra + Inter", 99.43, 95.42, 95.10),
        new PublishedRow("ArcFace (0.5) + Triplet (0.35)", 99.50, 95.51, 94.40),
    ]);

    /// <summary>v3 Table 3, [CASIA, R50], degrees: W-EC, W-Inter, Intra1, Inter1, Intra2, Inter2 (NaN: not reported).</summary>
    public static PublishedTable AngleStatistics { get; } = new("v3 Table 3, angle statistics, [CASIA, R50]", "°", ["W-EC", "W-Inter", "Intra1", "Inter1", "Intra2", "Inter2"],
    [
        new PublishedRow("Norm-Softmax", 44.26, 69.66, 50.50, 59.23, 33.97, 65.60),
        new PublishedRow("ArcFace", 14.29, 71.61, 38.45, 65.83, 28.05, 66.55),
        new PublishedRow("Intra", 8.83, 31.34, 17.50, 24.07, 12.94, 26.28),
        new PublishedRow("Inter", 46.85, 75.66, 52.74, 62.40, 35.38, 67.90),
        new PublishedRow("Triplet", double.NaN, double.NaN, 41.19, 50.23, 27.42, 55.94),
    ]);

    /// <summary>v3 Table 6, MegaFace Challenge 1: rank-1 identification, TAR@FAR=1e-6 (%).</summary>
    public static PublishedTable MegaFace { get; } = new("Table 6, MegaFace Challenge 1", "%", ["Rank-1", "TAR@FAR=1e-6"],
    [
        new PublishedRow("[CASIA, R50, ArcFace]", 77.50, 92.34),
        new PublishedRow("[CASIA, R50, ArcFace], refined", 91.75, 93.69),
        new PublishedRow("[MS1MV2, R100, ArcFace]", 81.03, 96.98),
        new PublishedRow("[MS1MV2, R100, ArcFace], refined", 98.35, 98.48),
    ]);

    /// <summary>v3 Table 7, IJB-B / IJB-C 1:1 TAR@FAR=1e-4 (%).</summary>
    public static PublishedTable Ijb { get; } = new("v3 Table 7, IJB 1:1 TAR@FAR=1e-4", "%", ["IJB-B", "IJB-C"],
    [
        new PublishedRow("[VGG2, R50, ArcFace]", 89.8, 92.1),
        new PublishedRow("[MS1MV2, R100, ArcFace]", 94.2, 95.6),
    ]);

    /// <summary>v4 Table 3, sub-center ablation on MS1MV0 (noisy), ResNet50: IJB-B, IJB-C TAR@FAR=1e-4 (%).</summary>
    public static PublishedTable SubCenter { get; } = new("v4 Table 3, sub-center on MS1MV0, R50, TAR@FAR=1e-4", "%", ["IJB-B", "IJB-C"],
    [
        new PublishedRow("K=1", 87.87, 90.27),
        new PublishedRow("K=3", 91.70, 93.72),
        new PublishedRow("K=3, drop >75°, retrain K=1", 94.56, 95.92),
    ]);

    /// <summary>§5.1, backbone size with a 512-d head at 112×112: parameters (millions), GMACs.</summary>
    public static PublishedTable BackboneSize { get; } = new("§5.1, backbone size (512-d, 112×112)", "", ["Params (M)", "GMACs"],
    [
        new PublishedRow("r18", 24.0, 2.61),
        new PublishedRow("r34", 34.1, 4.46),
        new PublishedRow("r50", 43.6, 6.31),
        new PublishedRow("r100", 65.2, 12.09),
        new PublishedRow("r200", 118.8, 23.4),
        new PublishedRow("mbf", 2.06, 0.44),
    ]);
}
