using ArcFace.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Tests.Evaluation;

/// <summary>An "embedding model" with a known answer: (sum of the left half of the pixels, sum of the right half). A
/// mirror swaps the two, so the flip-test sum is (L + R, L + R). Records whether it ran in training mode.</summary>
sealed class HalvesModel : nn.Module<Tensor, Tensor>
{
    readonly TorchSharp.Modules.Parameter scale = new(ones(1));
    public bool SawTrainingMode { get; private set; }

    public HalvesModel() : base(nameof(HalvesModel)) => RegisterComponents();

    public override Tensor forward(Tensor x)
    {
        SawTrainingMode |= training;
        long half = x.shape[3] / 2;
        var left = x.narrow(3, 0, half).sum([1, 2, 3]);
        var right = x.narrow(3, half, x.shape[3] - half).sum([1, 2, 3]);
        return stack([left, right], 1) * scale;
    }
}

/// <summary>A dataset over an in-memory image tensor.</summary>
sealed class TensorDataset(Tensor images) : IFaceDataset
{
    public int Count => (int)images.shape[0];
    public int Classes => 1;
    public int ImageSize => (int)images.shape[3];
    public int Label(int index) => 0;
    public Tensor Images(ReadOnlySpan<int> indices) => images.index_select(0, tensor(indices.ToArray().Select(i => (long)i).ToArray()));
}
