using SemiNas.Optim;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Training;

/// <summary>
/// The paper's optimiser: SGD with Nesterov momentum, weight decay on convolution and linear weights only (not on
/// batch-norm or biases), label-smoothed cross-entropy, and a per-step cosine or step learning-rate schedule.
/// The parameters may come in groups of which a step updates only some: a supernet step updates the shared layers
/// and the operations of its path, and leaves the others (and their momentum) alone, as PyTorch does for parameters
/// without a gradient. That also keeps a step's cost that of one path, not of the whole supernet.
/// </summary>
internal sealed class SgdTrainer : IDisposable
{
    private readonly OptimizerOptions _options;
    private readonly long _totalSteps;
    private readonly MomentumSgd[] _optimizers;
    private readonly Parameter[][] _decayed;
    private readonly Scalar _weightDecay;

    public SgdTrainer(nn.Module model, OptimizerOptions options, long totalSteps)
        : this([model.parameters()], options, totalSteps)
    {
    }

    public SgdTrainer(IReadOnlyList<IEnumerable<Parameter>> groups, OptimizerOptions options, long totalSteps)
    {
        _options = options;
        _totalSteps = Math.Max(1, totalSteps);
        var parameters = groups.Select(g => g.ToArray()).ToArray();
        // Weight decay by hand, on the tensors that are weights of a convolution or a linear layer (dimension > 1):
        // the reference excludes batch-norm from it, which one SGD weight_decay for all parameters cannot do.
        _decayed = parameters.Select(g => g.Where(p => p.dim() > 1).ToArray()).ToArray();
        _weightDecay = options.WeightDecay.ToScalar();
        _optimizers = parameters.Select(g => new MomentumSgd(g, options.LearningRate, options.Momentum, nesterov: options.Momentum > 0)).ToArray();
    }

    /// <summary>Steps taken so far (the schedule's position).</summary>
    public long Step { get; set; }

    /// <summary>The groups the next steps update; null for all.</summary>
    public IReadOnlyList<int>? ActiveGroups { get; set; }

    public double LearningRate => RateAt(Step);

    /// <summary>Images of the last step's batch whose top-1 prediction was right.</summary>
    public long LastCorrect { get; private set; }

    /// <summary>
    /// The steps one cosine period spans; by default the whole training. The supernet sets one period per round,
    /// while its step schedule runs on across rounds, as in the reference.
    /// </summary>
    public (long Start, long Length)? CosineWindow { get; set; }

    public double RateAt(long step)
    {
        if (_options.Schedule == LearningRateSchedule.Step)
            return _options.LearningRate * Math.Pow(_options.Gamma, step / _options.StepEvery);
        var (start, length) = CosineWindow ?? (0, _totalSteps);
        var t = Math.Clamp(step - start, 0, Math.Max(1, length));
        return _options.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * t / Math.Max(1, length)));
    }

    /// <summary>One update on a batch; returns the batch's mean loss.</summary>
    public double TrainStep(Func<Tensor, Tensor> forward, Tensor inputs, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var active = ActiveGroups ?? Enumerable.Range(0, _optimizers.Length).ToArray();
        var rate = LearningRate;
        foreach (var g in active)
        {
            _optimizers[g].LearningRate = rate;
            _optimizers[g].ZeroGrad();
        }
        var logits = forward(inputs);
        var loss = nn.functional.cross_entropy(logits, labels, label_smoothing: _options.LabelSmoothing);
        loss.backward();
        using (no_grad())
        {
            foreach (var g in active)
            {
                if (_options.WeightDecay > 0)
                    foreach (var p in _decayed[g])
                        if (p.grad is { } grad) grad.add_(p, _weightDecay);
                _optimizers[g].Step();
            }
        }
        Step++;
        using (no_grad())
            LastCorrect = logits.argmax(1).eq(labels).sum().item<long>();
        var value = loss.item<float>();
        if (!float.IsFinite(value)) throw new InvalidOperationException($"The training loss is {value} at step {Step}: the model diverged (lower the learning rate).");
        return value;
    }

    public void SaveOptimizer(string file)
    {
        using var stream = File.Create(file);
        using var writer = new BinaryWriter(stream);
        writer.Write(_optimizers.Length);
        foreach (var optimizer in _optimizers) optimizer.Save(writer);
    }

    public void LoadOptimizer(string file)
    {
        using var stream = File.OpenRead(file);
        using var reader = new BinaryReader(stream);
        var count = reader.ReadInt32();
        if (count != _optimizers.Length)
            throw new InvalidDataException($"{file}: optimiser state for {count} parameter groups, expected {_optimizers.Length}.");
        foreach (var optimizer in _optimizers) optimizer.Load(reader);
    }

    public void Dispose()
    {
        foreach (var optimizer in _optimizers) optimizer.Dispose();
        _weightDecay.Dispose();
    }
}
