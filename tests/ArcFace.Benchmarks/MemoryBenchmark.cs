using ArcFace.Backbones;
using ArcFace.Runtime;
using ArcFace.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Benchmarks;

/// <summary>
/// Process memory over a long run: the smoke profile's training step for 1,000 steps without and with the trainer's
/// trimming (<see cref="TrainingOptions.TrimMemoryEvery"/>: a .NET collection and <c>malloc_trim</c>). RSS is sampled
/// every 10 steps; after warm-up (step 100) the run is cut into windows of 100 steps and each window's minimum is its
/// floor. A trimmed process saw-tooths between trims, so the end value alone says little: the table gives RSS at
/// warm-up and at the end, the maximum, the first and last floor, their growth in percent (goal: under 10%), the speed
/// and every window's floor with the .NET heap in use at that point and the number of .NET collections (the rest of
/// RSS is native: libtorch, malloc).
/// Arguments: [steps, at least 300] [trim interval].
/// </summary>
public sealed class MemoryBenchmark : IBenchmark
{
    public string Name => "memory";
    public string Description => "RSS over 1,000 training steps with and without trimming: max and floor per 100 steps (goal: floor grows < 10%)";

    public int Run(Settings settings, RuntimeInfo runtime, string[] args)
    {
        int steps = args.Length > 0 ? int.Parse(args[0]) : 1000;
        int trimEvery = args.Length > 1 ? int.Parse(args[1]) : new TrainingOptions().TrimMemoryEvery;
        if (steps < Warmup + 2 * Window)
            throw new ArgumentOutOfRangeException(nameof(args), steps, $"memory: steps is {steps}; at least {Warmup + 2 * Window} are needed (warm-up, then two windows of {Window} to compare floors).");
        if (args.Contains("--single")) return Single(runtime, steps, trimEvery);
        var profile = RunProfile.Smoke;
        Console.WriteLine($"{profile.Backbone} ×{profile.WidthMultiplier}, {profile.InputSize}×{profile.InputSize}, batch {profile.BatchSize}, {profile.TrainIdentities} classes, {steps} steps, one process each");
        Console.WriteLine($"{"trim",-14} {"RSS@" + Warmup + " MiB",12} {"RSS@end MiB",12} {"max MiB",9} {"floor MiB",15} {"floor growth",13} {"img/s",8}   floor per window, MiB (.NET heap in use; collections)");
        // Each setting in a fresh process: a process's heap only remembers, so sharing one would mix the two.
        int worst = 0;
        foreach (int trim in new[] { 0, trimEvery })
        {
            var self = Environment.GetCommandLineArgs()[0];
            var psi = new System.Diagnostics.ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") psi.ArgumentList.Add(self);   // run through the host
            foreach (var a in new[] { Name, steps.ToString(), trim.ToString(), "--single" }) psi.ArgumentList.Add(a);
            using var child = System.Diagnostics.Process.Start(psi)!;
            Console.WriteLine(child.StandardOutput.ReadToEnd().Split('\n').Last(l => l.StartsWith(trim == 0 ? "off" : "every")));
            child.WaitForExit();
            if (trim > 0) worst = child.ExitCode;
        }
        return worst;
    }

    const int Warmup = 100, Window = 100, SampleEvery = 10;

    /// <summary>One setting in this process; prints one table row; exit code 1 when the floor grows 10% or more.</summary>
    static int Single(RuntimeInfo runtime, int steps, int trim)
    {
        var profile = RunProfile.Smoke;
        torch.manual_seed(0);
        using var backbone = Backbone.Create(profile);
        using var head = TrainingBenchmark.ArcFaceAsArcfaceTorch(profile.TrainIdentities, profile.EmbeddingSize);
        var data = new RandomImages(profile.BatchSize * Window, profile.TrainIdentities, profile.InputSize);
        var rss = new List<(int Step, long Bytes, long Managed)>();
        var speed = new List<double>();
        var options = new TrainingOptions(Epochs: steps / Window, BatchSize: profile.BatchSize, ReportEvery: SampleEvery,
            TrimMemoryEvery: trim, Device: runtime.Device);
        new Trainer(backbone, head, options).Fit(data, new Sink<StepReport>(r =>
        {
            rss.Add((r.Step, NativeMemory.ResidentBytes(), GC.GetTotalMemory(false)));
            if (r.Step > Warmup) speed.Add(r.ImagesPerSecond);
        }));
        long atWarmup = rss.First(r => r.Step >= Warmup).Bytes, atEnd = rss[^1].Bytes, max = rss.Max(r => r.Bytes);
        var lows = rss.Where(r => r.Step > Warmup).GroupBy(r => (r.Step - Warmup - 1) / Window).Select(w => w.MinBy(r => r.Bytes)).ToList();
        var floors = lows.Select(r => r.Bytes).ToList();
        double growth = 100.0 * (floors[^1] - floors[0]) / floors[0];
        static double MiB(long bytes) => bytes / 1048576.0;
        Console.WriteLine($"{(trim == 0 ? "off" : $"every {trim}"),-14} {MiB(atWarmup),12:F0} {MiB(atEnd),12:F0} {MiB(max),9:F0} {$"{MiB(floors[0]):F0} → {MiB(floors[^1]):F0}",15} {growth,12:F1}% {speed.DefaultIfEmpty(double.NaN).Average(),8:F1}   {string.Join(" ", floors.Select(f => $"{MiB(f):F0}"))} (managed {string.Join(" ", lows.Select(r => $"{MiB(r.Managed):F0}"))}; {GC.CollectionCount(0)} GCs)");
        return growth < 10 ? 0 : 1;
    }
}
