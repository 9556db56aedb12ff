using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Evaluation;

/// <summary>How IJB-style image features are pooled into one feature per template.</summary>
public enum TemplateAggregation
{
    /// <summary>The paper (§4.1): the mean of the template's image features, then L2-normalised (score = cosine).</summary>
    PaperMean,

    /// <summary>insightface's public IJB script (<c>image2template_feature</c>, "N1 D1 F1"): each image feature (the
    /// caller passes the unnormalised flip-sum) × its faceness score if given, averaged within a media id, summed
    /// over the template's media, then L2-normalised.</summary>
    PublicScript,
}

/// <summary>One L2-normalised feature per template, rows in ascending template-id order.</summary>
/// <param name="Features">T × D normalised template features (float32, CPU).</param>
/// <param name="TemplateIds">The template id of each row, ascending.</param>
public sealed record TemplateFeatures(Tensor Features, int[] TemplateIds) : IDisposable
{
    /// <summary>The row of <paramref name="templateId"/>.</summary>
    public int RowOf(int templateId)
    {
        int row = Array.BinarySearch(TemplateIds, templateId);
        if (row < 0) throw new ArgumentException($"Template id {templateId} has no images.", nameof(templateId));
        return row;
    }

    public void Dispose() => Features.Dispose();
}

/// <summary>IJB-style 1:1 verification between templates (sets of images and video frames of one subject).</summary>
public static class Templates
{
    /// <summary>
    /// Pools N × D image features into template features. <paramref name="mediaIds"/> and
    /// <paramref name="faceness"/> are used only by <see cref="TemplateAggregation.PublicScript"/> (media default to
    /// one per image, faceness to 1).
    /// </summary>
    public static TemplateFeatures Aggregate(Tensor imageFeatures, int[] templateIds, TemplateAggregation aggregation,
        int[]? mediaIds = null, float[]? faceness = null)
    {
        ArgumentNullException.ThrowIfNull(imageFeatures);
        ArgumentNullException.ThrowIfNull(templateIds);
        long n = imageFeatures.dim() == 2 ? imageFeatures.shape[0] : -1;
        if (n != templateIds.Length)
            throw new ArgumentException($"Image features of shape [{string.Join(", ", imageFeatures.shape)}] for {templateIds.Length} template ids; expected N × D with N = {templateIds.Length}.", nameof(imageFeatures));
        if (mediaIds is not null && mediaIds.Length != n)
            throw new ArgumentException($"{mediaIds.Length} media ids for {n} images.", nameof(mediaIds));
        if (faceness is not null && faceness.Length != n)
            throw new ArgumentException($"{faceness.Length} faceness scores for {n} images.", nameof(faceness));

        using var scope = NewDisposeScope();
        var x = imageFeatures.detach().to(float64).cpu();
        if (!isfinite(x).all().item<bool>()) throw new ArgumentException("Image features contain NaN or Inf.", nameof(imageFeatures));
        var ids = templateIds.Distinct().Order().ToArray();
        var rowOf = ids.Select((id, row) => (id, row)).ToDictionary(p => p.id, p => (long)p.row);
        var templateRow = tensor(templateIds.Select(id => rowOf[id]).ToArray());
        var pooled = zeros(ids.Length, x.shape[1], dtype: float64);

        if (aggregation == TemplateAggregation.PaperMean)
        {
            pooled.index_add_(0, templateRow, x, 1);
        }
        else if (aggregation == TemplateAggregation.PublicScript)
        {
            if (faceness is not null) x = x * tensor(faceness).to(float64).unsqueeze(1);
            // Average within each (template, media) group, then sum the group means into the template.
            var media = mediaIds ?? Enumerable.Range(0, (int)n).ToArray();
            var groupOf = new Dictionary<(int, int), long>();
            var groupTemplate = new List<long>();
            var group = new long[n];
            for (int i = 0; i < n; i++)
            {
                var key = (templateIds[i], media[i]);
                if (!groupOf.TryGetValue(key, out group[i]))
                {
                    group[i] = groupOf[key] = groupOf.Count;
                    groupTemplate.Add(rowOf[templateIds[i]]);
                }
            }
            var groupIndex = tensor(group);
            var sums = zeros(groupOf.Count, x.shape[1], dtype: float64).index_add_(0, groupIndex, x, 1);
            var counts = zeros(groupOf.Count, dtype: float64).index_add_(0, groupIndex, ones(n, dtype: float64), 1);
            pooled.index_add_(0, tensor(groupTemplate.ToArray()), sums / counts.unsqueeze(1), 1);
        }
        else throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, null);

        var features = nn.functional.normalize(pooled, p: 2, dim: 1).to(float32);
        return new TemplateFeatures(features.MoveToOuterDisposeScope(), ids);
    }

    /// <summary>Cosine score of each template pair (<paramref name="first"/>[i], <paramref name="second"/>[i]), in
    /// batches of <paramref name="batchSize"/> pairs as the IJB script does.</summary>
    public static double[] Score(TemplateFeatures templates, int[] first, int[] second, int batchSize = 100_000)
    {
        ArgumentNullException.ThrowIfNull(templates);
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Length != second.Length)
            throw new ArgumentException($"{first.Length} first templates but {second.Length} second templates; pairs must match.", nameof(second));
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Batch size must be at least 1.");
        var scores = new double[first.Length];
        for (int start = 0; start < first.Length; start += batchSize)
        {
            using var scope = NewDisposeScope();
            int count = Math.Min(batchSize, first.Length - start);
            var a = templates.Features.index_select(0, tensor(first.Skip(start).Take(count).Select(t => (long)templates.RowOf(t)).ToArray()));
            var b = templates.Features.index_select(0, tensor(second.Skip(start).Take(count).Select(t => (long)templates.RowOf(t)).ToArray()));
            var batch = (a * b).sum(1).data<float>().ToArray();
            for (int i = 0; i < count; i++) scores[start + i] = batch[i];
        }
        return scores;
    }
}
