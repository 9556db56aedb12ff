using System.Diagnostics;
using ArcFace.Evaluation;
using ArcFace.Runtime;
using static TorchSharp.torch;

namespace ArcFace.Benchmarks;

/// <summary>Verification of 6,000 pairs (threshold sweeps included) and identification throughput vs a plain matmul.</summary>
public sealed class EvaluationBenchmark : IBenchmark
{
    public string Name => "eval";
    public string Description => "verification 6,000 pairs × 512-d (target < 100 ms); identification scores/s vs matmul (target ≥ 70%) [probes] [distractors]";

    public int Run(Settings settings, RuntimeInfo runtime, string[] args)
    {
        int probes = args.Length > 0 ? int.Parse(args[0]) : 1000;
        int distractors = args.Length > 1 ? int.Parse(args[1]) : 100_000;
        var device = runtime.Device;

        manual_seed(0);
        using var embeddings = nn.functional.normalize(randn(12_000, 512), p: 2, dim: 1);
        var isSame = Enumerable.Range(0, 6000).Select(i => i % 2 == 0).ToArray();
        Verification.Evaluate(embeddings, isSame); // warm-up
        var times = new List<double>();
        for (int i = 0; i < 10; i++)
        {
            var watch = Stopwatch.StartNew();
            Verification.Evaluate(embeddings, isSame);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        Console.WriteLine($"verification 6,000 pairs × 512: median {times[5]:F1} ms, min {times[0]:F1} ms (target < 100 ms)");

        using var p = nn.functional.normalize(randn(probes, 512, device: device), p: 2, dim: 1);
        using var d = nn.functional.normalize(randn(distractors, 512, device: device), p: 2, dim: 1);
        var ids = Enumerable.Range(0, probes).Select(i => i / 4).ToArray();
        var options = new IdentificationOptions(ExcludeSelfPairs: true);
        long block = Math.Max(1, options.ScoreBlockElements / probes);

        double Time(Action action)
        {
            action();
            Synchronize(device);
            var best = double.MaxValue;
            for (int i = 0; i < 3; i++)
            {
                var watch = Stopwatch.StartNew();
                action();
                Synchronize(device);
                best = Math.Min(best, watch.Elapsed.TotalSeconds);
            }
            return best;
        }
        // The plain rate: the same blocked matrix products, nothing kept.
        double matmul = Time(() =>
        {
            for (long start = 0; start < distractors; start += block)
            {
                using var scope = NewDisposeScope();
                p.mm(d.narrow(0, start, Math.Min(block, distractors - start)).t());
            }
        });
        double identify = Time(() => Identification.Evaluate(p, ids, p, ids, d, 10, options));
        double scores = (double)probes * distractors;
        Console.WriteLine($"identification {probes:N0} probes × {distractors:N0} distractors × 512 on {device.type}: " +
                          $"{scores / identify / 1e9:F2} G scores/s vs matmul {scores / matmul / 1e9:F2} G scores/s = {100 * matmul / identify:F0}% (target ≥ 70%)");
        return 0;
    }

    static void Synchronize(Device device)
    {
        if (device.type == TorchSharp.DeviceType.CUDA) cuda.synchronize();
    }
}
