using ArcFace.Data;
using ArcFace.Evaluation;
using ArcFace.Losses;
using ArcFace.Runtime;
using ArcFace.Training;

namespace ArcFace.Tests.Training;

public class ExperimentTests
{
    // The smoke profile shrunk to the trainer tests' size: 48 images of 16×16, 6 identities, batch 8, 6 steps.
    static Settings SettingsIn(string output) => Settings.Default(output) with
    {
        Device = DevicePolicy.Cpu,
        Output = output,
        Profile = RunProfile.Smoke with { InputSize = 16, EmbeddingSize = 16, BatchSize = 8, Epochs = 1, LearningRate = 0.05 },
    };

    static readonly RandomFaces Data = new(48, 6, 16);

    static Func<int, int, FaceHead> ArcFaceHead(double m) => (c, d) => new MarginHead(c, d, Margin.ArcFace(m) with { Scale = 16 });

    static string NewFolder() => Path.Combine(Path.GetTempPath(), $"experiment-{Guid.NewGuid():N}");

    [Fact]
    public void AnotherHeadUnderTheSameLabelTrainsAfreshAndTheSameHeadReloads()
    {
        TestRuntime.EnsureLoaded();
        string output = NewFolder();
        try
        {
            var settings = SettingsIn(output);
            var first = Experiment.Run(settings, "ArcFace", ArcFaceHead(0.5), Data, []);
            Assert.Equal((0L, 6L), (first.Training.ResumedFromStep, first.Training.Steps));

            var otherMargin = Experiment.Run(settings, "ArcFace", ArcFaceHead(0.3), Data, []);
            Assert.Equal(0, otherMargin.Training.ResumedFromStep);
            Assert.NotEmpty(otherMargin.Training.History);
            Assert.NotEqual(first.Training.Checkpoint, otherMargin.Training.Checkpoint);

            var again = Experiment.Run(settings, "ArcFace", ArcFaceHead(0.5), Data, []);
            Assert.Equal(6, again.Training.ResumedFromStep);
            // Reloaded, not retrained: the history comes back from the checkpoint.
            Assert.NotEmpty(again.Training.History);
            Assert.Equal(first.Training.History.Select(r => (r.Step, r.Loss, r.MeanTargetAngleDegrees)), again.Training.History.Select(r => (r.Step, r.Loss, r.MeanTargetAngleDegrees)));
            Assert.Equal(first.Training.Checkpoint, again.Training.Checkpoint);
        }
        finally { if (Directory.Exists(output)) Directory.Delete(output, true); }
    }

    [Fact]
    public void MeanAccuracyAveragesTheBenchmarksAndAccuracyPercentReadsOne()
    {
        static VerificationResult Set(string name, double accuracy) => new(name, accuracy, 0, [], [], 0, 0, 0, [], [], [], null!);
        var result = new ExperimentResult("x", null!, null!, new TrainingResult([], 0, 0, null), [Set("A", 0.90), Set("B", 0.80), Set("C", 0.85)]);
        Assert.Equal(85.0, result.MeanAccuracyPercent, 10);   // (90 + 80 + 85) / 3
        Assert.Equal(80.0, result.AccuracyPercent("B"), 10);
    }

    [Fact]
    public void WithoutCheckpointsNothingIsWrittenOrReloaded()
    {
        TestRuntime.EnsureLoaded();
        string output = NewFolder();
        try
        {
            var settings = SettingsIn(output);
            var run = Experiment.Run(settings, "ArcFace", ArcFaceHead(0.5), Data, [], checkpoints: false);
            Assert.Equal((0L, 6L), (run.Training.ResumedFromStep, run.Training.Steps));
            Assert.Null(run.Training.Checkpoint);
            Assert.False(Directory.Exists(Path.Combine(output, "checkpoints")));
            var e = Assert.Throws<ArgumentException>(() => Experiment.Run(settings, "ArcFace", ArcFaceHead(0.5), Data, [],
                options: TrainingOptions.For(settings) with { CheckpointFolder = output }, checkpoints: false));
            Assert.Equal("checkpoints", e.ParamName);
            Assert.Contains(output, e.Message);
        }
        finally { if (Directory.Exists(output)) Directory.Delete(output, true); }
    }

    [Fact]
    public void TheFolderIsKeyedByHeadDataAndRecipeAndStableAcrossProcesses()
    {
        TestRuntime.EnsureLoaded();
        var settings = SettingsIn("/runs");
        var options = TrainingOptions.For(settings);
        using var head = new MarginHead(6, 16, Margin.ArcFace(0.5));
        string folder = Experiment.CheckpointFolder(settings, "ArcFace (0.5)", options, head, Data);
        // Computed once in another process: a SHA-256 of a canonical text, never string.GetHashCode (random per process).
        // It moves when a setting that shapes training is added to the head, the data or TrainingOptions: update it then.
        Assert.Equal(Path.Combine("/runs", "checkpoints", "smoke", "arcface-0.5-e086152aabdb"), folder);
        Assert.Equal(folder, Experiment.CheckpointFolder(settings, "ArcFace (0.5)", options, head, Data));

        // What only reports, checkpoints or places the run keeps the folder; everything that shapes the weights moves it.
        Assert.Equal(folder, Experiment.CheckpointFolder(settings, "ArcFace (0.5)", options with { ReportEvery = 7, CheckpointEvery = 3, TrimMemoryEvery = 0 }, head, Data));
        Assert.Equal(folder, Experiment.CheckpointFolder(settings with { Profile = settings.Profile with { VerificationPairs = 600, FlipTest = !settings.Profile.FlipTest } },
            "ArcFace (0.5)", options, head, Data));
        using var otherMargin = new MarginHead(6, 16, Margin.ArcFace(0.5) with { Gradient = GradientMode.StraightThrough });
        using var otherHead = new SoftmaxHead(6, 16);
        string[] others =
        [
            Experiment.CheckpointFolder(settings, "ArcFace (0.5)", options, otherMargin, Data),
            Experiment.CheckpointFolder(settings, "ArcFace (0.5)", options, otherHead, Data),
            Experiment.CheckpointFolder(settings, "ArcFace (0.5)", options, head, new RandomFaces(40, 6, 16)),
            Experiment.CheckpointFolder(settings, "ArcFace (0.5)", options with { WeightDecay = 1e-4 }, head, Data),
            Experiment.CheckpointFolder(settings with { Seed = 1 }, "ArcFace (0.5)", options, head, Data),
            Experiment.CheckpointFolder(settings, "ArcFace (0.5) b", options, head, Data),
        ];
        Assert.Equal(others.Length + 1, others.Append(folder).Distinct().Count());

        // SynthFaces sets of the same size and labels differ in their options (the seed here).
        var synth = new SynthFacesOptions(Identities: 6, ImagesPerIdentity: 2, ImageSize: 16);
        using var a = SynthFaces.TrainingSet(synth);
        using var b = SynthFaces.TrainingSet(synth with { Seed = 7 });
        Assert.NotEqual(Experiment.CheckpointFolder(settings, "x", options, head, a), Experiment.CheckpointFolder(settings, "x", options, head, b));
    }
}
