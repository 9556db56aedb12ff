using ArcFace.Backbones;
using ArcFace.Data;
using ArcFace.Losses;
using ArcFace.Runtime;
using ArcFace.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ArcFace.Benchmarks;

/// <summary>
/// Training-step throughput (images/s) through <see cref="Trainer"/> — loader, backbone, ArcFace head, SGD, clipping —
/// per backbone and precision. CPU: the smoke profile's backbone and a small IResNet at 112×112, batch 64. GPU: r50 and
/// r100 at batch 128, 112×112, 85,742 classes, fp32 and bf16, as <c>pytorch/train_benchmark.py</c> does in PyTorch.
/// Arguments: [backbone[:width] …] [--batch N] [--size N] [--classes N] [--steps N] [--precision float32|bfloat16|both].
/// </summary>
public sealed class TrainingBenchmark : IBenchmark
{
    /// <summary>The library's ArcFace head (s = 64, m = 0.5) with arcface_torch's straight-through margin, as the PyTorch twin trains.</summary>
    internal static MarginHead ArcFaceAsArcfaceTorch(int classes, int embedding) =>
        new(classes, embedding, Margin.ArcFace(0.5) with { Gradient = GradientMode.StraightThrough });

    public string Name => "train";
    public string Description => "training images/s per backbone and precision (PyTorch twin: pytorch/train_benchmark.py)";

    public int Run(Settings settings, RuntimeInfo runtime, string[] args)
    {
        bool gpu = runtime.Device.type == DeviceType.CUDA;
        string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
        var nets = args.TakeWhile(a => !a.StartsWith("--")).ToList();
        int batch = int.Parse(Arg("--batch", gpu ? "128" : "64"));
        int classes = int.Parse(Arg("--classes", gpu ? "85742" : "1000"));
        int steps = int.Parse(Arg("--steps", gpu ? "30" : "6"));
        var precisions = Arg("--precision", gpu ? "both" : "float32") switch
        {
            "both" => new[] { Precision.Float32, Precision.BFloat16 },
            var p => [Enum.Parse<Precision>(p, ignoreCase: true)],
        };
        var runs = nets.Count > 0
            ? nets.Select(n => (Net: n, Size: int.Parse(Arg("--size", "112")), Embedding: 512))
            : gpu ? [("r50", 112, 512), ("r100", 112, 512)]
            : [($"{RunProfile.Smoke.Backbone}:{RunProfile.Smoke.WidthMultiplier}", RunProfile.Smoke.InputSize, RunProfile.Smoke.EmbeddingSize), ("r18:0.25", 112, 512)];

        Console.WriteLine($"batch {batch}, {classes:N0} classes, ArcFace s=64 m=0.5, SGD, {steps} timed steps after {Math.Max(2, steps / 3)} warm-up");
        Console.WriteLine($"{"backbone",-12} {"size",5} {"precision",-9} {"img/s",9} {"ms/step",9}");
        foreach (var (net, size, embedding) in runs)
            foreach (var precision in precisions)
            {
                double rate = Measure(net, size, embedding, batch, classes, steps, precision, runtime.Device);
                Console.WriteLine($"{net,-12} {size,5} {precision,-9} {rate,9:F1} {1000 * batch / rate,9:F1}");
            }
        return 0;
    }

    /// <summary>Images/s of the trainer over <paramref name="steps"/> steps after a warm-up.</summary>
    internal static double Measure(string net, int size, int embedding, int batch, int classes, int steps, Precision precision, Device device)
    {
        int warmup = Math.Max(2, steps / 3);
        var parts = net.Split(':');
        torch.manual_seed(0);
        using var backbone = parts[0] == "mbf" ? (nn.Module<Tensor, Tensor>)MobileFaceNet.Create(embedding, size)
            : IResNet.Create(parts[0], embedding, size, parts.Length > 1 ? double.Parse(parts[1]) : 1.0);
        using var head = ArcFaceAsArcfaceTorch(classes, embedding);
        // Warm-up and timed steps as two report windows of one run.
        var data = new RandomImages(batch * (warmup + steps), classes, size);
        var reports = new List<StepReport>();
        var options = new TrainingOptions(Epochs: 1, BatchSize: batch, ReportEvery: warmup, Precision: precision, Device: device);
        var trainer = new Trainer(backbone, head, options);
        trainer.Fit(data, new Sink<StepReport>(reports.Add));
        // Reports come every `warmup` steps; all after the first are timed.
        var timed = reports.Skip(1).ToList();
        return timed.Count == 0 ? reports[^1].ImagesPerSecond : timed.Average(r => r.ImagesPerSecond);
    }
}

/// <summary>Random images in [-1, 1] with labels i mod classes, in memory (the data pipeline is not what is measured).</summary>
sealed class RandomImages(int count, int classes, int size) : IFaceDataset
{
    readonly Tensor images = (rand(count, 3, size, size) * 2 - 1).DetachFromDisposeScope();

    public int Count => count;
    public int Classes => classes;
    public int ImageSize => size;
    public int Label(int index) => index % classes;
    public Tensor Images(ReadOnlySpan<int> indices) => images.index_select(0, tensor(indices.ToArray()));
}

/// <summary>A synchronous <see cref="IProgress{T}"/>.</summary>
sealed class Sink<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
