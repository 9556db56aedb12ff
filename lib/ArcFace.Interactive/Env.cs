using ArcFace.Data;
using ArcFace.Runtime;

namespace ArcFace.Interactive;

/// <summary>
/// What a notebook's first cell asks for: the settings (environment.json, ARCFACE_* overrides; the runner sets
/// ARCFACE_PROFILE and ARCFACE_OUTPUT from its options) with libtorch loaded for them.
/// </summary>
public static class Env
{
    /// <summary>
    /// Loads the settings, initialises libtorch (device, threads) for them (later calls reuse the runtime) and keeps
    /// rendered SynthFaces sets under the output folder (<see cref="SynthFaces.CacheFolder"/>).
    /// </summary>
    public static Settings Load(string? path = null)
    {
        var settings = Settings.Load(path);
        TorchRuntime.Initialize(settings);
        SynthFaces.CacheFolder = Path.Combine(settings.Output, "cache", "synthfaces");
        return settings;
    }

    /// <summary>What libtorch runs on, once <see cref="Load"/> has run.</summary>
    public static RuntimeInfo Runtime => TorchRuntime.Initialize(Settings.Load());
}
