using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ArcFace.Backbones;

/// <summary>
/// arcface_torch's MobileFaceNet ("mbf", <c>backbones/mobilefacenet.py</c>): a stride-2 stem, depthwise bottleneck
/// stages, a 1×1 conv to 512 channels and the GDC head (a depthwise conv over the whole map → Linear → BN1d). Module
/// names follow arcface_torch (<c>layers.N…</c>, <c>conv_sep</c>, <c>features.layers…</c>).
/// </summary>
public sealed class MobileFaceNet : Module<Tensor, Tensor>
{
    readonly ModuleList<Module<Tensor, Tensor>> layers;
    readonly Sequential conv_sep;
    readonly Sequential features;

    /// <summary>Embedding dimension of the output.</summary>
    public int EmbeddingSize { get; }

    MobileFaceNet(int embeddingSize, int inputSize, int[] blocks, int scale) : base(nameof(MobileFaceNet))
    {
        EmbeddingSize = embeddingSize;
        int c64 = 64 * scale, c128 = 128 * scale;
        layers = ModuleList<Module<Tensor, Tensor>>(
            ConvBlock(3, c64, 3, 2, 1),
            blocks[0] == 1 ? ConvBlock(c64, c64, 3, 1, 1, groups: 64) : Residual(c64, blocks[0], 128),
            DepthWise(c64, c64, false, 2, 128),
            Residual(c64, blocks[1], 128),
            DepthWise(c64, c128, false, 2, 256),
            Residual(c128, blocks[2], 256),
            DepthWise(c128, c128, false, 2, 512),
            Residual(c128, blocks[3], 256));
        conv_sep = ConvBlock(c128, 512, 1, 1, 0);
        int side = inputSize;
        for (int i = 0; i < 4; i++) side = (side + 1) / 2;
        // GDC: a depthwise conv as large as the map replaces global average pooling.
        features = Sequential(("layers", Sequential(LinearBlock(512, 512, side, 1, 0, groups: 512), Flatten(), Linear(512, embeddingSize, hasBias: false), BatchNorm1d(embeddingSize))));
        RegisterComponents();

        using (no_grad())
        {
            foreach (var (_, m) in named_modules())
            {
                if (m is Conv2d conv) init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                else if (m is Linear lin) init.kaiming_normal_(lin.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                else if (m is BatchNorm2d bn) { init.ones_(bn.weight); init.zeros_(bn.bias); }
            }
        }
    }

    /// <summary>
    /// Builds arcface_torch's "mbf" (<paramref name="scale"/> 2, blocks 1-4-6-2); "mbf_large" is scale 4 with blocks
    /// 2-8-12-4. <paramref name="inputSize"/> sets the GDC kernel (7 at 112).
    /// </summary>
    public static MobileFaceNet Create(int embeddingSize = 512, int inputSize = 112, int scale = 2, int[]? blocks = null)
    {
        blocks ??= [1, 4, 6, 2];
        if (blocks.Length != 4 || blocks.Any(b => b < 1)) throw new ArgumentException($"MobileFaceNet blocks must be four counts ≥ 1, got [{string.Join(", ", blocks)}].", nameof(blocks));
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be at least 1.");
        if (embeddingSize < 1) throw new ArgumentOutOfRangeException(nameof(embeddingSize), embeddingSize, "The embedding size must be at least 1.");
        if (inputSize < 16) throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, "The input size must be at least 16.");
        return new MobileFaceNet(embeddingSize, inputSize, blocks, scale);
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var layer in layers) x = layer.call(x);
        return features.call(conv_sep.call(x));
    }

    static Sequential ConvBlock(long inC, long outC, long kernel, long stride, long padding, long groups = 1) => Sequential(
        ("layers", Sequential(Conv2d(inC, outC, kernel, stride: stride, padding: padding, groups: groups, bias: false), BatchNorm2d(outC), PReLU(outC))));

    static Sequential LinearBlock(long inC, long outC, long kernel, long stride, long padding, long groups = 1) => Sequential(
        ("layers", Sequential(Conv2d(inC, outC, kernel, stride: stride, padding: padding, groups: groups, bias: false), BatchNorm2d(outC))));

    static Module<Tensor, Tensor> DepthWise(long inC, long outC, bool residual, long stride, long groups) =>
        new DepthWiseUnit(Sequential(ConvBlock(inC, groups, 1, 1, 0), ConvBlock(groups, groups, 3, stride, 1, groups), LinearBlock(groups, outC, 1, 1, 0)), residual);

    static Sequential Residual(long c, int count, long groups) =>
        Sequential(("layers", Sequential(Enumerable.Range(0, count).Select(_ => DepthWise(c, c, true, 1, groups)).ToArray())));

    /// <summary>1×1 expand → depthwise 3×3 → 1×1 linear, with an identity shortcut inside residual stages.</summary>
    sealed class DepthWiseUnit : Module<Tensor, Tensor>
    {
        readonly Sequential layers;
        readonly bool residual;

        public DepthWiseUnit(Sequential layers, bool residual) : base("DepthWise")
        {
            this.layers = layers;
            this.residual = residual;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => residual ? x + layers.call(x) : layers.call(x);
    }
}
