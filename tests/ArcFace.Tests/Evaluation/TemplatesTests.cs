using ArcFace.Evaluation;
using static TorchSharp.torch;

namespace ArcFace.Tests.Evaluation;

public class TemplatesTests
{
    /// <summary>
    /// Template 7: a = (1, 0) media 1 faceness 0.5, b = (0, 1) media 1 faceness 1, c = (0, 2) media 2 faceness 1.
    /// Template 3: d = (3, 4).
    /// Paper: mean (1, 3)/3 → (1, 3)/√10; d → (0.6, 0.8); cosine = (0.6 + 2.4)/√10 = 3/√10.
    /// Script: a·0.5 = (0.5, 0); media 1 mean ((0.5, 0) + (0, 1))/2 = (0.25, 0.5); media 2 (0, 2); sum (0.25, 2.5)
    /// ∝ (1, 10) → (1, 10)/√101; cosine with (0.6, 0.8) = (0.6 + 8)/√101 = 8.6/√101.
    /// </summary>
    [Fact]
    public void GoldenValuesForBothAggregations()
    {
        TestRuntime.EnsureLoaded();
        using var features = tensor(new float[] { 1, 0, 0, 1, 0, 2, 3, 4 }).view(4, 2);
        int[] templates = [7, 7, 7, 3];
        int[] media = [1, 1, 2, 9];
        float[] faceness = [0.5f, 1, 1, 1];

        using var paper = Templates.Aggregate(features, templates, TemplateAggregation.PaperMean, media, faceness);
        Assert.Equal([3, 7], paper.TemplateIds);
        AssertRow(paper, 7, 1 / Math.Sqrt(10), 3 / Math.Sqrt(10));
        AssertRow(paper, 3, 0.6, 0.8);
        Assert.Equal(3 / Math.Sqrt(10), Templates.Score(paper, [7], [3])[0], 5);

        using var script = Templates.Aggregate(features, templates, TemplateAggregation.PublicScript, media, faceness);
        AssertRow(script, 7, 1 / Math.Sqrt(101), 10 / Math.Sqrt(101));
        AssertRow(script, 3, 0.6, 0.8);
        Assert.Equal(8.6 / Math.Sqrt(101), Templates.Score(script, [7], [3])[0], 5);
    }

    static void AssertRow(TemplateFeatures t, int id, double x, double y)
    {
        var row = t.Features[t.RowOf(id)].to(float64).data<double>().ToArray();
        Assert.Equal(x, row[0], 5);
        Assert.Equal(y, row[1], 5);
    }

    [Fact]
    public void BatchedScoresEqualOneBatch()
    {
        TestRuntime.EnsureLoaded();
        manual_seed(4);
        using var features = randn(50, 8);
        var templates = Enumerable.Range(0, 50).Select(i => i % 9).ToArray();
        using var t = Templates.Aggregate(features, templates, TemplateAggregation.PublicScript);
        var rng = new Random(2);
        var a = Enumerable.Range(0, 37).Select(_ => rng.Next(9)).ToArray();
        var b = Enumerable.Range(0, 37).Select(_ => rng.Next(9)).ToArray();
        Assert.Equal(Templates.Score(t, a, b), Templates.Score(t, a, b, batchSize: 5));
        Assert.Throws<ArgumentException>(() => Templates.Score(t, a, b.Take(3).ToArray()));
        Assert.Throws<ArgumentException>(() => Templates.Score(t, [42], [0]));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        TestRuntime.EnsureLoaded();
        using var features = ones(3, 2);
        Assert.Throws<ArgumentException>(() => Templates.Aggregate(features, [1, 2], TemplateAggregation.PaperMean));
        Assert.Throws<ArgumentException>(() => Templates.Aggregate(features, [1, 1, 2], TemplateAggregation.PublicScript, mediaIds: [1]));
        using var nan = tensor(new float[] { 1, float.NaN, 0, 1, 1, 1 }).view(3, 2);
        Assert.Throws<ArgumentException>(() => Templates.Aggregate(nan, [1, 1, 2], TemplateAggregation.PaperMean));
    }
}
