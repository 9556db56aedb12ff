using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Losses;

/// <summary>
/// The shared core of the margin heads: s·cos θ for every class from one matrix product, then the margin on the B
/// target entries only. s is folded into the normalised embedding and the centre norms into the B × C product's
/// columns, so no full-matrix clamp, arccos, one-hot or copy is made; the target cosines come from a row-wise dot
/// with the B target centres, and the margin adds s·(f(c) − c) to those B entries in place. Gradients stay exact.
/// </summary>
internal static class CosineClassifier
{
    const double NormFloor = 1e-12;

    /// <summary>
    /// Scaled logits (B × C) with the margin on the target, and the target cosines (B). <paramref name="weight"/> holds
    /// C·K centres, class-major (class j owns rows jK … jK + K − 1); cos θ_j is the max over its K sub-centres.
    /// </summary>
    public static (Tensor Logits, Tensor TargetCos) Logits(Tensor embeddings, Tensor weight, Tensor labels, Margin margin, int subCenters = 1)
    {
        var unit = nn.functional.normalize(embeddings, dim: 1, eps: NormFloor);
        var inverseNorm = weight.norm(1).clamp_min(NormFloor).reciprocal();
        var logits = unit.mul(margin.Scale).matmul(weight.t()) * inverseNorm;
        Tensor targetCos;
        long batch = embeddings.shape[0], classes = weight.shape[0] / subCenters;
        if (subCenters == 1)
            targetCos = (unit * weight.index_select(0, labels)).sum(1) * inverseNorm.index_select(0, labels);
        else
        {
            logits = logits.view(batch, classes, subCenters).max(2).values;
            var targetCentres = weight.view(classes, subCenters, -1).index_select(0, labels);
            var perSubCentre = (unit.unsqueeze(1) * targetCentres).sum(2) * inverseNorm.view(classes, subCenters).index_select(0, labels);
            targetCos = perSubCentre.max(1).values;
        }
        if (!margin.IsIdentity)
        {
            var delta = (margin.TargetLogit(targetCos) - targetCos) * margin.Scale;
            logits.scatter_add_(1, labels.unsqueeze(1), delta.unsqueeze(1));
        }
        return (logits, targetCos);
    }

    /// <summary>cos θ for every class (B × C), the max over sub-centres where K &gt; 1; for monitoring.</summary>
    public static Tensor Cosines(Tensor embeddings, Tensor weight, int subCenters = 1)
    {
        var cos = nn.functional.normalize(embeddings, dim: 1, eps: NormFloor)
            .matmul(nn.functional.normalize(weight, dim: 1, eps: NormFloor).t());
        return subCenters == 1 ? cos : cos.view(cos.shape[0], -1, subCenters).max(2).values;
    }

    /// <summary>Class centres C × D (or C·K × D) drawn from N(0, 0.01) as in the paper's code.</summary>
    public static Tensor InitialCentres(long rows, long embeddingSize) =>
        nn.init.normal_(empty(rows, embeddingSize), 0, 0.01);
}
