using System.Diagnostics;
using ArcFace.Losses;
using ArcFace.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Notebooks;

/// <summary><c>doctor</c>: what this machine runs on, and a timed ArcFace-head forward+backward.</summary>
public static class Doctor
{
    public static int Run(Settings settings)
    {
        var info = TorchRuntime.Initialize(settings);
        Console.WriteLine($"backend          {info.Backend}{(info.LibTorchPackage is { } p ? $" ({p})" : "")}");
        Console.WriteLine($"libtorch folder  {info.LibTorchFolder ?? "(not found in the process maps)"}");
        Console.WriteLine($"libtorch version {info.LibTorchVersion ?? "unknown"}");
        Console.WriteLine($"cuda available   {(info.CudaAvailable ? "yes" : "no")}{(info.CudaDeviceName is { } n ? $" ({n})" : "")}");
        Console.WriteLine($"device           {info.Device.type.ToString().ToLowerInvariant()}");
        Console.WriteLine($"threads          {info.Threads}");
        Console.WriteLine($"settings         {settings.Source ?? "(built-in defaults)"}");
        Console.WriteLine($"  device policy  {settings.Device.ToString().ToLowerInvariant()}");
        Console.WriteLine($"  profile        {settings.Profile}");
        Console.WriteLine($"  seed           {settings.Seed}");
        Console.WriteLine($"  output         {settings.Output}");
        Console.WriteLine($"  data           {settings.Data}");
        var (ms, loss) = TimeHeadStep(info.Device);
        Console.WriteLine($"arcface head     fwd+bwd B=256 D=512 C=10000: {ms:F1} ms/step (loss {loss:F2})");
        return 0;
    }

    static (double Ms, double Loss) TimeHeadStep(Device device)
    {
        torch.manual_seed(0);
        using var head = new MarginHead(10_000, 512, Margin.ArcFace(0.5)).to(device);
        using var x = torch.randn(256, 512, device: device, requires_grad: true);
        using var y = torch.randint(0, 10_000, 256, device: device);
        double Step()
        {
            using var scope = torch.NewDisposeScope();
            var loss = head.call(x, y).Loss;
            loss.backward();
            return loss.item<float>();
        }
        Step(); // warm-up: first-call allocations and kernel selection stay out of the timing
        Step();
        var watch = Stopwatch.StartNew();
        const int steps = 5;
        double loss = 0;
        for (int i = 0; i < steps; i++) loss = Step();
        return (watch.Elapsed.TotalMilliseconds / steps, loss);
    }
}

