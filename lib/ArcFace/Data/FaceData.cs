using ArcFace.Runtime;

namespace ArcFace.Data;

/// <summary>
/// The training set and benchmarks a notebook uses: the real data environment.json points at (<see cref="Settings.Data"/>)
/// where it is set, else SynthFaces at the run profile's size.
/// </summary>
public static class FaceData
{
    /// <summary>The verification files looked for in <see cref="DataRoots.Verification"/>, in the paper's column order.</summary>
    public static IReadOnlyList<string> BenchmarkFiles { get; } = ["lfw.bin", "cfp_fp.bin", "agedb_30.bin"];

    /// <summary>
    /// <see cref="DataRoots.Train"/> (a RecordIO folder or <c>.rec</c> file, else an image-folder tree) at the profile's
    /// input size, or <see cref="SynthFaces.TrainingSet(Settings, TorchSharp.torch.Device?)"/>.
    /// </summary>
    public static IFaceDataset TrainingSet(Settings settings) => settings.Data.Train switch
    {
        null => SynthFaces.TrainingSet(settings),
        var path when path.EndsWith(".rec", StringComparison.OrdinalIgnoreCase) || File.Exists(Path.Combine(path, "train.rec"))
            => new RecordIODataset(path, settings.Profile.InputSize),
        var path => new ImageFolderDataset(path, settings.Profile.InputSize),
    };

    /// <summary>
    /// LFW, CFP-FP and AgeDB-30, in that order: the <see cref="BenchmarkFiles"/> of <see cref="DataRoots.Verification"/>
    /// (all three must be there), or SynthLFW, SynthCFP-FP and SynthAgeDB-30.
    /// </summary>
    public static IReadOnlyList<VerificationSet> Benchmarks(Settings settings)
    {
        if (settings.Data.Verification is not { } folder)
            return [SynthFaces.Lfw(settings), SynthFaces.CfpFp(settings), SynthFaces.AgeDb30(settings)];
        var paths = BenchmarkFiles.Select(f => Path.Combine(folder, f)).ToList();
        if (paths.FirstOrDefault(p => !File.Exists(p)) is { } missing)
            throw new FileNotFoundException($"{missing}: not found; the verification folder {folder} must hold {string.Join(", ", BenchmarkFiles)}.", missing);
        return paths.Select(p => VerificationBin.Read(p, settings.Profile.InputSize)).ToList();
    }
}
