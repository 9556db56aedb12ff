using System.Text.RegularExpressions;
using ArcFace.Backbones;
using ArcFace.Data;
using ArcFace.Evaluation;
using ArcFace.Losses;
using ArcFace.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Training;

/// <summary>A trained backbone and head with their training history and verification results.</summary>
public sealed record ExperimentResult(string Label, nn.Module<Tensor, Tensor> Backbone, FaceHead Head,
    TrainingResult Training, IReadOnlyList<VerificationResult> Verification)
{
    /// <summary>Verification accuracy on the set of that name, in percent.</summary>
    public double AccuracyPercent(string set) => 100 * Verification.Single(v => v.Name == set).Accuracy;
}

/// <summary>
/// One run of the paper's recipe at the run profile's size: the profile's backbone, a head, training on a face set,
/// then insightface's verification protocol on each benchmark. What every training notebook does, in one call.
/// </summary>
public static partial class Experiment
{
    /// <summary>
    /// Trains <see cref="Backbone.Create"/>(profile) with the head <paramref name="makeHead"/>(classes, embedding size)
    /// on <paramref name="train"/> and evaluates it on <paramref name="benchmarks"/>. Initialisation is seeded from the
    /// settings, so runs that differ only in the head start from the same backbone. Unless <paramref name="options"/>
    /// name a checkpoint folder, it is <see cref="CheckpointFolder"/> of the label and the run's length: a killed run
    /// resumes there and a finished one is reloaded (its <see cref="TrainingResult.History"/> is then empty), so
    /// notebooks that train the same label with the same recipe share one run.
    /// </summary>
    public static ExperimentResult Run(Settings settings, string label, Func<int, int, FaceHead> makeHead, IFaceDataset train,
        IReadOnlyList<VerificationSet> benchmarks, IProgress<StepReport>? progress = null, TrainingOptions? options = null)
    {
        var device = options?.Device ?? TorchRuntime.Device;
        torch.manual_seed(settings.Seed);
        var backbone = Backbone.Create(settings.Profile).to(device);
        var head = makeHead(train.Classes, settings.Profile.EmbeddingSize).to(device);
        options ??= TrainingOptions.For(settings);
        if (options.CheckpointFolder is null) options = options with { CheckpointFolder = CheckpointFolder(settings, label, options) };
        var training = new Trainer(backbone, head, options).Fit(train, progress);
        var verification = benchmarks.Select(b => Verification.Evaluate(backbone, b, device: device)).ToList();
        return new ExperimentResult(label, backbone, head, training, verification);
    }

    /// <summary>
    /// The checkpoint folder of the run labelled <paramref name="label"/> trained with <paramref name="options"/>
    /// (default: <see cref="TrainingOptions.For"/> of the settings):
    /// <c>output/checkpoints/&lt;profile&gt;/&lt;label&gt;-&lt;epochs&gt;x&lt;batch&gt;-lr&lt;lr&gt;</c>, so a shorter run of
    /// the same label never reloads a longer one.
    /// </summary>
    public static string CheckpointFolder(Settings settings, string label, TrainingOptions? options = null)
    {
        options ??= TrainingOptions.For(settings);
        return Path.Combine(settings.Output, "checkpoints", settings.Profile.Name.ToString().ToLowerInvariant(),
            Slug().Replace($"{label} {options.Epochs}x{options.BatchSize} lr{options.LearningRate:R} {options.Optimizer}", "-").Trim('-').ToLowerInvariant());
    }

    [GeneratedRegex("[^A-Za-z0-9.]+")]
    private static partial Regex Slug();
}
