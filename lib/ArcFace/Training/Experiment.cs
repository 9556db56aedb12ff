using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
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

    /// <summary>Verification accuracy averaged over every benchmark it was evaluated on, in percent.</summary>
    public double MeanAccuracyPercent => 100 * Verification.Average(v => v.Accuracy);
}

/// <summary>
/// One run of the paper's recipe at the run profile's size: the profile's backbone, a head, training on a face set,
/// then insightface's verification protocol on each benchmark (with the flip test where <see cref="RunProfile.FlipTest"/>
/// says so). What every training notebook does, in one call.
/// </summary>
public static partial class Experiment
{
    /// <summary>
    /// Trains <see cref="Backbone.Create"/>(profile) with the head <paramref name="makeHead"/>(classes, embedding size)
    /// on <paramref name="train"/> and evaluates it on <paramref name="benchmarks"/>. Initialisation is seeded from the
    /// settings, so runs that differ only in the head start from the same backbone; the head's normalised centres start
    /// at the profile's <see cref="RunProfile.CentreNorm"/> where it sets one.
    /// Checkpoints: a folder in <paramref name="options"/> is used as given; without one (null options or a null
    /// <see cref="TrainingOptions.CheckpointFolder"/>) it is <see cref="CheckpointFolder"/> of the label, options, head and
    /// data, where a killed run resumes and a finished one is reloaded (with the <see cref="TrainingResult.History"/>
    /// saved in it), so notebooks that train the same run share it and a changed head or data set trains afresh.
    /// <paramref name="checkpoints"/> false trains without any checkpoint: nothing is reloaded or written. The folder is
    /// checked before training; a checkpoint that fails later is reported in <see cref="TrainingResult.Warning"/> and
    /// the trained run is still returned.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="checkpoints"/> is false but <paramref name="options"/> name a folder.</exception>
    public static ExperimentResult Run(Settings settings, string label, Func<int, int, FaceHead> makeHead, IFaceDataset train,
        IReadOnlyList<VerificationSet> benchmarks, IProgress<StepReport>? progress = null, TrainingOptions? options = null, bool checkpoints = true)
    {
        if (!checkpoints && options?.CheckpointFolder is { } named)
            throw new ArgumentException($"checkpoints is false but options.CheckpointFolder is {named}; pass one or the other.", nameof(checkpoints));
        var device = options?.Device ?? TorchRuntime.Device;
        torch.manual_seed(settings.Seed);
        var backbone = Backbone.Create(settings.Profile).to(device);
        var head = makeHead(train.Classes, settings.Profile.EmbeddingSize).to(device);
        if (settings.Profile.CentreNorm is { } norm) head.RescaleCentres(norm);
        options ??= TrainingOptions.For(settings);
        if (checkpoints && options.CheckpointFolder is null) options = options with { CheckpointFolder = CheckpointFolder(settings, label, options, head, train) };
        var training = new Trainer(backbone, head, options).Fit(train, progress);
        var verification = benchmarks.Select(b => Verification.Evaluate(backbone, b, settings.Profile.FlipTest, device: device)).ToList();
        return new ExperimentResult(label, backbone, head, training, verification);
    }

    /// <summary>
    /// The checkpoint folder of the run labelled <paramref name="label"/>:
    /// <c>output/checkpoints/&lt;profile&gt;/&lt;label&gt;-&lt;hash&gt;</c>, the hash being the first 12 hex digits of
    /// SHA-256 over everything that shapes the trained weights: the settings' seed and profile (less how it evaluates:
    /// pair count and flip test), the options that change training (<see cref="TrainingOptions.For"/> of the settings
    /// when null; not reporting, checkpointing, prefetch or device), the head's type and public settings (margin,
    /// classes, embedding size, ...), and the data's type, public settings (for SynthFaces its name and options, seed
    /// included), size and labels. Same inputs, same folder in
    /// every process; a changed head or data set under the same label gets a folder of its own. Pass the head and data
    /// that <see cref="Run"/> gets to find its folder.
    /// </summary>
    public static string CheckpointFolder(Settings settings, string label, TrainingOptions? options = null, FaceHead? head = null, IFaceDataset? data = null)
    {
        options ??= TrainingOptions.For(settings);
        var key = new StringBuilder();
        key.Append("seed=").Append(settings.Seed).Append("\nprofile=");
        // How the benchmarks are sized and read does not shape the weights either.
        Describe(key, settings.Profile with { VerificationPairs = 0, FlipTest = true }, 0);
        key.Append("\ntraining=");
        // What only reports, checkpoints, reads ahead or places the run is fixed, so it does not change the folder.
        Describe(key, options with
        {
            Schedule = options.EffectiveSchedule, ReportEvery = 1, CheckpointEvery = 0, CheckpointFolder = null, Prefetch = 0, TrimMemoryEvery = 0, Device = null,
        }, 0);
        key.Append("\nhead=");
        Describe(key, head, 0);
        key.Append("\ndata=");
        Describe(key, data, 0);
        if (data is not null)
        {
            key.Append(" labels=");
            for (int i = 0; i < data.Count; i++) key.Append(data.Label(i)).Append(',');
        }
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString())))[..12];
        return Path.Combine(settings.Output, "checkpoints", settings.Profile.Name.ToString().ToLowerInvariant(),
            $"{Slug().Replace(label, "-").Trim('-').ToLowerInvariant()}-{hash}");
    }

    /// <summary>
    /// Appends a canonical text of <paramref name="value"/>: numbers in invariant round-trip form, lists element by
    /// element, other objects as their type name and public properties sorted by name. Tensors and modules other than
    /// heads are left out (weights are not settings), so are a head's inherited module properties and a record's
    /// computed ones (a record is its init properties; a computed double such as a margin's cos(π − m) could differ in
    /// the last bit between C libraries and would move the folder).
    /// </summary>
    static void Describe(StringBuilder key, object? value, int depth)
    {
        switch (value)
        {
            case null: key.Append("null"); return;
            case string text: key.Append('"').Append(text.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append('"'); return;
            case Enum e: key.Append(e); return;
            case IFormattable number when value.GetType().IsPrimitive || value is decimal: key.Append(number.ToString(null, CultureInfo.InvariantCulture)); return;
            case bool flag: key.Append(flag ? "true" : "false"); return;
        }
        // Deep enough for head → margin and data set → options; bounded because property graphs can have cycles.
        if (depth > 4) { key.Append('…'); return; }
        if (value is System.Collections.IEnumerable items)
        {
            key.Append('[');
            foreach (var item in items) { Describe(key, item, depth + 1); key.Append(','); }
            key.Append(']');
            return;
        }
        var type = value.GetType();
        key.Append(type.FullName).Append('{');
        bool record = type.GetMethod("<Clone>$") is not null;
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && Described(p.PropertyType))
            .Where(p => value is not FaceHead || typeof(FaceHead).IsAssignableFrom(p.DeclaringType))
            .Where(p => !record || p.SetMethod is not null)
            .OrderBy(p => p.Name, StringComparer.Ordinal);
        foreach (var p in properties)
        {
            key.Append(p.Name).Append('=');
            Describe(key, p.GetValue(value), depth + 1);
            key.Append(';');
        }
        key.Append('}');
    }

    static bool Described(Type type) =>
        !typeof(Tensor).IsAssignableFrom(type) && (typeof(FaceHead).IsAssignableFrom(type) || !typeof(nn.Module).IsAssignableFrom(type));

    [GeneratedRegex("[^A-Za-z0-9.]+")]
    private static partial Regex Slug();
}
