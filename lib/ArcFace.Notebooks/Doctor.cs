using System.Diagnostics;
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
        var head = HeadForDoctor.Create(10_000, 512, device);
        var x = torch.randn(256, 512, device: device, requires_grad: true);
        var y = torch.randint(0, 10_000, 256, device: device);
        double loss = 0;
        for (int i = 0; i < 2; i++) loss = HeadForDoctor.Step(head, x, y);
        var watch = Stopwatch.StartNew();
        const int steps = 5;
        for (int i = 0; i < steps; i++) loss = HeadForDoctor.Step(head, x, y);
        return (watch.Elapsed.TotalMilliseconds / steps, loss);
    }
}

// Stand-in until the Losses module lands: replaced by the library's ArcFace head.
static class HeadForDoctor
{
    public static Tensor Create(int classes, int dim, Device device) => (torch.randn(classes, dim, device: device) * 0.01).requires_grad_();

    public static double Step(Tensor w, Tensor x, Tensor y)
    {
        using var scope = torch.NewDisposeScope();
        var cos = nn.functional.normalize(x).matmul(nn.functional.normalize(w).t()).clamp(-1 + 1e-7, 1 - 1e-7);
        var target = cos.gather(1, y.unsqueeze(1));
        var logits = cos.scatter(1, y.unsqueeze(1), torch.cos(torch.acos(target) + 0.5)) * 64;
        var loss = nn.functional.cross_entropy(logits, y);
        loss.backward();
        return loss.item<float>();
    }
}
