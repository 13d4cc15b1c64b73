using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiNas.Optim;

/// <summary>
/// Adam with coupled L2 weight decay (<c>torch.optim.Adam(weight_decay=…)</c>), the same arithmetic in the same order
/// as TorchSharp's <c>optim.Adam</c>, so it gives bit-identical weights (tested); without weight decay it is also
/// TorchSharp's <c>optim.AdamW(weight_decay: 0)</c>.
/// Why not TorchSharp's: its step passes temporary <see cref="Scalar"/>s (from <c>alpha: 1 - beta1</c> and the like)
/// to native calls without keeping them alive, so a garbage collection on another thread can finalize one while
/// libtorch reads it (TorchSharp PRs 1434/1496). Long benchmark runs died of it about once an hour per process
/// (SIGSEGV, or "Expected false to be true" from <c>Scalar::toFloat</c> in <c>add_</c>). Here every scalar is held
/// until its call returns. As TorchSharp's, it counts steps per parameter: one without a gradient (an operation of a
/// supernet that the step's path does not use) is skipped, and its bias correction starts at its first gradient.
/// </summary>
public sealed class CoupledAdam : IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _expAvg;
    private readonly Tensor[] _expAvgSq;
    private readonly double _beta1;
    private readonly double _beta2;
    private readonly bool _decays;
    private readonly Scalar _weightDecay;
    private readonly Scalar _beta1Scalar;
    private readonly Scalar _beta2Scalar;
    private readonly Scalar _oneMinusBeta1;
    private readonly Scalar _oneMinusBeta2;
    private readonly Scalar _epsilon;
    private readonly long[] _steps;

    public CoupledAdam(IReadOnlyList<Parameter> parameters, double learningRate, double weightDecay,
        double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        _parameters = [.. parameters];
        _expAvg = _parameters.Select(p => torch.zeros_like(p).DetachFromDisposeScope()).ToArray();
        _expAvgSq = _parameters.Select(p => torch.zeros_like(p).DetachFromDisposeScope()).ToArray();
        _steps = new long[_parameters.Length];
        (LearningRate, _beta1, _beta2, _decays) = (learningRate, beta1, beta2, weightDecay != 0);
        _weightDecay = weightDecay.ToScalar();
        _beta1Scalar = beta1.ToScalar();
        _beta2Scalar = beta2.ToScalar();
        _oneMinusBeta1 = (1 - beta1).ToScalar();
        _oneMinusBeta2 = (1 - beta2).ToScalar();
        _epsilon = epsilon.ToScalar();
    }

    /// <summary>The rate of the next steps; a schedule sets it before each.</summary>
    public double LearningRate { get; set; }

    public void ZeroGrad() => Gradients.Zero(_parameters);

    public void Step()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        // The bias corrections of a step count, kept while consecutive parameters share it (the usual case).
        Scalar? gradientScale = null, stepSize = null;
        long correctionsFor = 0;
        try
        {
            for (var i = 0; i < _parameters.Length; i++)
            {
                var parameter = _parameters[i];
                var grad = parameter.grad;
                if (grad is null) continue;
                var step = ++_steps[i];
                if (step != correctionsFor)
                {
                    gradientScale?.Dispose();
                    stepSize?.Dispose();
                    gradientScale = Math.Sqrt(1 - Math.Pow(_beta2, step)).ToScalar();
                    stepSize = (-(LearningRate / (1 - Math.Pow(_beta1, step)))).ToScalar();
                    correctionsFor = step;
                }
                if (_decays) grad = grad.add(parameter, _weightDecay);
                _expAvg[i].mul_(_beta1Scalar).add_(grad, _oneMinusBeta1);
                _expAvgSq[i].mul_(_beta2Scalar).addcmul_(grad, grad, _oneMinusBeta2);
                var denominator = _expAvgSq[i].sqrt().div_(gradientScale!).add_(_epsilon);
                parameter.addcdiv_(_expAvg[i], denominator, stepSize!);
            }
        }
        finally
        {
            gradientScale?.Dispose();
            stepSize?.Dispose();
        }
    }

    /// <summary>Writes the step counts and both moment estimates (not the settings: the caller rebuilds those).</summary>
    public void Save(BinaryWriter writer)
    {
        StateFormat.WriteHeader(writer, Kind, _parameters.Length);
        foreach (var step in _steps) writer.Write(step);
        foreach (var tensor in _expAvg.Concat(_expAvgSq)) tensor.Save(writer);
    }

    /// <summary>Restores what <see cref="Save"/> wrote, for the same parameters.</summary>
    public void Load(BinaryReader reader)
    {
        StateFormat.ReadHeader(reader, Kind, _parameters.Length);
        for (var i = 0; i < _steps.Length; i++) _steps[i] = reader.ReadInt64();
        foreach (var tensor in _expAvg.Concat(_expAvgSq)) tensor.Load(reader);
    }

    private const string Kind = "SemiNas.Optim.CoupledAdam/1";

    public void Dispose()
    {
        foreach (var tensor in _expAvg.Concat(_expAvgSq)) tensor.Dispose();
        foreach (var scalar in new[] { _weightDecay, _beta1Scalar, _beta2Scalar, _oneMinusBeta1, _oneMinusBeta2, _epsilon })
            scalar.Dispose();
    }
}
