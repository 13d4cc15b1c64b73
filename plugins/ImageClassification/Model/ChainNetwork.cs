using SemiNas.Contracts;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Model;

/// <summary>The stem, first block and head that every network of the chain shares.</summary>
internal static class ChainParts
{
    public static Sequential Stem(ChainSpec chain) => nn.Sequential(
        ("conv", Blocks.Conv(chain.InChannels, chain.Stem, 3, stride: chain.StemStride)),
        ("bn", Blocks.BatchNorm(chain.Stem)),
        ("act", nn.ReLU6()),
        ("first", new MbConv(chain.Stem, chain.FirstBlock, 3, 1, 1)));

    public static Sequential Head(ChainSpec chain)
    {
        var last = chain.Layers.Count > 0 ? chain.Layers[^1].OutChannels : chain.FirstBlock;
        return nn.Sequential(
            ("conv", Blocks.Conv(last, chain.Head, 1)),
            ("bn", Blocks.BatchNorm(chain.Head)),
            ("act", nn.ReLU6()),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()),
            ("dropout", nn.Dropout(chain.Dropout)),
            ("classifier", Blocks.Classifier(chain.Head, chain.Classes)));
    }
}

/// <summary>One architecture of the chain as a stand-alone network (standalone evaluation and final training).</summary>
internal sealed class ChainNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Sequential stem;
    private readonly Sequential layers;
    private readonly Sequential head;

    public ChainNetwork(ChainSpec chain, Architecture architecture) : base(nameof(ChainNetwork))
    {
        stem = ChainParts.Stem(chain);
        var blocks = new List<(string, nn.Module<Tensor, Tensor>)>();
        foreach (var slot in chain.Layers)
        {
            var op = chain.Operation(architecture[slot.Index]);
            if (op.IsZero) continue;
            blocks.Add(($"layer{slot.Index}", new MbConv(slot.InChannels, slot.OutChannels, op.Kernel, op.Expansion, slot.Stride)));
        }
        layers = nn.Sequential(blocks);
        head = ChainParts.Head(chain);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => head.forward(layers.forward(stem.forward(x)));
}

/// <summary>
/// The weight-sharing supernet: every searchable layer holds one MBConv per candidate operation, each with its own
/// weights; a forward pass runs the single path an architecture picks (zero layers pass their input through).
/// </summary>
internal sealed class Supernet : nn.Module<Tensor, Tensor>
{
    private readonly Sequential stem;
    private readonly ModuleList<ModuleList<MbConv>> layers;
    private readonly Sequential head;
    private readonly ChainSpec _chain;
    private readonly int[] _candidateIndex;

    public Supernet(ChainSpec chain) : base(nameof(Supernet))
    {
        _chain = chain;
        // Token → position among the layer's modules; the zero operation has no module.
        _candidateIndex = new int[chain.Operations.Count + 1];
        var next = 0;
        for (var t = 1; t <= chain.Operations.Count; t++) _candidateIndex[t] = chain.Operation(t).IsZero ? -1 : next++;
        stem = ChainParts.Stem(chain);
        layers = new ModuleList<ModuleList<MbConv>>(chain.Layers.Select(slot => new ModuleList<MbConv>(
            chain.Operations.Where(op => !op.IsZero)
                .Select(op => new MbConv(slot.InChannels, slot.OutChannels, op.Kernel, op.Expansion, slot.Stride))
                .ToArray())).ToArray());
        head = ChainParts.Head(chain);
        RegisterComponents();
    }

    /// <summary>
    /// Parameter groups for <see cref="Training.SgdTrainer"/>: group 0 is the stem, first block and head, which every
    /// path uses; then one group per (layer, operation) module.
    /// </summary>
    public IReadOnlyList<IEnumerable<TorchSharp.Modules.Parameter>> ParameterGroups()
    {
        var groups = new List<IEnumerable<TorchSharp.Modules.Parameter>> { stem.parameters().Concat(head.parameters()).ToArray() };
        foreach (var layer in layers)
            foreach (var op in layer)
                groups.Add(op.parameters().ToArray());
        return groups;
    }

    /// <summary>The parameter groups (see <see cref="ParameterGroups"/>) that a path trains.</summary>
    public IReadOnlyList<int> GroupsOf(Architecture architecture)
    {
        var groups = new List<int> { 0 };
        var modules = _chain.Operations.Count(op => !op.IsZero);
        foreach (var slot in _chain.Layers)
        {
            var index = _candidateIndex[architecture[slot.Index]];
            if (index >= 0) groups.Add(1 + slot.Index * modules + index);
        }
        return groups;
    }

    /// <summary>
    /// Re-estimates the batch-norm statistics of a path from <paramref name="batches"/> (a cumulative average, as in
    /// single-path one-shot NAS). With few training steps per operation, the running statistics of a rarely drawn
    /// operation are still mostly their initial values, and scoring with them measures that rather than the path.
    /// </summary>
    public void Recalibrate(Architecture architecture, IEnumerable<Tensor> batches)
    {
        var norms = PathModules(architecture).SelectMany(m => m.modules()).OfType<BatchNorm2d>().ToList();
        foreach (var bn in norms)
        {
            bn.reset_running_stats();
            bn.momentum = null;
        }
        var wasTraining = training;
        train();
        using (torch.no_grad())
        {
            foreach (var batch in batches)
            {
                using var scope = torch.NewDisposeScope();
                using var inputs = batch;
                Forward(inputs, architecture);
            }
        }
        foreach (var bn in norms) bn.momentum = 0.1;
        train(wasTraining);
    }

    private IEnumerable<nn.Module> PathModules(Architecture architecture)
    {
        yield return stem;
        foreach (var slot in _chain.Layers)
        {
            var index = _candidateIndex[architecture[slot.Index]];
            if (index >= 0) yield return layers[slot.Index][index];
        }
        yield return head;
    }

    // A supernet needs a path: callers use Forward(x, architecture).
    public override Tensor forward(Tensor x) => throw new InvalidOperationException("The supernet runs one path: call Forward(x, architecture).");

    public Tensor Forward(Tensor x, Architecture architecture)
    {
        x = stem.forward(x);
        foreach (var slot in _chain.Layers)
        {
            var index = _candidateIndex[architecture[slot.Index]];
            if (index >= 0) x = layers[slot.Index][index].forward(x);
        }
        return head.forward(x);
    }
}
