namespace ArcFace.Runtime;

/// <summary>How large a run is. <c>smoke</c>: a 2-core CPU in minutes; <c>full</c>: a GPU at the paper's scale.</summary>
public enum ProfileName { Smoke, Full }

/// <summary>The sizes a run profile implies. Notebooks, the runner and benchmarks read sizes from here only.</summary>
/// <param name="Name">The profile.</param>
/// <param name="InputSize">Face crop side in pixels (the paper: 112).</param>
/// <param name="Backbone">IResNet depth name (r18, r34, r50, r100, r200) or "mbf".</param>
/// <param name="WidthMultiplier">Channel multiplier for classroom-size backbones (1 = the paper's widths).</param>
/// <param name="EmbeddingSize">Embedding dimension (the paper: 512).</param>
/// <param name="TrainIdentities">Identities in the SynthFaces training set.</param>
/// <param name="ImagesPerIdentity">Images rendered per training identity.</param>
/// <param name="BatchSize">Training batch size.</param>
/// <param name="Epochs">Training epochs.</param>
/// <param name="LearningRate">SGD learning rate for that batch size.</param>
/// <param name="VerificationPairs">Pairs in SynthLFW and SynthAgeDB-30 (the benchmarks' 6,000 at full); SynthCFP-FP has 7/6 as many, as CFP-FP's 7,000.</param>
public sealed record RunProfile(
    ProfileName Name,
    int InputSize,
    string Backbone,
    double WidthMultiplier,
    int EmbeddingSize,
    int TrainIdentities,
    int ImagesPerIdentity,
    int BatchSize,
    int Epochs,
    double LearningRate,
    int VerificationPairs)
{
    /// <summary>
    /// A 2-core CPU in minutes: 32×32 crops, an IResNet-18 at a quarter of the width, 100 identities, 1,200 pairs per
    /// benchmark (still 10 folds). Sized so that the whole notebook series, a dozen trainings among them, fits in 20 minutes.
    /// </summary>
    public static RunProfile Smoke { get; } = new(ProfileName.Smoke, 32, "r18", 0.25, 128, 100, 16, 64, 4, 0.1, 1200);

    /// <summary>A GPU: 112×112 crops, IResNet-50, tens of thousands of identities, the paper's head.</summary>
    public static RunProfile Full { get; } = new(ProfileName.Full, 112, "r50", 1.0, 512, 20000, 40, 256, 20, 0.1, 6000);

    /// <summary>The profile of that name.</summary>
    public static RunProfile Of(ProfileName name) => name == ProfileName.Full ? Full : Smoke;
}
