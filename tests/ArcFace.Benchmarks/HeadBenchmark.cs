using System.Diagnostics;
using ArcFace.Losses;
using ArcFace.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ArcFace.Benchmarks;

/// <summary>
/// Forward + backward time of each head on one shape, beside a straightforward ArcFace (normalise both, clamp the full
/// matrix, gather, acos/cos, one-hot scatter, × s) and plain linear + softmax cross-entropy.
/// Usage: heads [B D C [sampleRate]] [--iters N]. Defaults: CPU 256 512 10000, GPU 512 512 85742; rate 0.1.
/// </summary>
public sealed class HeadBenchmark : IBenchmark
{
    public string Name => "heads";
    public string Description => "margin heads fwd+bwd vs softmax: heads [B D C [rate]] [--iters N]";

    public int Run(Settings settings, RuntimeInfo runtime, string[] args)
    {
        var device = runtime.Device;
        bool cuda = device.type == DeviceType.CUDA;
        int iterIndex = Array.IndexOf(args, "--iters");
        int iters = iterIndex >= 0 ? int.Parse(args[iterIndex + 1]) : cuda ? 20 : 4;
        var sizes = args.Where((a, i) => !a.StartsWith("--") && (iterIndex < 0 || i != iterIndex + 1)).ToArray();
        int b = sizes.Length > 0 ? int.Parse(sizes[0]) : cuda ? 512 : 256;
        int d = sizes.Length > 1 ? int.Parse(sizes[1]) : 512;
        int c = sizes.Length > 2 ? int.Parse(sizes[2]) : cuda ? 85_742 : 10_000;
        double rate = sizes.Length > 3 ? double.Parse(sizes[3], System.Globalization.CultureInfo.InvariantCulture) : 0.1;

        torch.manual_seed(0);
        var x = randn(b, d, device: device).requires_grad_();
        var y = randint(0, c, b, dtype: ScalarType.Int64, device: device);
        var heads = new List<(string Name, FaceHead Head)>
        {
            ("softmax (linear + CE)", new SoftmaxHead(c, d)),
            ("arcface naive", new NaiveArcFace(c, d, 64, 0.5)),
            ("arcface ours (exact)", new MarginHead(c, d, Margin.ArcFace())),
            ("arcface straight-through", new MarginHead(c, d, Margin.ArcFace() with { Gradient = GradientMode.StraightThrough })),
            ("cosface", new MarginHead(c, d, Margin.CosFace())),
            ($"partial fc {rate:0.##} (arcface)", new PartialFcHead(c, d, Margin.ArcFace(), rate, seed: 0)),
        };
        // Heads take turns in each round and the median round counts, so a load change on a shared CPU hits all alike.
        const int rounds = 5;
        Console.WriteLine($"shape B={b} D={d} C={c:N0}, device {device.type}, median of {rounds} rounds × {iters} steps");
        foreach (var (_, head) in heads) { head.to(device).train(); Time(head, x, y, 3, cuda); }
        var times = heads.Select(_ => new List<double>()).ToList();
        for (int r = 0; r < rounds; r++)
            for (int h = 0; h < heads.Count; h++) times[h].Add(Time(heads[h].Head, x, y, iters, cuda));
        var median = times.Select(t => t.Order().ElementAt(rounds / 2)).ToList();
        Console.WriteLine($"{"head",-28} {"ms/step",9} {"× softmax",10}");
        for (int h = 0; h < heads.Count; h++) Console.WriteLine($"{heads[h].Name,-28} {median[h],9:F2} {median[h] / median[0],10:F3}");
        Console.WriteLine($"ratio ArcFace (ours, exact) / softmax: {median[2] / median[0]:F3}; naive / softmax: {median[1] / median[0]:F3}");
        foreach (var (_, head) in heads) head.Dispose();
        return 0;
    }

    /// <summary>Milliseconds per forward + backward step, averaged over <paramref name="steps"/>.</summary>
    static double Time(FaceHead head, Tensor x, Tensor y, int steps, bool cuda)
    {
        if (cuda) torch.cuda.synchronize();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            head.zero_grad();
            x.grad?.zero_();
            head.forward(x, y).Loss.backward();
        }
        if (cuda) torch.cuda.synchronize();
        return watch.Elapsed.TotalMilliseconds / steps;
    }

    /// <summary>The straightforward ArcFace head the issue measured at 1.75× softmax: full-matrix clamp, one-hot, × s.</summary>
    sealed class NaiveArcFace : FaceHead
    {
        readonly Parameter weight;
        readonly double scale, margin;

        public NaiveArcFace(int classes, int embeddingSize, double scale, double margin) : base(nameof(NaiveArcFace))
        {
            (Classes, EmbeddingSize, this.scale, this.margin) = (classes, embeddingSize, scale, margin);
            weight = new Parameter(nn.init.normal_(empty(classes, embeddingSize), 0, 0.01));
            RegisterComponents();
        }

        public override int Classes { get; }
        public override int EmbeddingSize { get; }

        public override HeadOutput forward(Tensor embeddings, Tensor labels)
        {
            var cos = nn.functional.linear(nn.functional.normalize(embeddings, dim: 1), nn.functional.normalize(weight, dim: 1))
                .clamp(-1 + 1e-7, 1 - 1e-7);
            var target = cos.gather(1, labels.unsqueeze(1));
            var withMargin = (target.acos() + margin).cos();
            var oneHot = zeros_like(cos).scatter_(1, labels.unsqueeze(1), ones_like(target));
            var logits = (cos + oneHot * (withMargin - target)) * scale;
            return new HeadOutput(nn.functional.cross_entropy(logits, labels), logits, labels, target.squeeze(1).detach());
        }
    }
}
