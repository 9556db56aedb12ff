using ArcFace.Runtime;
using static TorchSharp.torch;

namespace ArcFace.Backbones;

/// <summary>Builds the backbone a run profile names.</summary>
public static class Backbone
{
    /// <summary>
    /// The profile's backbone: an IResNet depth (r18 … r200) with its width multiplier and output setting, or "mbf"
    /// (MobileFaceNet), at the profile's input and embedding sizes.
    /// </summary>
    public static nn.Module<Tensor, Tensor> Create(RunProfile profile) => profile.Backbone switch
    {
        "mbf" => MobileFaceNet.Create(profile.EmbeddingSize, profile.InputSize),
        var depth when IResNet.Depths.ContainsKey(depth) => IResNet.Create(depth, profile.EmbeddingSize, profile.InputSize, profile.WidthMultiplier, profile.Output),
        var other => throw new ArgumentException(
            $"Run profile backbone '{other}' is unknown; expected one of {string.Join(", ", IResNet.Depths.Keys)}, mbf.", nameof(profile)),
    };
}
