using System.Diagnostics;
using ArcFace.Data;
using ArcFace.Runtime;

namespace ArcFace.Benchmarks;

/// <summary>
/// SynthFaces generation speed: images per second for the smoke training set's size, on this machine's device,
/// and at 112×112; <c>--grid path.png</c> also saves a 112×112 picture grid.
/// </summary>
public sealed class SynthFacesBenchmark : IBenchmark
{
    public string Name => "synth";

    public string Description => "SynthFaces images/s at the profile's size and at 112 (--grid out.png saves a grid)";

    public int Run(Settings settings, RuntimeInfo runtime, string[] args)
    {
        var smoke = SynthFacesOptions.For(settings);
        int grid = Array.IndexOf(args, "--grid");
        if (grid >= 0 && grid + 1 < args.Length)
        {
            SynthFaces.SaveGrid(args[grid + 1], 8, 8, smoke);
            Console.WriteLine($"grid: {args[grid + 1]}");
            if (args.Contains("--no-timing")) return 0;
        }
        Console.WriteLine($"| size | device | images | seconds | images/s |");
        Console.WriteLine($"|---:|---|---:|---:|---:|");
        foreach (var device in new[] { TorchSharp.torch.CPU, runtime.Device }.Distinct())
            foreach (var (size, count) in new[] { (smoke.ImageSize, 2048), (112, 256) })
            {
                var set = SynthFaces.TrainingSet(smoke with { ImageSize = size, Identities = count / smoke.ImagesPerIdentity + 1 }, device);
                Measure(set, 64, device); // warm-up
                var (seconds, n) = Measure(set, count, device);
                Console.WriteLine($"| {size} | {device.type} | {n} | {seconds:F2} | {n / seconds:F0} |");
            }
        Console.WriteLine("Compare with the smoke model's training speed (images/s of the trainer's benchmark): generation should be ≥ 5× faster.");
        return 0;
    }

    static (double Seconds, int Count) Measure(SynthFaceDataset set, int count, TorchSharp.torch.Device device)
    {
        var latents = Enumerable.Range(0, count).Select(i => SynthFaces.Latent(set.IdentityIds[set.Label(i)], set.Options)).ToArray();
        var variations = Enumerable.Range(0, count).Select(set.Variation).ToArray();
        var clock = Stopwatch.StartNew();
        using var images = SynthFaces.Render(latents, variations, set.ImageSize, device: device);
        return (clock.Elapsed.TotalSeconds, count);
    }
}
