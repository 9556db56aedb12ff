using ArcFace.Benchmarks;
using ArcFace.Runtime;

var benchmarks = typeof(IBenchmark).Assembly.GetTypes()
    .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && !t.IsAbstract)
    .Select(t => (IBenchmark)Activator.CreateInstance(t)!).OrderBy(b => b.Name).ToList();
var chosen = benchmarks.FirstOrDefault(b => b.Name == args.FirstOrDefault());
if (chosen is null)
{
    Console.Error.WriteLine("usage: ArcFace.Benchmarks <name> [args]");
    foreach (var b in benchmarks) Console.Error.WriteLine($"  {b.Name,-14} {b.Description}");
    return 2;
}
var settings = Settings.Load();
var runtime = TorchRuntime.Initialize(settings);
Console.WriteLine($"# {chosen.Name} on {runtime.Device.type} ({runtime.Threads} threads, {Environment.ProcessorCount} cores, libtorch {runtime.LibTorchVersion}{(runtime.CudaDeviceName is { } n ? ", " + n : "")})");
return chosen.Run(settings, runtime, args[1..]);
