using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ArcFace.Backbones;

/// <summary>
/// How the 512 × 7 × 7 feature map becomes the embedding (the paper's §3.1 / v1 comparison).
/// A: global pooling; B: GP → FC; C: GP → FC → BN; D: GP → FC → BN → PReLU; E: BN → Dropout → FC → BN (the default).
/// </summary>
public enum OutputSetting { A, B, C, D, E }

/// <summary>
/// The "IR" unit of insightface: BN → conv3×3 → BN → PReLU → conv3×3(stride) → BN, plus the shortcut, with no
/// activation after the add. Field names match arcface_torch's <c>IBasicBlock</c>.
/// </summary>
public sealed class IBasicBlock : Module<Tensor, Tensor>
{
    readonly BatchNorm2d bn1, bn2, bn3;
    readonly Conv2d conv1, conv2;
    readonly PReLU prelu;
    readonly Sequential? downsample;

    public IBasicBlock(long inplanes, long planes, long stride) : base(nameof(IBasicBlock))
    {
        bn1 = BatchNorm2d(inplanes, eps: 1e-5);
        conv1 = Conv2d(inplanes, planes, 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes, eps: 1e-5);
        prelu = PReLU(planes);
        conv2 = Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false);
        bn3 = BatchNorm2d(planes, eps: 1e-5);
        if (stride != 1 || inplanes != planes)
            downsample = Sequential(Conv2d(inplanes, planes, 1, stride: stride, bias: false), BatchNorm2d(planes, eps: 1e-5));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var output = bn3.call(conv2.call(prelu.call(bn2.call(conv1.call(bn1.call(x))))));
        return output.add_(downsample is null ? x : downsample.call(x));
    }
}

/// <summary>
/// insightface's IResNet (arcface_torch <c>backbones/iresnet.py</c>): stem conv3×3/1 → BN → PReLU without max-pool,
/// four stages of IR units (widths 64/128/256/512, first unit stride 2) and an output setting. Parameter names match
/// arcface_torch's, so a released <c>state_dict</c> loads without renaming (<see cref="Checkpoints"/>).
/// </summary>
public sealed class IResNet : Module<Tensor, Tensor>
{
    /// <summary>Units per stage for each depth name.</summary>
    public static IReadOnlyDictionary<string, int[]> Depths { get; } = new Dictionary<string, int[]>
    {
        ["r18"] = [2, 2, 2, 2], ["r34"] = [3, 4, 6, 3], ["r50"] = [3, 4, 14, 3],
        ["r100"] = [3, 13, 30, 3], ["r200"] = [6, 26, 60, 6],
    };

    readonly Conv2d conv1;
    readonly BatchNorm2d bn1, bn2;
    readonly PReLU prelu;
    readonly Sequential layer1, layer2, layer3, layer4;
    readonly Dropout? dropout;
    readonly Linear? fc;
    readonly BatchNorm1d? features;
    readonly PReLU? features_prelu;

    /// <summary>Embedding dimension of the output.</summary>
    public int EmbeddingSize { get; }

    /// <summary>The output setting.</summary>
    public OutputSetting Output { get; }

    IResNet(int[] units, int embeddingSize, int inputSize, double widthMultiplier, OutputSetting output, double dropoutRate)
        : base(nameof(IResNet))
    {
        long width(int w) => Math.Max(1, (long)Math.Round(w * widthMultiplier));
        long inplanes = width(64);
        conv1 = Conv2d(3, inplanes, 3, padding: 1, bias: false);
        bn1 = BatchNorm2d(inplanes, eps: 1e-5);
        prelu = PReLU(inplanes);
        Sequential stage(int planes, int count)
        {
            long p = width(planes);
            var blocks = Enumerable.Range(0, count).Select(i => (Module<Tensor, Tensor>)new IBasicBlock(i == 0 ? inplanes : p, p, i == 0 ? 2 : 1)).ToArray();
            inplanes = p;
            return Sequential(blocks);
        }
        layer1 = stage(64, units[0]);
        layer2 = stage(128, units[1]);
        layer3 = stage(256, units[2]);
        layer4 = stage(512, units[3]);
        bn2 = BatchNorm2d(inplanes, eps: 1e-5);
        int side = inputSize;
        for (int i = 0; i < 4; i++) side = (side + 1) / 2;   // each stage's stride-2 conv (padding 1) rounds up

        Output = output;
        EmbeddingSize = output == OutputSetting.A ? (int)inplanes : embeddingSize;
        if (output == OutputSetting.E)
        {
            dropout = Dropout(dropoutRate);
            fc = Linear(inplanes * side * side, embeddingSize);
        }
        else if (output != OutputSetting.A) fc = Linear(inplanes, embeddingSize);
        if (output is OutputSetting.C or OutputSetting.D or OutputSetting.E) features = BatchNorm1d(embeddingSize, eps: 1e-5);
        if (output == OutputSetting.D) features_prelu = PReLU(embeddingSize);
        RegisterComponents();

        using (no_grad())
        {
            foreach (var (_, m) in named_modules())
            {
                if (m is Conv2d conv) init.normal_(conv.weight, 0, 0.1);
                else if (m is BatchNorm2d bn) { init.ones_(bn.weight); init.zeros_(bn.bias); }
            }
            if (output == OutputSetting.E)
            {
                // The embedding BN's γ stays at 1 (insightface #1654): scale is left to the loss.
                init.ones_(features!.weight);
                features.weight!.requires_grad = false;
            }
        }
    }

    /// <summary>
    /// Builds an IResNet. <paramref name="depth"/>: r18, r34, r50, r100 or r200. <paramref name="inputSize"/>: face crop
    /// side (112 in the paper). <paramref name="widthMultiplier"/> scales every channel count (1 = the paper).
    /// <paramref name="dropout"/> is used by output setting E only (0 in arcface_torch, 0.4 in the MXNet code).
    /// </summary>
    public static IResNet Create(string depth, int embeddingSize = 512, int inputSize = 112, double widthMultiplier = 1.0,
        OutputSetting output = OutputSetting.E, double dropout = 0.0)
    {
        if (!Depths.TryGetValue(depth, out var units))
            throw new ArgumentException($"IResNet depth '{depth}' is unknown; expected one of {string.Join(", ", Depths.Keys)}.", nameof(depth));
        if (embeddingSize < 1) throw new ArgumentOutOfRangeException(nameof(embeddingSize), embeddingSize, "The embedding size must be at least 1.");
        if (inputSize < 16) throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, "The input size must be at least 16 (four stride-2 stages).");
        if (widthMultiplier <= 0 || widthMultiplier > 8) throw new ArgumentOutOfRangeException(nameof(widthMultiplier), widthMultiplier, "The width multiplier must be in (0, 8].");
        if (dropout < 0 || dropout >= 1) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "The dropout rate must be in [0, 1).");
        return new IResNet(units, embeddingSize, inputSize, widthMultiplier, output, dropout);
    }

    public override Tensor forward(Tensor x)
    {
        x = prelu.call(bn1.call(conv1.call(x)));
        x = bn2.call(layer4.call(layer3.call(layer2.call(layer1.call(x)))));
        if (Output == OutputSetting.E) x = dropout!.call(x.flatten(1));
        else x = x.mean([2, 3]);
        if (fc is not null) x = fc.call(x);
        if (features is not null) x = features.call(x);
        if (features_prelu is not null) x = features_prelu.call(x);
        return x;
    }
}
