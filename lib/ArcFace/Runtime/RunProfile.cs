namespace ArcFace.Runtime;

/// <summary>
/// How large a run is. <c>smoke</c>: a 2-core CPU in minutes; <c>middle</c>: one GPU, each notebook in about ten
/// minutes; <c>full</c>: a GPU at the paper's scale and recipe.
/// </summary>
public enum ProfileName { Smoke, Middle, Full }

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
/// <param name="MarginScale">The scale s of the margin heads in the training notebooks (the paper: 64). Short runs with few
/// classes need less: the initial loss grows as s·sin m, and at s = 64 with a hundred classes a margin head barely starts
/// learning in a few hundred steps.</param>
/// <param name="CentreNorm">Norm the class centres start at (<see cref="ArcFace.Losses.FaceHead.RescaleCentres"/>), or null
/// for the paper's N(0, 0.01), whose tiny norms make the first steps blow the centres up and then freeze them.</param>
/// <param name="Output">The IResNet output setting (v1 §3: A–E; the paper's choice, E, by default).</param>
/// <param name="FlipTest">Whether verification sums each image's embedding with its mirror's (insightface's protocol, the
/// default). Off in the smoke profile: on a CPU the flip doubles every evaluation, and 6,000 pairs without it measure a
/// difference between two models with less noise than half as many pairs with it.</param>
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
    int VerificationPairs,
    double MarginScale = 64,
    double? CentreNorm = null,
    ArcFace.Backbones.OutputSetting Output = ArcFace.Backbones.OutputSetting.E,
    bool FlipTest = true)
{
    /// <summary>
    /// A 2-core CPU in minutes: 32×32 crops, an IResNet-18 at a quarter of the width, 100 identities × 8 images for
    /// 16 epochs (192 steps per run), s = 16 and unit-norm centres so that the margin heads learn in that time. Eight
    /// images an identity let every head fit its training set in those steps, as the paper's networks fit CASIA-WebFace;
    /// with 16 images for 8 epochs (or more identities) the run stops while every head is still learning its classes,
    /// and the margins had nothing to add (notebook 04 gives the measurements). The benchmarks' 6,000 pairs
    /// (a 1,200-pair set left a point of evaluation noise in every difference between two heads), without the flip
    /// test. Sized so that the whole notebook series with three seeds of the claims' runs fits in 30 minutes.
    /// </summary>
    public static RunProfile Smoke { get; } = new(ProfileName.Smoke, 32, "r18", 0.25, 128, 100, 8, 64, 16, 0.1, 6000, MarginScale: 16, CentreNorm: 1, FlipTest: false);

    /// <summary>
    /// One GPU, each notebook in about ten minutes: 64×64 crops, IResNet-18 at half width, 1,000 identities × 20 images,
    /// the benchmarks' 6,000 pairs, s = 32, unit-norm centres.
    /// </summary>
    public static RunProfile Middle { get; } = new(ProfileName.Middle, 64, "r18", 0.5, 256, 1000, 20, 256, 10, 0.1, 6000, MarginScale: 32, CentreNorm: 1);

    /// <summary>A GPU: 112×112 crops, IResNet-50, tens of thousands of identities, the paper's head (s = 64, N(0, 0.01) centres).</summary>
    public static RunProfile Full { get; } = new(ProfileName.Full, 112, "r50", 1.0, 512, 20000, 40, 256, 20, 0.1, 6000);

    /// <summary>The profile of that name.</summary>
    public static RunProfile Of(ProfileName name) => name switch { ProfileName.Full => Full, ProfileName.Middle => Middle, _ => Smoke };
}
