using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ArcFace.Backbones;

/// <summary>Parameter and multiply–accumulate counts, as insightface reports them (its "FLOPs" column is MACs).</summary>
public static class ModelStats
{
    /// <summary>Number of parameters, trainable or not (the frozen embedding-BN γ included, as PyTorch counts).</summary>
    public static long Parameters(Module m) => m.parameters().Sum(p => p.numel());

    /// <summary>
    /// Multiply–accumulates of one forward pass on a 1 × 3 × <paramref name="inputSize"/>² image, counted as ptflops
    /// does for arcface_torch's <c>flops.py</c>: convolutions and linear layers (with their biases), batch norm
    /// (2 per element) and PReLU (1 per element).
    /// </summary>
    public static long Macs(Module<Tensor, Tensor> m, int inputSize)
    {
        long macs = 0;
        var removers = new List<Action>();
        foreach (var (_, module) in m.named_modules())
        {
            if (module is not Module<Tensor, Tensor> leaf) continue;
            Func<Tensor, Tensor, long>? count = leaf switch
            {
                Conv2d c => (_, y) => y.numel() / y.shape[0] * (c.weight!.shape[1] * c.weight.shape[2] * c.weight.shape[3] + (c.bias is null ? 0 : 1)),
                Linear l => (_, y) => y.numel() / y.shape[0] * (l.weight!.shape[1] + (l.bias is null ? 0 : 1)),
                TorchSharp.Modules.BatchNorm2d or TorchSharp.Modules.BatchNorm1d => (_, y) => 2 * y.numel() / y.shape[0],
                TorchSharp.Modules.PReLU => (_, y) => y.numel() / y.shape[0],
                _ => null,
            };
            if (count is null) continue;
            removers.Add(leaf.register_forward_hook((_, x, y) => { macs += count(x, y); return y; }).remove);
        }
        bool training = m.training;
        try
        {
            m.eval();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var device = m.parameters().First().device;
            m.call(zeros(1, 3, inputSize, inputSize, device: device));
        }
        finally
        {
            foreach (var remove in removers) remove();
            m.train(training);
        }
        return macs;
    }
}
