using ArcFace.Losses;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ArcFace.Training;

/// <summary>
/// Mixed precision by hand (TorchSharp has no autocast): with <see cref="Precision.BFloat16"/> the backbone holds
/// bf16 weights for the forward and backward pass while the optimizer updates fp32 master copies; embeddings are cast
/// to fp32 before the head, which stays fp32 (cosines and cross-entropy need the range). bf16 has fp32's exponent, so
/// no loss scaling is needed. With <see cref="Precision.Float32"/> every method is a pass-through.
/// </summary>
sealed class MixedPrecisionStep
{
    readonly nn.Module<Tensor, Tensor> backbone;
    readonly FaceHead head;
    readonly List<(string Name, Parameter Master)> masters = [];

    public MixedPrecisionStep(nn.Module<Tensor, Tensor> backbone, FaceHead head, Precision precision, Device device)
    {
        (this.backbone, this.head) = (backbone, head);
        if (device.type == DeviceType.CUDA)
        {
            // TF32 tensor cores for fp32 convolutions and matmuls, as PyTorch's cudnn default and arcface_torch runs.
            torch.backends.cuda.matmul.allow_tf32 = true;
            torch.backends.cudnn.allow_tf32 = true;
        }
        if (precision != Precision.BFloat16) return;
        using (no_grad())
        {
            foreach (var (name, p) in backbone.named_parameters().Where(p => p.parameter.requires_grad))
                masters.Add((name, new Parameter(p.detach().to(float32).clone())));
        }
        backbone.to(bfloat16);
    }

    /// <summary>The parameters the optimizer updates: the fp32 masters in place of the bf16 backbone weights.</summary>
    public List<Parameter> OptimizedParameters(IList<Parameter> modelParameters)
    {
        if (masters.Count == 0) return [.. modelParameters];
        var byHandle = backbone.named_parameters().ToDictionary(p => p.parameter.Handle, p => p.name);
        var byName = masters.ToDictionary(m => m.Name, m => m.Master);
        return [.. modelParameters.Select(p => byHandle.TryGetValue(p.Handle, out var name) && byName.TryGetValue(name, out var master) ? master : p)];
    }

    /// <summary>Backbone (in its precision), then the head in fp32.</summary>
    public HeadOutput Forward(Tensor images, Tensor labels) => masters.Count == 0
        ? head.call(backbone.call(images), labels)
        : head.call(backbone.call(images.to(bfloat16)).to(float32), labels);

    /// <summary>Zeroes the bf16 weights' gradients (the optimizer zeroes the masters').</summary>
    public void ZeroGrad() { if (masters.Count > 0) backbone.zero_grad(); }

    /// <summary>Copies the bf16 gradients into the fp32 masters.</summary>
    public void GradientsToMaster()
    {
        if (masters.Count == 0) return;
        var model = backbone.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, master) in masters)
            if (model[name].grad is { } g) master.grad = g.to(float32);
    }

    /// <summary>Rounds the updated masters into the bf16 weights.</summary>
    public void SyncFromMaster()
    {
        if (masters.Count == 0) return;
        using var _ = no_grad();
        var model = backbone.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, master) in masters) model[name].copy_(master);
    }

    /// <summary>Writes the masters (a bf16 checkpoint alone would lose their low bits).</summary>
    public void Write(BinaryWriter writer) { foreach (var (_, master) in masters) master.Save(writer); }

    /// <summary>Reads the masters written by <see cref="Write"/>.</summary>
    public void Read(BinaryReader reader) { foreach (var (_, master) in masters) master.Load(reader); }
}
