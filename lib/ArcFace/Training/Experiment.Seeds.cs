using ArcFace.Data;
using ArcFace.Losses;
using ArcFace.Runtime;

namespace ArcFace.Training;

public static partial class Experiment
{
    /// <summary>
    /// <see cref="Run"/> once per seed of <see cref="Settings.SeedList"/>: each seed gets its own initialisation, data
    /// order and training set (<paramref name="trainingSet"/> of the settings with that seed), and the same benchmarks,
    /// so that results can be compared seed by seed (<see cref="ArcFace.Evaluation.Claims"/>).
    /// <paramref name="progress"/> makes the live view of each run from its title ("label, seed N").
    /// </summary>
    public static IReadOnlyList<ExperimentResult> RunSeeds(Settings settings, string label, Func<int, int, FaceHead> makeHead,
        Func<Settings, IFaceDataset> trainingSet, IReadOnlyList<VerificationSet> benchmarks,
        Func<string, IProgress<StepReport>>? progress = null, TrainingOptions? options = null) =>
        settings.SeedList.Select(seed =>
        {
            var seeded = settings with { Seed = seed };
            return Run(seeded, label, makeHead, trainingSet(seeded), benchmarks, progress?.Invoke($"{label}, seed {seed}"),
                options is null ? null : options with { Seed = seed });
        }).ToList();
}
