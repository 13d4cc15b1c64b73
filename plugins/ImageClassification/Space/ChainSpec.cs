namespace SemiNas.ImageClassification;

/// <summary>One searchable layer of the chain: its input and output channels, stride and the spatial size it reads.</summary>
public readonly record struct LayerSlot(int Index, int Stage, int InChannels, int OutChannels, int Stride, bool IsStageFirst);

/// <summary>
/// The MobileNetV2/ProxylessNAS chain with concrete widths: stem conv3x3 (stride 2, or 1 for small inputs) from the
/// data set's channels, a fixed MBConv k3 e1, the searchable layers stage by stage, a 1x1 head, pooling, dropout and a
/// linear classifier.
/// </summary>
public sealed class ChainSpec
{
    public ChainSpec(int resolution, int classes, int stem, int firstBlock, IReadOnlyList<(int Width, int Layers, int Stride)> stages,
        int head, double dropout, IReadOnlyList<OperationSpec> operations, int inputChannels = 3, int stemStride = 2)
    {
        InChannels = inputChannels;
        StemStride = stemStride;
        Resolution = resolution;
        Classes = classes;
        Stem = stem;
        FirstBlock = firstBlock;
        Head = head;
        Dropout = dropout;
        Operations = operations;
        Stages = stages;
        var slots = new List<LayerSlot>();
        var inChannels = firstBlock;
        for (var s = 0; s < stages.Count; s++)
        {
            for (var l = 0; l < stages[s].Layers; l++)
            {
                slots.Add(new LayerSlot(slots.Count, s, inChannels, stages[s].Width, l == 0 ? stages[s].Stride : 1, l == 0));
                inChannels = stages[s].Width;
            }
        }
        Layers = slots;
        ZeroToken = operations.Select((o, i) => (o, i)).Where(p => p.o.IsZero).Select(p => p.i + 1).DefaultIfEmpty(0).First();
    }

    /// <summary>The chain the options describe, widths scaled by <paramref name="widthMultiplier"/>.</summary>
    /// <param name="inChannels">The data set's channels (3 for RGB, 1 for grey), the stem's input.</param>
    public static ChainSpec From(SpaceOptions options, double? widthMultiplier = null, int? resolution = null, double? dropout = null,
        int inChannels = 3)
    {
        var m = widthMultiplier ?? options.WidthMultiplier;
        return new ChainSpec(
            resolution ?? options.Resolution, options.Classes, Scale(options.Stem, m), Scale(options.FirstBlock, m),
            options.Stages.Select(s => (Scale(s.Width, m), s.Layers, s.Stride)).ToList(),
            Scale(options.Head, m), dropout ?? options.Dropout, options.Operations.Select(OperationSpec.Parse).ToList(),
            inChannels, options.StemStride);
    }

    /// <summary>
    /// MobileNetV2's rounding of scaled widths: nearest multiple of 8, never below 90% of the exact value. With 1.35 it
    /// maps the search widths 32/16/24,40,80,96,192,320/1280 onto the paper's final 40/24/32,56,112,128,256,432/1728.
    /// A multiplier of exactly 1 keeps the configured widths, whatever they are.
    /// </summary>
    public static int Scale(int width, double multiplier)
    {
        if (multiplier == 1.0) return width;
        var exact = width * multiplier;
        var rounded = Math.Max(8, (int)(exact + 4) / 8 * 8);
        if (rounded < 0.9 * exact) rounded += 8;
        return rounded;
    }

    /// <summary>Channels of the input images: 3 (RGB) or 1 (grey).</summary>
    public int InChannels { get; }

    /// <summary>Stride of the stem convolution (2 in MobileNetV2).</summary>
    public int StemStride { get; }

    public int Resolution { get; }
    public int Classes { get; }
    public int Stem { get; }
    public int FirstBlock { get; }
    public int Head { get; }
    public double Dropout { get; }
    public IReadOnlyList<(int Width, int Layers, int Stride)> Stages { get; }
    public IReadOnlyList<OperationSpec> Operations { get; }
    public IReadOnlyList<LayerSlot> Layers { get; }

    /// <summary>The token of the zero operation, 0 when the space has none.</summary>
    public int ZeroToken { get; }

    public OperationSpec Operation(int token) => Operations[token - 1];

    /// <summary>Spatial size after a convolution with this kernel and stride and padding kernel/2.</summary>
    public static int OutputSize(int size, int kernel, int stride) => (size + 2 * (kernel / 2) - kernel) / stride + 1;

    /// <summary>MBConv hidden width: round(cin·e), as the reference code does (Python's round: half to even).</summary>
    public static int Hidden(int inChannels, int expansion) => (int)Math.Round((double)inChannels * expansion, MidpointRounding.ToEven);
}
