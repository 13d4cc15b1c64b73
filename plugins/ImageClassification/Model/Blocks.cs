using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Model;

/// <summary>Layer constructors with the reference code's settings (seminas-method.md §6.1).</summary>
internal static class Blocks
{
    // The reference uses BN momentum 0.1 and eps 1e-3 throughout.
    public static BatchNorm2d BatchNorm(long channels) => nn.BatchNorm2d(channels, eps: 1e-3, momentum: 0.1);

    /// <summary>
    /// A bias-free convolution with padding k/2, initialised as the reference's "he_fout":
    /// N(0, sqrt(2 / (k²·cout/groups))).
    /// </summary>
    public static Conv2d Conv(long inChannels, long outChannels, long kernel, long stride = 1, long groups = 1)
    {
        var conv = nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: kernel / 2, groups: groups, bias: false);
        using var noGrad = torch.no_grad();
        nn.init.normal_(conv.weight!, 0, Math.Sqrt(2.0 / (kernel * kernel * outChannels / groups)));
        return conv;
    }

    /// <summary>The reference's classifier initialisation: uniform(±1/sqrt(fan_in)) weights and a zero bias.</summary>
    public static Linear Classifier(long inFeatures, long classes)
    {
        var linear = nn.Linear(inFeatures, classes);
        using var noGrad = torch.no_grad();
        var bound = 1.0 / Math.Sqrt(inFeatures);
        nn.init.uniform_(linear.weight!, -bound, bound);
        nn.init.zeros_(linear.bias!);
        return linear;
    }
}

/// <summary>
/// MBConv: 1x1 expansion + BN + ReLU6 (absent when the expansion is 1), k×k depthwise with the stride + BN + ReLU6,
/// linear 1x1 projection + BN; a residual when the shape is kept.
/// </summary>
internal sealed class MbConv : nn.Module<Tensor, Tensor>
{
    private readonly Sequential body;
    private readonly bool _residual;

    public MbConv(long inChannels, long outChannels, int kernel, int expansion, int stride) : base(nameof(MbConv))
    {
        var hidden = ChainSpec.Hidden((int)inChannels, expansion);
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        if (expansion != 1)
        {
            layers.Add(("expand", Blocks.Conv(inChannels, hidden, 1)));
            layers.Add(("expand_bn", Blocks.BatchNorm(hidden)));
            layers.Add(("expand_act", nn.ReLU6()));
        }
        layers.Add(("depthwise", Blocks.Conv(hidden, hidden, kernel, stride, groups: hidden)));
        layers.Add(("depthwise_bn", Blocks.BatchNorm(hidden)));
        layers.Add(("depthwise_act", nn.ReLU6()));
        layers.Add(("project", Blocks.Conv(hidden, outChannels, 1)));
        layers.Add(("project_bn", Blocks.BatchNorm(outChannels)));
        body = nn.Sequential(layers);
        _residual = stride == 1 && inChannels == outChannels;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => _residual ? body.forward(x).add(x) : body.forward(x);
}
