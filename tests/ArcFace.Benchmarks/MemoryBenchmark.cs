using ArcFace.Backbones;
using ArcFace.Runtime;
using ArcFace.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Benchmarks;

/// <summary>
/// Process memory over a long run: the smoke profile's training step for 1,000 steps without and with the trainer's
/// <c>malloc_trim</c> (<see cref="TrainingOptions.TrimMemoryEvery"/>), RSS after warm-up (step 100) and at the end,
/// growth in percent (goal: under 10%) and the speed of each. Arguments: [steps] [trim interval].
/// </summary>
public sealed class MemoryBenchmark : IBenchmark
{
    public string Name => "memory";
    public string Description => "RSS over 1,000 training steps with and without malloc_trim (goal: < 10% growth after warm-up)";

    public int Run(Settings settings, RuntimeInfo runtime, string[] args)
    {
        int steps = args.Length > 0 ? int.Parse(args[0]) : 1000;
        int trimEvery = args.Length > 1 ? int.Parse(args[1]) : new TrainingOptions().TrimMemoryEvery;
        var profile = RunProfile.Smoke;
        const int warmup = 100, every = 50;
        Console.WriteLine($"{profile.Backbone} ×{profile.WidthMultiplier}, {profile.InputSize}×{profile.InputSize}, batch {profile.BatchSize}, {profile.TrainIdentities} classes, {steps} steps");
        Console.WriteLine($"{"malloc_trim",-14} {"RSS@" + warmup + " MiB",12} {"RSS@end MiB",12} {"max MiB",9} {"growth",8} {"img/s",8}");
        bool ok = true;
        // Trim first: a process only grows, so the untrimmed run afterwards cannot look better than it is.
        foreach (int trim in new[] { trimEvery, 0 })
        {
            torch.manual_seed(0);
            using var backbone = Backbone.Create(profile);
            using var head = new BenchArcHead(profile.TrainIdentities, profile.EmbeddingSize);
            var data = new RandomImages(profile.BatchSize * every * 2, profile.TrainIdentities, profile.InputSize);
            var rss = new List<(int Step, long Bytes)>();
            var speed = new List<double>();
            var options = new TrainingOptions(Epochs: steps / (every * 2), BatchSize: profile.BatchSize, ReportEvery: every, TrimMemoryEvery: trim, Device: runtime.Device);
            NativeMemory.Trim();
            new Trainer(backbone, head, options).Fit(data, new Sink<StepReport>(r =>
            {
                rss.Add((r.Step, NativeMemory.ResidentBytes()));
                if (r.Step > warmup) speed.Add(r.ImagesPerSecond);
            }));
            long atWarmup = rss.First(r => r.Step >= warmup).Bytes, atEnd = rss[^1].Bytes, max = rss.Max(r => r.Bytes);
            double growth = 100.0 * (atEnd - atWarmup) / atWarmup;
            if (trim > 0) ok &= growth < 10;
            Console.WriteLine($"{(trim == 0 ? "off" : $"every {trim}"),-14} {atWarmup / 1048576.0,12:F0} {atEnd / 1048576.0,12:F0} {max / 1048576.0,9:F0} {growth,7:F1}% {speed.Average(),8:F1}");
        }
        return ok ? 0 : 1;
    }
}
