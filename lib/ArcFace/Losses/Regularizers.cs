using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ArcFace.Losses;

/// <summary>
/// Weights of the paper's comparison losses (§2, Table 2), added to a margin head's cross-entropy. Defaults follow the
/// paper's formulas: L5 = L2 + Intra and L6 = L2 + Inter, each with weight 1. insightface's 2018
/// <c>train_softmax.py</c> used Inter with weight 0.1 (<see cref="InsightFace2018"/>); which setting produced Table 2 is
/// unconfirmed.
/// </summary>
/// <param name="Softmax">Weight of the inner head's cross-entropy (0 for the pure triplet row).</param>
/// <param name="Intra">Weight of <see cref="Regularizers.Intra"/>.</param>
/// <param name="Inter">Weight of <see cref="Regularizers.Inter"/>.</param>
/// <param name="Triplet">Weight of <see cref="Regularizers.Triplet"/>.</param>
/// <param name="TripletMargin">Angular triplet margin in radians (0.35 in the paper).</param>
public sealed record Regularization(double Softmax = 1, double Intra = 0, double Inter = 0, double Triplet = 0, double TripletMargin = 0.35)
{
    /// <summary>+ Intra (weight 1).</summary>
    public static Regularization WithIntra => new(Intra: 1);

    /// <summary>+ Inter (weight 1).</summary>
    public static Regularization WithInter => new(Inter: 1);

    /// <summary>+ Intra + Inter (weights 1, 1).</summary>
    public static Regularization WithIntraInter => new(Intra: 1, Inter: 1);

    /// <summary>+ angular triplet (weight 1, margin 0.35).</summary>
    public static Regularization WithTriplet => new(Triplet: 1);

    /// <summary>The angular triplet loss alone (Table 2's "Triplet (0.35)" row): no cross-entropy.</summary>
    public static Regularization TripletOnly => new(Softmax: 0, Triplet: 1);

    /// <summary>insightface 2018 <c>train_softmax.py</c>: Intra weight 1, Inter weight 0.1.</summary>
    public static Regularization InsightFace2018 => new(Intra: 1, Inter: 0.1);
}

/// <summary>The paper's geodesic regularisers (§2), each a scalar to add to a loss. Angles are in radians.</summary>
public static class Regularizers
{
    /// <summary>Intra-loss: mean over the batch of θ_{y_i}/π, the angle between each embedding and its centre.</summary>
    public static Tensor Intra(Tensor embeddings, Tensor centres, Tensor labels)
    {
        var cos = nn.functional.cosine_similarity(embeddings, centres.index_select(0, labels), dim: 1);
        return Margin.Angle(cos).mean() / Math.PI;
    }

    /// <summary>
    /// Inter-loss: mean over samples i and classes j ≠ y_i of 1 − angle(W_{y_i}, W_j)/π. The paper writes
    /// −angle/π; the constant 1 (from the 2018 code) keeps it non-negative and leaves the gradient unchanged.
    /// </summary>
    public static Tensor Inter(Tensor centres, Tensor labels)
    {
        long classes = centres.shape[0];
        if (classes < 2) return zeros(1, dtype: centres.dtype, device: centres.device).squeeze();
        var unit = nn.functional.normalize(centres, dim: 1);
        var angles = Margin.Angle(unit.index_select(0, labels).matmul(unit.t()));        // B × C
        var others = angles.sum(1) - angles.gather(1, labels.unsqueeze(1)).squeeze(1);
        return 1 - (others / (classes - 1)).mean() / Math.PI;
    }

    /// <summary>
    /// Angular triplet loss with batch-hard mining: for each anchor, relu(max θ(anchor, positive) + margin −
    /// min θ(anchor, negative)), averaged over anchors that have both a positive and a negative in the batch (0 if none).
    /// </summary>
    public static Tensor Triplet(Tensor embeddings, Tensor labels, double margin = 0.35)
    {
        var unit = nn.functional.normalize(embeddings, dim: 1);
        var angles = Margin.Angle(unit.matmul(unit.t()));                                // B × B
        var same = labels.unsqueeze(0).eq(labels.unsqueeze(1));
        var positive = same.logical_and(eye(labels.shape[0], dtype: ScalarType.Bool, device: labels.device).logical_not());
        var negative = same.logical_not();
        var valid = positive.any(1).logical_and(negative.any(1));
        if (!valid.any().item<bool>()) return zeros(1, dtype: angles.dtype, device: angles.device).squeeze();
        var hardestPositive = where(positive, angles, -1.0).max(1).values;
        var hardestNegative = where(negative, angles, 2 * Math.PI).min(1).values;
        return nn.functional.relu(hardestPositive + margin - hardestNegative).masked_select(valid).mean();
    }
}

/// <summary>
/// A margin head (Norm-Softmax or ArcFace in the paper's table) plus the Intra / Inter / angular triplet losses.
/// Logits, labels and target cosines are the inner head's; the loss is the weighted sum.
/// </summary>
public sealed class RegularizedHead : FaceHead
{
    readonly MarginHead inner;

    /// <summary>Wraps <paramref name="inner"/>, whose centres the Intra and Inter losses use.</summary>
    public RegularizedHead(MarginHead inner, Regularization weights) : base(nameof(RegularizedHead))
    {
        this.inner = inner ?? throw new ArgumentNullException(nameof(inner));
        Weights = weights ?? throw new ArgumentNullException(nameof(weights));
        RegisterComponents();
    }

    public override int Classes => inner.Classes;
    public override int EmbeddingSize => inner.EmbeddingSize;

    /// <summary>The weight of each term.</summary>
    public Regularization Weights { get; }

    /// <summary>The wrapped margin head.</summary>
    public MarginHead Inner => inner;

    /// <inheritdoc/>
    public override Parameter NormalisedCentres => inner.Weight;

    /// <summary>A label such as "ArcFace (0.5) + Intra + Inter".</summary>
    public string Label
    {
        get
        {
            var parts = new List<string>();
            if (Weights.Softmax != 0) parts.Add(inner.Margin.Label);
            if (Weights.Intra != 0) parts.Add("Intra");
            if (Weights.Inter != 0) parts.Add("Inter");
            if (Weights.Triplet != 0) parts.Add($"Triplet ({Weights.TripletMargin:0.##})");
            return string.Join(" + ", parts);
        }
    }

    public override HeadOutput forward(Tensor embeddings, Tensor labels)
    {
        var output = inner.forward(embeddings, labels);
        var x = embeddings.to_type(inner.Weight.dtype);
        var loss = output.Loss * Weights.Softmax;
        if (Weights.Intra != 0) loss = loss + Weights.Intra * Regularizers.Intra(x, inner.Weight, output.Labels);
        if (Weights.Inter != 0) loss = loss + Weights.Inter * Regularizers.Inter(inner.Weight, output.Labels);
        if (Weights.Triplet != 0) loss = loss + Weights.Triplet * Regularizers.Triplet(x, output.Labels, Weights.TripletMargin);
        return output with { Loss = loss };
    }
}
