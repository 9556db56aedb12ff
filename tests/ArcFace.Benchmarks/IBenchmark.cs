using ArcFace.Runtime;

namespace ArcFace.Benchmarks;

/// <summary>One benchmark command. Implementations are found by reflection; each prints its own table.</summary>
public interface IBenchmark
{
    /// <summary>The command name, e.g. "heads".</summary>
    string Name { get; }

    /// <summary>One line for the usage text.</summary>
    string Description { get; }

    /// <summary>Runs with the loaded runtime and the remaining command-line arguments; returns the exit code.</summary>
    int Run(Settings settings, RuntimeInfo runtime, string[] args);
}
