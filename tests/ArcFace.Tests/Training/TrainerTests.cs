using ArcFace.Backbones;
using ArcFace.Runtime;
using ArcFace.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Tests.Training;

public class TrainerTests
{
    // 48 images of 16×16, 6 identities, batch 8: 6 steps per epoch, 12 in two epochs.
    static readonly RandomFaces Data = new(48, 6, 16);

    // Width 0.25 (16–128 channels): with 8-channel convolutions libtorch 2.10's CPU conv backward returned different
    // gradients from run to run on 2 threads (NaN at times), which no trainer can make repeatable.
    static IResNet Net(int seed)
    {
        var net = IResNet.Create("r18", embeddingSize: 16, inputSize: 16, widthMultiplier: 0.25);
        // Weights from a private generator: tests of other classes run in parallel and draw from the global one.
        using var generator = new Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var (name, p) in net.named_parameters())
        {
            if (p.dim() > 1) p.normal_(0, 0.1, generator);
            else if (name == "fc.bias") p.zero_();
        }
        return net;
    }

    static TrainingOptions Options(string? folder = null) => new(LearningRate: 0.05, Epochs: 2, BatchSize: 8, Seed: 42,
        ReportEvery: 1, CheckpointFolder: folder, Device: CPU);

    static string NewFolder() => Path.Combine(Path.GetTempPath(), $"trainer-{Guid.NewGuid():N}");

    [Fact]
    public void ResumedRunContinuesTheLossTrajectoryExactly()
    {
        TestRuntime.EnsureLoaded();
        string folder = NewFolder();
        try
        {
            using var netA = Net(1);
            var uninterrupted = new Trainer(netA, new CosineHead(6, 16), Options()).Fit(Data);
            Assert.Equal(12, uninterrupted.History.Count);
            Assert.All(uninterrupted.History, r => Assert.InRange(r.Loss, 0.01, 20));

            // Stopped after step 5 (mid-epoch 1). Checkpoints are due every 2 steps (step 4's is kept once step 5's loss
            // is finite); the cancellation writes step 5's.
            using var cts = new CancellationTokenSource();
            var first = new Collect<StepReport>(r => { if (r.Step == 5) cts.Cancel(); });
            using (var netB = Net(1))
                Assert.ThrowsAny<OperationCanceledException>(() => new Trainer(netB, new CosineHead(6, 16), Options(folder) with { CheckpointEvery = 2 }).Fit(Data, first, cts.Token));
            Assert.Equal(uninterrupted.History.Take(5).Select(r => r.Loss), first.Items.Select(r => r.Loss));

            // Fresh objects with other initial weights, as a new process would have: everything comes from the checkpoint.
            using var netC = Net(99);
            var resumed = new Trainer(netC, new CosineHead(6, 16, seed: 99), Options(folder)).Fit(Data);
            Assert.Equal(5, resumed.ResumedFromStep);
            Assert.Equal(12, resumed.Steps);
            // The history of the first five steps comes back from the checkpoint; the rest is this call's.
            Assert.Equal(uninterrupted.History.Select(r => (r.Step, r.TotalSteps, r.Epoch, r.Loss, r.Accuracy, r.MeanTargetAngleDegrees, r.LearningRate)),
                resumed.History.Select(r => (r.Step, r.TotalSteps, r.Epoch, r.Loss, r.Accuracy, r.MeanTargetAngleDegrees, r.LearningRate)));
            foreach (var ((name, a), (_, c)) in netA.state_dict().Zip(netC.state_dict()))
                Assert.True(a.equal(c).all().item<bool>(), name);   // weights and batch-norm statistics
            Assert.False(File.Exists(Path.Combine(folder, Trainer.CheckpointFileName + ".tmp")));
        }
        finally { if (Directory.Exists(folder)) Directory.Delete(folder, true); }
    }

    [Fact]
    public void ACheckpointWrittenBeforeHistoriesWereSavedStillResumes()
    {
        TestRuntime.EnsureLoaded();
        string folder = NewFolder();
        try
        {
            using var netA = Net(1);
            var uninterrupted = new Trainer(netA, new CosineHead(6, 16), Options()).Fit(Data);
            using var cts = new CancellationTokenSource();
            using (var netB = Net(1))
                Assert.ThrowsAny<OperationCanceledException>(() => new Trainer(netB, new CosineHead(6, 16), Options(folder))
                    .Fit(Data, new Collect<StepReport>(r => { if (r.Step == 5) cts.Cancel(); }), cts.Token));

            // Rewrite it in the first format: magic "… checkpoint 1" and no history block after the meter
            // (magic, step 8, seed 8, batch 4, images 4, meter 40 bytes; then the count and 52 bytes a report).
            string path = Path.Combine(folder, Trainer.CheckpointFileName);
            var bytes = File.ReadAllBytes(path);
            int magicLength = 1 + "ArcFace.Trainer checkpoint 2".Length, historyAt = magicLength + 8 + 8 + 4 + 4 + 40;
            int reports = BitConverter.ToInt32(bytes, historyAt);
            Assert.Equal(5, reports);
            var old = bytes[..historyAt].Concat(bytes[(historyAt + 4 + 52 * reports)..]).ToArray();
            old[magicLength - 1] = (byte)'1';
            File.WriteAllBytes(path, old);

            using var netC = Net(99);
            var resumed = new Trainer(netC, new CosineHead(6, 16, seed: 99), Options(folder)).Fit(Data);
            Assert.Equal(5, resumed.ResumedFromStep);
            Assert.Equal(uninterrupted.History.Skip(5).Select(r => (r.Step, r.Loss)), resumed.History.Select(r => (r.Step, r.Loss)));
        }
        finally { if (Directory.Exists(folder)) Directory.Delete(folder, true); }
    }

    [Fact]
    public void ATruncatedCheckpointIsRefusedByNameAndKept()
    {
        TestRuntime.EnsureLoaded();
        string folder = NewFolder();
        try
        {
            using (var net = Net(1)) new Trainer(net, new CosineHead(6, 16), Options(folder)).Fit(Data);
            string path = Path.Combine(folder, Trainer.CheckpointFileName);
            var whole = File.ReadAllBytes(path);
            // In the history block (after magic 29, step 8, seed 8, batch 4, images 4 and meter 40 bytes: byte 93; twelve
            // reports of 52 bytes), in the RNG state just after it, and in the weights.
            int historyAt = 1 + "ArcFace.Trainer checkpoint 2".Length + 8 + 8 + 4 + 4 + 40;
            Assert.Equal(12, BitConverter.ToInt32(whole, historyAt));
            foreach (int cut in new[] { historyAt + 10, historyAt + 4 + 52 * 12 + 10, whole.Length / 2 })
            {
                File.WriteAllBytes(path, whole[..cut]);
                using var net = Net(1);
                var e = Assert.Throws<InvalidDataException>(() => new Trainer(net, new CosineHead(6, 16), Options(folder)).Fit(Data));
                Assert.Contains(path, e.Message);
                Assert.Contains("ends early", e.Message);
                Assert.Equal(cut, new FileInfo(path).Length);   // left for the user to inspect or delete
            }
        }
        finally { if (Directory.Exists(folder)) Directory.Delete(folder, true); }
    }

    [Fact]
    public void ReportsCarryTheScheduleAndMonitoring()
    {
        TestRuntime.EnsureLoaded();
        using var net = Net(1);
        var history = new Trainer(net, new CosineHead(6, 16), Options() with { Epochs = 1, ReportEvery = 2 }).Fit(Data).History;
        Assert.Equal([2, 4, 6], history.Select(r => r.Step));
        // Polynomial power 1 over 6 steps: the report carries the rate of its last step, 0.05 · (1 − (step − 1)/6).
        double[] expected = [0.05 * 5 / 6, 0.05 * 3 / 6, 0.05 * 1 / 6];
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], history[i].LearningRate, 12);
        Assert.All(history, r =>
        {
            Assert.Equal((6, 1), (r.TotalSteps, r.Epoch));
            Assert.InRange(r.Accuracy, 0, 1);
            Assert.InRange(r.MeanTargetAngleDegrees, 45, 135);   // near 90° at the start, random centres
            Assert.True(r.ImagesPerSecond > 0);
        });
    }

    [Fact]
    public void NaNLossStopsWithTheStepAndKeepsTheLastGoodCheckpoint()
    {
        TestRuntime.EnsureLoaded();
        string folder = NewFolder();
        try
        {
            using var net = Net(1);
            var options = Options(folder) with { CheckpointEvery = 2 };
            var e = Assert.Throws<TrainingDivergedException>(() => new Trainer(net, new NaNHead(6, 16, nanFromCall: 4), options).Fit(Data));
            Assert.Equal(4, e.Step);
            Assert.True(double.IsNaN(e.Loss));
            Assert.Contains("step 4", e.Message);
            Assert.Contains(Path.Combine(folder, Trainer.CheckpointFileName), e.Message);
            // No half-written checkpoint is left, and the run's lock is released despite the exception.
            Assert.Equal([Trainer.CheckpointFileName, Trainer.LockFileName], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
            using (var released = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
                FileLock.Acquire(Path.Combine(folder, Trainer.LockFileName), ct: released.Token).Dispose();
            // The checkpoint of step 2 (written once step 3's loss proved its weights good) is intact and resumable.
            using var fresh = Net(5);
            var resumed = new Trainer(fresh, new CosineHead(6, 16), options with { Epochs = 1 }).Fit(Data);
            Assert.Equal(2, resumed.ResumedFromStep);
            Assert.Equal(6, resumed.Steps);
        }
        finally { if (Directory.Exists(folder)) Directory.Delete(folder, true); }
    }

    [Fact]
    public void HugeLearningRateDivergesAndKeepsOnlyCheckpointsThatGaveAFiniteLoss()
    {
        TestRuntime.EnsureLoaded();
        string folder = NewFolder();
        try
        {
            using var net = Net(1);
            var options = Options(folder) with { LearningRate = 1e30, GradientClipNorm = 0, CheckpointEvery = 1 };
            Assert.Throws<TrainingDivergedException>(() => new Trainer(net, new CosineHead(6, 16), options).Fit(Data));
            string checkpoint = Path.Combine(folder, Trainer.CheckpointFileName);
            if (File.Exists(checkpoint))
            {
                // Whatever was kept gave a finite loss: resuming from it at a tiny rate trains on.
                using var fresh = Net(5);
                var resumed = new Trainer(fresh, new CosineHead(6, 16), Options(folder) with { Epochs = 1, LearningRate = 1e-6 }).Fit(Data);
                Assert.All(fresh.parameters(), p => Assert.True(isfinite(p).all().item<bool>()));
                Assert.True(resumed.ResumedFromStep >= 1);
            }
        }
        finally { if (Directory.Exists(folder)) Directory.Delete(folder, true); }
    }

    [Fact]
    public void CheckpointOfAnotherDataOrderIsRefused()
    {
        TestRuntime.EnsureLoaded();
        string folder = NewFolder();
        try
        {
            using (var net = Net(1)) new Trainer(net, new CosineHead(6, 16), Options(folder) with { Epochs = 1 }).Fit(Data);
            using var other = Net(1);
            var e = Assert.Throws<InvalidDataException>(() => new Trainer(other, new CosineHead(6, 16), Options(folder) with { BatchSize = 4 }).Fit(Data));
            Assert.Contains("batch size 8", e.Message);
            Assert.Contains(folder, e.Message);
        }
        finally { if (Directory.Exists(folder)) Directory.Delete(folder, true); }
    }

    [Fact]
    public void BFloat16KeepsFp32MasterWeightsAndResumesExactly()
    {
        TestRuntime.EnsureLoaded();
        string folder = NewFolder();
        try
        {
            // bf16 convolutions are slow on the CPU: 4 steps only.
            var data = new RandomFaces(32, 6, 16);
            var options = Options() with { Epochs = 1, Precision = Precision.BFloat16 };
            using var netA = Net(1);
            var full = new Trainer(netA, new CosineHead(6, 16), options).Fit(data);
            Assert.All(netA.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
            Assert.All(full.History, r => Assert.True(double.IsFinite(r.Loss)));

            using var cts = new CancellationTokenSource();
            using (var netB = Net(1))
                Assert.ThrowsAny<OperationCanceledException>(() => new Trainer(netB, new CosineHead(6, 16), options with { CheckpointFolder = folder })
                    .Fit(data, new Collect<StepReport>(r => { if (r.Step == 2) cts.Cancel(); }), cts.Token));
            using var netC = Net(7);
            var resumed = new Trainer(netC, new CosineHead(6, 16, seed: 7), options with { CheckpointFolder = folder }).Fit(data);
            Assert.Equal(2, resumed.ResumedFromStep);
            // The masters travel in the checkpoint: the bf16 trajectory continues exactly too.
            Assert.Equal(full.History.Select(r => r.Loss), resumed.History.Select(r => r.Loss));
        }
        finally { if (Directory.Exists(folder)) Directory.Delete(folder, true); }
    }

    [Fact]
    public void UnusableCheckpointFolderFailsBeforeTheFirstStepAndNamesTheFolder()
    {
        TestRuntime.EnsureLoaded();
        string parent = NewFolder();
        try
        {
            // A folder below a regular file can never be created (root ignores permission bits, so those cannot test this).
            Directory.CreateDirectory(parent);
            File.WriteAllText(Path.Combine(parent, "file"), "");
            string folder = Path.Combine(parent, "file", "checkpoints");
            var reports = new Collect<StepReport>();
            using var net = Net(1);
            var e = Assert.Throws<IOException>(() => new Trainer(net, new CosineHead(6, 16), Options(folder)).Fit(Data, reports));
            Assert.Contains(folder, e.Message);
            Assert.Empty(reports.Items);
        }
        finally { Directory.Delete(parent, true); }
    }

    [Fact]
    public void NoFolderMeansNoCheckpointsEvenWhenPeriodicOnesAreAsked()
    {
        TestRuntime.EnsureLoaded();
        using var net = Net(1);
        var result = new Trainer(net, new CosineHead(6, 16), Options() with { CheckpointEvery = 2 }).Fit(Data);
        Assert.Equal(12, result.Steps);
        Assert.Null(result.Checkpoint);
        Assert.Null(result.Warning);
    }

    [Fact]
    public void AFailedFinalCheckpointKeepsTheTrainedRunAndWarnsWithTheFolder()
    {
        TestRuntime.EnsureLoaded();
        string folder = NewFolder();
        try
        {
            // The folder is fine at the start and turns into a file during the last step: the final checkpoint cannot be written.
            var reports = new Collect<StepReport>(r => { if (r.Step == 12) { Directory.Delete(folder, true); File.WriteAllText(folder, ""); } });
            using var net = Net(1);
            var result = new Trainer(net, new CosineHead(6, 16), Options(folder)).Fit(Data, reports);
            Assert.Equal(12, result.Steps);
            Assert.Equal(12, result.History.Count);
            Assert.Null(result.Checkpoint);
            Assert.NotNull(result.Warning);
            Assert.Contains(folder, result.Warning);
        }
        finally
        {
            if (File.Exists(folder)) File.Delete(folder);
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void TheHostsInterruptStopsFitWithACheckpointWithoutATokenFromTheCaller()
    {
        TestRuntime.EnsureLoaded();
        string folder = NewFolder();
        try
        {
            using var cts = new CancellationTokenSource();
            using (var net = Net(1))
            using (Interruption.Begin(cts.Token))
            {
                Assert.Equal(cts.Token, Interruption.Token);
                var reports = new Collect<StepReport>(r => { if (r.Step == 3) cts.Cancel(); });
                Assert.ThrowsAny<OperationCanceledException>(() => new Trainer(net, new CosineHead(6, 16), Options(folder)).Fit(Data, reports));
                Assert.Equal(3, reports.Items.Count);
            }
            Assert.Equal(CancellationToken.None, Interruption.Token);
            using var fresh = Net(5);
            Assert.Equal(3, new Trainer(fresh, new CosineHead(6, 16), Options(folder)).Fit(Data).ResumedFromStep);
        }
        finally { if (Directory.Exists(folder)) Directory.Delete(folder, true); }
    }

    [Fact]
    public void BadOptionsNameTheField()
    {
        TestRuntime.EnsureLoaded();
        using var net = Net(1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(net, new CosineHead(6, 16), Options() with { Epochs = 0 }).Fit(Data));
        Assert.Contains("TrainingOptions.Epochs is 0", e.Message);
    }

    [Fact]
    public void TheMemoryCadenceAlsoCollectsDotNetGarbage()
    {
        TestRuntime.EnsureLoaded();
        // .NET sizes its youngest generation from the L3 cache (300 MiB here), so without a forced collection
        // the memory benchmark ran none in 500 steps; its garbage, and the native tensors finalizers would free,
        // raised the RSS floor by 14 MiB per 100 steps.
        using var net = Net(1);
        int before = GC.CollectionCount(0);
        new Trainer(net, new CosineHead(6, 16), Options() with { TrimMemoryEvery = 2 }).Fit(Data);
        Assert.True(GC.CollectionCount(0) - before >= 6, $"{GC.CollectionCount(0) - before} collections in 12 steps trimmed every 2");
    }

    [Fact]
    public void TrimReturnsMemoryOnGlibc()
    {
        Assert.Equal(OperatingSystem.IsLinux(), NativeMemory.Trim());
        Assert.InRange(NativeMemory.ResidentBytes(), 1L << 20, 1L << 40);
    }
}
