using System.Diagnostics;
using ArcFace.Data;
using ArcFace.Losses;
using ArcFace.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ArcFace.Training;

/// <summary>What <see cref="Trainer.Fit"/> did.</summary>
/// <param name="History">
/// The run's reports, in order: those saved with the checkpoint it resumed from, then this call's. A finished run
/// reloaded from its checkpoint brings back its whole history (a checkpoint written before histories were saved has none).
/// </param>
/// <param name="Steps">Global steps done at the end (the run's total when it completed).</param>
/// <param name="ResumedFromStep">The checkpoint step this call continued from (0: a fresh start).</param>
/// <param name="Checkpoint">The checkpoint file written last, or null without a checkpoint folder.</param>
/// <param name="Warning">
/// Why the last checkpoint attempt failed (naming the folder), or null when it succeeded or none was due. Training goes
/// on without it: the trained weights are in the caller's modules, but a later run cannot resume from those steps.
/// </param>
public sealed record TrainingResult(IReadOnlyList<StepReport> History, long Steps, long ResumedFromStep, string? Checkpoint, string? Warning = null);

/// <summary>A non-finite loss stopped training; the last checkpoint (if any) is from before it and intact.</summary>
public sealed class TrainingDivergedException(long step, double loss, string? checkpoint)
    : Exception($"Training diverged at step {step}: the loss is {loss}. " +
        (checkpoint is null ? "No checkpoint was written. " : $"The last good checkpoint, {checkpoint}, is intact. ") +
        "Lower the learning rate, clip gradients, or check the data.")
{
    /// <summary>The 1-based step whose loss was not finite.</summary>
    public long Step { get; } = step;

    /// <summary>That loss (NaN or ±∞).</summary>
    public double Loss { get; } = loss;
}

/// <summary>
/// Trains a backbone and a <see cref="FaceHead"/> together as arcface_torch's <c>train_v2.py</c> does: one optimizer
/// over both, the learning rate set per step, the backbone's gradient norm clipped, a report every N steps and an
/// atomic checkpoint every M steps. A run resumes from its checkpoint folder and then continues exactly (on the CPU,
/// bit for bit) as if it had not stopped: the checkpoint holds weights, buffers, optimizer state (momentum buffers),
/// the step (which fixes the data position: order and flips depend only on seed and epoch) and the RNG state.
/// </summary>
public sealed class Trainer(nn.Module<Tensor, Tensor> backbone, FaceHead head, TrainingOptions options)
{
    /// <summary>The checkpoint's file name inside <see cref="TrainingOptions.CheckpointFolder"/>.</summary>
    public const string CheckpointFileName = "trainer.ckpt";
    /// <summary>The file in the checkpoint folder that a training process holds locked (<see cref="FileLock"/>).</summary>
    public const string LockFileName = "trainer.lock";
    const string Magic = "ArcFace.Trainer checkpoint 2";
    const string MagicWithoutHistory = "ArcFace.Trainer checkpoint 1";

    /// <summary>The options.</summary>
    public TrainingOptions Options { get; } = options;

    /// <summary>The checkpoint path, or null without a folder.</summary>
    public string? CheckpointPath => Options.CheckpointFolder is { } f ? Path.Combine(f, CheckpointFileName) : null;

    /// <summary>
    /// Trains on <paramref name="train"/> for <see cref="TrainingOptions.Epochs"/>, resuming from the checkpoint when
    /// one exists. The checkpoint folder is created and test-written before the first step, so an unusable one fails
    /// at once (<see cref="IOException"/> naming it); a checkpoint that cannot be written later only sets
    /// <see cref="TrainingResult.Warning"/> (and says so on standard error), so the run is not lost. Without a folder
    /// nothing is written, periodic checkpoints included. <paramref name="ct"/> and the host's
    /// <see cref="Interruption.Token"/> both stop training: a checkpoint is written (when a folder is set) and
    /// <see cref="OperationCanceledException"/> is thrown. A non-finite loss throws <see cref="TrainingDivergedException"/>.
    /// With a checkpoint folder the run holds <see cref="LockFileName"/> there locked (<see cref="FileLock"/>) while it
    /// trains: another process that reaches the same run waits, then reloads the finished checkpoint.
    /// </summary>
    public TrainingResult Fit(IFaceDataset train, IProgress<StepReport>? progress = null, CancellationToken ct = default)
    {
        Options.Validate();
        if (train.Classes > head.Classes)
            throw new ArgumentException($"The training set has {train.Classes} identities but the head has {head.Classes} class centres.", nameof(train));
        if (Options.CheckpointFolder is { } folder) EnsureWritable(folder);
        using var interruptible = CancellationTokenSource.CreateLinkedTokenSource(ct, Interruption.Token);
        ct = interruptible.Token;
        // Notebooks run side by side (run --jobs) may reach the same run: the second waits, then reloads the finished one.
        using var runLock = Options.CheckpointFolder is { } locked
            ? FileLock.Acquire(Path.Combine(locked, LockFileName), () => Console.Error.WriteLine($"waiting for {locked}: another process is training this run"), ct)
            : null;
        var device = Options.Device ?? TorchRuntime.Device;
        var loader = new FaceLoader(train, Options.BatchSize, Options.Seed, Options.Flip, Options.Prefetch);
        long perEpoch = loader.BatchesPerEpoch, total = perEpoch * Options.Epochs;
        var schedule = Options.EffectiveSchedule;

        backbone.to(device);
        head.to(device);
        var step = new MixedPrecisionStep(backbone, head, Options.Precision, device);
        var trainable = backbone.parameters().Concat(head.parameters()).Where(p => p.requires_grad).ToList();
        using var optimizer = CreateOptimizer(step.OptimizedParameters(trainable));
        var clipped = step.OptimizedParameters(backbone.parameters().Where(p => p.requires_grad).ToList());

        var meter = new Meter();
        long done = 0;
        var history = new List<StepReport>();
        if (CheckpointPath is { } path && File.Exists(path)) done = Load(path, step, optimizer, meter, history, train.Count);
        step.SyncFromMaster();
        long resumedFrom = done;
        string? written = done > 0 ? CheckpointPath : null;
        backbone.train();
        head.train();
        var clock = Stopwatch.StartNew();
        long imagesSinceReport = 0;
        string? pending = null;   // a checkpoint written but not yet known to be good
        string? warning = null;
        string? Attempt(long atStep, Func<string?> save)
        {
            try
            {
                string? saved = save();
                warning = null;
                return saved;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                DeleteTemporary();
                warning = $"The checkpoint of step {atStep} could not be written to {Options.CheckpointFolder}: {e.Message} " +
                    "Training goes on and the model in memory is complete, but a later run cannot resume from this step.";
                Console.Error.WriteLine($"warning: {warning}");
                return null;
            }
        }

        try
        {
            for (int epoch = (int)(done / perEpoch); epoch < Options.Epochs; epoch++)
            {
                foreach (var batch in loader.Epoch(epoch, (int)(done - epoch * perEpoch), ct))
                {
                    using (batch)
                    using (var scope = NewDisposeScope())
                    {
                        double lr = Options.LearningRate * schedule.Factor(done, perEpoch, total);
                        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
                        optimizer.zero_grad();
                        step.ZeroGrad();
                        var output = step.Forward(batch.Images.to(device), batch.Labels.to(device));
                        var correct = output.Correct();
                        var angles = rad2deg(acos(output.TargetCos.detach().to(float32).clamp(-1, 1))).sum();
                        // One host sync per step, as arcface_torch's loss.item().
                        var stats = stack([output.Loss.detach().to(float32), correct.to(float32), angles]).cpu().data<float>().ToArray();
                        if (!float.IsFinite(stats[0])) throw new TrainingDivergedException(done + 1, stats[0], written);
                        // The checkpoint written after the previous step holds weights that just gave a finite loss: keep it.
                        if (pending is { } ready) { written = Attempt(done, () => Commit(ready)) ?? written; pending = null; }
                        output.Loss.backward();
                        step.GradientsToMaster();
                        if (Options.GradientClipNorm > 0) nn.utils.clip_grad_norm_(clipped, Options.GradientClipNorm);
                        optimizer.step();
                        step.SyncFromMaster();
                        meter.Add(stats[0], stats[1], stats[2], Options.BatchSize);
                        done++;
                        imagesSinceReport += Options.BatchSize;
                        if (done % Options.ReportEvery == 0 || done == total)
                        {
                            var report = meter.Report(done, total, epoch + 1, lr, imagesSinceReport / clock.Elapsed.TotalSeconds);
                            history.Add(report);
                            progress?.Report(report);
                            meter = new Meter();
                            imagesSinceReport = 0;
                            clock.Restart();
                        }
                    }
                    if (CheckpointPath is not null && Options.CheckpointEvery > 0 && done % Options.CheckpointEvery == 0 && done < total)
                        pending = Attempt(done, () => Write(step, optimizer, meter, history, done, train.Count));
                    if (Options.TrimMemoryEvery > 0 && done % Options.TrimMemoryEvery == 0) NativeMemory.Trim();
                }
            }
        }
        catch (TrainingDivergedException) when (pending is not null)
        {
            File.Delete(pending);
            throw;
        }
        catch (OperationCanceledException) when (CheckpointPath is not null && done > resumedFrom)
        {
            Attempt(done, () => Commit(Write(step, optimizer, meter, history, done, train.Count)));
            throw;
        }
        if (CheckpointPath is not null && done > resumedFrom) written = Attempt(done, () => Commit(Write(step, optimizer, meter, history, done, train.Count))) ?? written;
        return new TrainingResult(history, done, resumedFrom, written, warning);
    }

    /// <summary>Creates <paramref name="folder"/> and writes and deletes a file there, so a folder that cannot take a checkpoint fails before training rather than after it.</summary>
    static void EnsureWritable(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            string probe = Path.Combine(folder, $".write-test-{Guid.NewGuid():N}");
            using (var stream = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
                stream.WriteByte(0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new IOException($"The checkpoint folder {folder} cannot be written: {e.Message} Set TrainingOptions.CheckpointFolder to a writable folder, or to null to train without checkpoints.", e);
        }
    }

    /// <summary>Removes a half-written temporary checkpoint after a failed write; the folder itself may be gone.</summary>
    void DeleteTemporary()
    {
        try { File.Delete(CheckpointPath + ".tmp"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }   // the original failure is what gets reported
    }

    optim.Optimizer CreateOptimizer(IEnumerable<Parameter> parameters) => Options.Optimizer switch
    {
        OptimizerKind.Sgd => optim.SGD(parameters, Options.LearningRate, momentum: Options.Momentum, weight_decay: Options.WeightDecay),
        _ => optim.AdamW(parameters, Options.LearningRate, weight_decay: Options.WeightDecay),
    };

    /// <summary>
    /// Writes the state at the end of step <paramref name="done"/> to the temporary file and returns its path;
    /// <see cref="Commit"/> renames it over the checkpoint.
    /// </summary>
    string Write(MixedPrecisionStep step, optim.Optimizer optimizer, Meter meter, List<StepReport> history, long done, int datasetCount)
    {
        string path = CheckpointPath!;
        using (no_grad())
        {
            // A step can leave non-finite weights whose loss is only seen next step: never checkpoint those.
            foreach (var (name, p) in backbone.named_parameters().Concat(head.named_parameters()))
                if (!isfinite(p).all().item<bool>()) throw new TrainingDivergedException(done, double.NaN, File.Exists(path) ? path : null);
        }
        Directory.CreateDirectory(Options.CheckpointFolder!);
        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(Magic);
            writer.Write(done);
            writer.Write(Options.Seed);
            writer.Write(Options.BatchSize);
            writer.Write(datasetCount);
            meter.Write(writer);
            Reports.Write(writer, history);
            using var rng = torch.random.get_rng_state();
            var bytes = rng.data<byte>().ToArray();
            writer.Write(bytes.Length);
            writer.Write(bytes);
            backbone.save(writer);
            head.save(writer);
            step.Write(writer);
            ((OptimizerHelper)optimizer).save_state_dict(writer);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        return temporary;
    }

    /// <summary>Renames a written checkpoint into place (atomic on one file system) and returns the checkpoint path.</summary>
    string Commit(string temporary)
    {
        File.Move(temporary, CheckpointPath!, overwrite: true);
        return CheckpointPath!;
    }

    long Load(string path, MixedPrecisionStep step, optim.Optimizer optimizer, Meter meter, List<StepReport> history, int datasetCount)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        string magic;
        try { magic = reader.ReadString(); } catch (Exception e) when (e is EndOfStreamException or IOException) { magic = ""; }
        if (magic != Magic && magic != MagicWithoutHistory) throw new InvalidDataException($"{path}: not a trainer checkpoint (delete it to start afresh).");
        long done = reader.ReadInt64();
        long seed = reader.ReadInt64();
        int batch = reader.ReadInt32(), count = reader.ReadInt32();
        if (seed != Options.Seed || batch != Options.BatchSize || count != datasetCount)
            throw new InvalidDataException($"{path} was written with seed {seed}, batch size {batch} and {count} images; this run has seed {Options.Seed}, " +
                $"batch size {Options.BatchSize} and {datasetCount} images, so its data order would differ. Use another checkpoint folder or the same settings.");
        try
        {
            meter.Read(reader);
            if (magic == Magic) Reports.Read(reader, history);
            int rngLength = reader.ReadInt32();
            var bytes = reader.ReadBytes(rngLength);
            if (bytes.Length != rngLength) throw new EndOfStreamException();
            torch.random.set_rng_state(tensor(bytes, dtype: uint8));
            backbone.load(reader);
            head.load(reader);
            step.Read(reader);
            ((OptimizerHelper)optimizer).load_state_dict(reader);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: the checkpoint of step {done} ends early (after {reader.BaseStream.Length} bytes); it was cut short " +
                "outside this program, which writes checkpoints whole. Delete it to start afresh.", e);
        }
        return done;
    }

    /// <summary>The run's reports as the checkpoint holds them: a count, then each report's fields in declaration order.</summary>
    static class Reports
    {
        public static void Write(BinaryWriter w, List<StepReport> history)
        {
            w.Write(history.Count);
            foreach (var r in history)
            {
                w.Write(r.Step); w.Write(r.TotalSteps); w.Write(r.Epoch); w.Write(r.Loss); w.Write(r.Accuracy);
                w.Write(r.MeanTargetAngleDegrees); w.Write(r.LearningRate); w.Write(r.ImagesPerSecond);
            }
        }

        public static void Read(BinaryReader r, List<StepReport> history)
        {
            for (int i = r.ReadInt32(); i > 0; i--)
                history.Add(new StepReport(r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble()));
        }
    }

    /// <summary>Sums since the last report.</summary>
    sealed class Meter
    {
        double loss, correct, angles;
        long steps, images;

        public void Add(double loss, double correct, double angles, int batch) =>
            (this.loss, this.correct, this.angles, steps, images) = (this.loss + loss, this.correct + correct, this.angles + angles, steps + 1, images + batch);

        public StepReport Report(long step, long total, int epoch, double lr, double imagesPerSecond) =>
            new((int)step, (int)total, epoch, loss / steps, correct / images, angles / images, lr, imagesPerSecond);

        public void Write(BinaryWriter w) { w.Write(loss); w.Write(correct); w.Write(angles); w.Write(steps); w.Write(images); }

        public void Read(BinaryReader r) => (loss, correct, angles, steps, images) = (r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadInt64(), r.ReadInt64());
    }
}
