#!/usr/bin/env -S dotnet run
// A quick hypothesis test as a .NET 10 file-based app: `dotnet run notebooks/experiment.cs` (from the repository root).
// It references the library like a notebook does, without the notebook host. Question: how far does the ArcFace
// additive angular margin push the target logit down, compared with CosFace's additive cosine margin, across angles?
#:project ../lib/ArcFace/ArcFace.csproj
#:property UsesTorch=true

using ArcFace.Runtime;
using TorchSharp;
using static TorchSharp.torch;

var settings = Settings.Load();
var runtime = TorchRuntime.Initialize(settings);
Console.WriteLine($"libtorch on {runtime.Device.type}, {runtime.Threads} threads, profile {settings.Profile.Name}");

const double s = 64, arcMargin = 0.5, cosMargin = 0.35;
var theta = torch.linspace(0, Math.PI / 2, 7, dtype: float64);
var arcface = s * torch.cos(theta + arcMargin);       // cos(θ + m)
var cosface = s * (torch.cos(theta) - cosMargin);     // cos θ − m
var plain = s * torch.cos(theta);
Console.WriteLine("θ (deg)   plain    ArcFace  CosFace");
for (int i = 0; i < theta.shape[0]; i++)
    Console.WriteLine($"{theta[i].item<double>() * 180 / Math.PI,7:F1}  {plain[i].item<double>(),7:F2}  {arcface[i].item<double>(),7:F2}  {cosface[i].item<double>(),7:F2}");
