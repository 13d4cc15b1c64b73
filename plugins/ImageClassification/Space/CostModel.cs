using SemiNas.Contracts;

namespace SemiNas.ImageClassification;

/// <summary>Multiply-adds and parameters of one architecture, computed from the chain alone.</summary>
public readonly record struct Cost(long MultiplyAdds, long Parameters);

/// <summary>
/// Exact costs without building a model, with the convention of the paper's numbers (seminas-method.md §6.5):
/// multiply-adds of convolutions and linear layers only (no batch-norm, activation or addition), parameters of
/// convolutions (no bias), batch-norm (scale and shift) and the linear layer (with bias). Zero layers cost nothing.
/// </summary>
public static class CostModel
{
    public static Cost Of(ChainSpec chain, Architecture architecture)
    {
        long macs = 0, parameters = 0;
        var size = ChainSpec.OutputSize(chain.Resolution, 3, chain.StemStride);
        // Stem: conv3x3 (stride 2, or 1) from the input channels + BN.
        macs += (long)chain.InChannels * chain.Stem * 9 * size * size;
        parameters += (long)chain.InChannels * chain.Stem * 9 + 2L * chain.Stem;
        // First block: MBConv k3 e1 without expansion: depthwise + BN, pointwise + BN.
        var first = MbConv(chain.Stem, chain.FirstBlock, 3, 1, 1, size);
        macs += first.MultiplyAdds;
        parameters += first.Parameters;

        foreach (var slot in chain.Layers)
        {
            var op = chain.Operation(architecture[slot.Index]);
            if (op.IsZero) continue;
            var layer = MbConv(slot.InChannels, slot.OutChannels, op.Kernel, op.Expansion, slot.Stride, size);
            macs += layer.MultiplyAdds;
            parameters += layer.Parameters;
            size = ChainSpec.OutputSize(size, op.Kernel, slot.Stride);
        }

        var last = chain.Layers.Count > 0 ? chain.Layers[^1].OutChannels : chain.FirstBlock;
        macs += (long)last * chain.Head * size * size;
        parameters += (long)last * chain.Head + 2L * chain.Head;
        macs += (long)chain.Head * chain.Classes;
        parameters += (long)chain.Head * chain.Classes + chain.Classes;
        return new Cost(macs, parameters);
    }

    /// <summary>An MBConv: 1x1 expansion (absent when e = 1), k×k depthwise with the stride, linear 1x1 projection.</summary>
    public static Cost MbConv(int inChannels, int outChannels, int kernel, int expansion, int stride, int inSize)
    {
        var hidden = ChainSpec.Hidden(inChannels, expansion);
        var outSize = ChainSpec.OutputSize(inSize, kernel, stride);
        long macs = 0, parameters = 0;
        if (expansion != 1)
        {
            macs += (long)inChannels * hidden * inSize * inSize;
            parameters += (long)inChannels * hidden + 2L * hidden;
        }
        macs += (long)hidden * kernel * kernel * outSize * outSize;
        parameters += (long)hidden * kernel * kernel + 2L * hidden;
        macs += (long)hidden * outChannels * outSize * outSize;
        parameters += (long)hidden * outChannels + 2L * outChannels;
        return new Cost(macs, parameters);
    }
}
