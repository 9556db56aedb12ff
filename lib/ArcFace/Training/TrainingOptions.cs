using ArcFace.Runtime;
using static TorchSharp.torch;

namespace ArcFace.Training;

/// <summary>The optimizer: SGD with momentum (the paper, arcface_torch) or AdamW (arcface_torch's option for ViTs).</summary>
public enum OptimizerKind { Sgd, AdamW }

/// <summary>
/// Arithmetic of the backbone. BFloat16: bf16 forward/backward, fp32 master weights, fp32 head — for the GPU; it runs on
/// the CPU too (for tests), but slower than fp32 there.
/// </summary>
public enum Precision { Float32, BFloat16 }

/// <summary>
/// How a <see cref="Trainer"/> trains. Defaults are arcface_torch's (SGD momentum 0.9, weight decay 5e-4, lr 0.1,
/// polynomial decay without warmup, gradient norm clipped at 5 on the backbone, seed 2048).
/// </summary>
/// <param name="Optimizer">SGD or AdamW.</param>
/// <param name="LearningRate">Base learning rate.</param>
/// <param name="Momentum">SGD momentum.</param>
/// <param name="WeightDecay">Weight decay on every trainable parameter (BN and PReLU included, as arcface_torch).</param>
/// <param name="Schedule">Learning-rate schedule; null: <see cref="PolynomialWarmup"/> with power 1 and no warmup.</param>
/// <param name="GradientClipNorm">Max L2 norm of the backbone's gradient; 0 turns clipping off.</param>
/// <param name="Epochs">Passes over the training set.</param>
/// <param name="BatchSize">Images per step.</param>
/// <param name="Seed">Seed of the data order and flips (initialisation is the caller's).</param>
/// <param name="ReportEvery">Steps between <see cref="StepReport"/>s.</param>
/// <param name="CheckpointEvery">Steps between checkpoints (0: only at the end and on cancellation).</param>
/// <param name="CheckpointFolder">Where the checkpoint lives; null: no checkpoints and no resume.</param>
/// <param name="Precision">Float32, or BFloat16 (worth it on a GPU only).</param>
/// <param name="Flip">Random horizontal flips.</param>
/// <param name="Prefetch">Batches read ahead on a background thread.</param>
/// <param name="TrimMemoryEvery">Steps between collections of .NET garbage and returns of freed heap memory to the OS (<see cref="NativeMemory.Trim"/>); 0: never.</param>
/// <param name="Device">Device to train on; null: the runtime's device.</param>
public sealed record TrainingOptions(
    OptimizerKind Optimizer = OptimizerKind.Sgd,
    double LearningRate = 0.1,
    double Momentum = 0.9,
    double WeightDecay = 5e-4,
    LearningRateSchedule? Schedule = null,
    double GradientClipNorm = 5,
    int Epochs = 20,
    int BatchSize = 128,
    long Seed = 2048,
    int ReportEvery = 50,
    int CheckpointEvery = 0,
    string? CheckpointFolder = null,
    Precision Precision = Precision.Float32,
    bool Flip = true,
    int Prefetch = 2,
    int TrimMemoryEvery = 20,
    Device? Device = null)
{
    /// <summary>The schedule in force.</summary>
    public LearningRateSchedule EffectiveSchedule => Schedule ?? new PolynomialWarmup();

    /// <summary>
    /// arcface_torch's recipe at the run profile's size: SGD, the profile's lr, batch, epochs; polynomial decay. No
    /// checkpoint folder: a folder belongs to one run (one set of options), so set it per run —
    /// <see cref="Experiment.Run"/> uses <see cref="Experiment.CheckpointFolder"/> of the run's label.
    /// </summary>
    public static TrainingOptions For(Settings settings) => new(
        LearningRate: settings.Profile.LearningRate, Epochs: settings.Profile.Epochs, BatchSize: settings.Profile.BatchSize,
        Seed: settings.Seed, ReportEvery: settings.Profile.Name == ProfileName.Smoke ? 10 : 100,
        CheckpointEvery: settings.Profile.Name == ProfileName.Smoke ? 200 : 2000);

    /// <summary>
    /// The paper's recipe (§4.1, v4 CASIA): SGD, lr 0.1, momentum 0.9, wd 5e-4, ÷10 at 20/32 and 28/32 of the run,
    /// at the profile's batch size and epochs.
    /// </summary>
    public static TrainingOptions Paper(Settings settings) => For(settings) with
    {
        LearningRate = 0.1,
        Schedule = new StepDecay([settings.Profile.Epochs * 20.0 / 32, settings.Profile.Epochs * 28.0 / 32]),
    };

    internal void Validate()
    {
        void check(bool ok, string name, object value, string range) { if (!ok) throw new ArgumentOutOfRangeException(name, value, $"TrainingOptions.{name} is {value}; expected {range}."); }
        check(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "a positive finite number");
        check(Momentum is >= 0 and < 1, nameof(Momentum), Momentum, "[0, 1)");
        check(WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "≥ 0");
        check(GradientClipNorm >= 0, nameof(GradientClipNorm), GradientClipNorm, "≥ 0");
        check(Epochs >= 1, nameof(Epochs), Epochs, "≥ 1");
        check(BatchSize >= 1, nameof(BatchSize), BatchSize, "≥ 1");
        check(ReportEvery >= 1, nameof(ReportEvery), ReportEvery, "≥ 1");
        check(CheckpointEvery >= 0, nameof(CheckpointEvery), CheckpointEvery, "≥ 0");
        check(TrimMemoryEvery >= 0, nameof(TrimMemoryEvery), TrimMemoryEvery, "≥ 0");
    }
}
