using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiNas.Optim;

/// <summary>
/// SGD with momentum, optionally Nesterov (<c>torch.optim.SGD(momentum=…, nesterov=…)</c>, no dampening and no
/// weight decay of its own): the same arithmetic in the same order as TorchSharp's <c>optim.SGD</c>, so it gives
/// bit-identical weights (tested), but with every scalar held while libtorch reads it (see <see cref="CoupledAdam"/>).
/// A parameter without a gradient is left alone, momentum included.
/// </summary>
public sealed class MomentumSgd : IDisposable
{
    private const string Kind = "SemiNas.Optim.MomentumSgd/1";
    private readonly Parameter[] _parameters;
    private readonly Tensor?[] _buffers;
    private readonly bool _hasMomentum;
    private readonly bool _nesterov;
    private readonly Scalar _momentum;
    // Held even for 1: `add_(grad)` would convert a temporary 1 on every call.
    private readonly Scalar _one = 1.0.ToScalar();

    public MomentumSgd(IEnumerable<Parameter> parameters, double learningRate, double momentum, bool nesterov)
    {
        if (nesterov && momentum <= 0) throw new ArgumentException("Nesterov momentum needs a momentum above zero.", nameof(nesterov));
        _parameters = [.. parameters];
        _buffers = new Tensor?[_parameters.Length];
        (LearningRate, _hasMomentum, _nesterov) = (learningRate, momentum != 0, nesterov);
        _momentum = momentum.ToScalar();
    }

    /// <summary>The rate of the next steps; a schedule sets it before each.</summary>
    public double LearningRate { get; set; }

    public void ZeroGrad() => Gradients.Zero(_parameters);

    public void Step()
    {
        using var scope = torch.NewDisposeScope();
        using var rate = (-LearningRate).ToScalar();
        using var noGrad = torch.no_grad();
        for (var i = 0; i < _parameters.Length; i++)
        {
            var grad = _parameters[i].grad;
            if (grad is null) continue;
            if (_hasMomentum)
            {
                var buffer = _buffers[i];
                if (buffer is null) _buffers[i] = buffer = grad.clone().detach().DetachFromDisposeScope();
                else buffer.mul_(_momentum).add_(grad, _one);
                grad = _nesterov ? grad.add(buffer, _momentum) : buffer;
            }
            _parameters[i].add_(grad, rate);
        }
    }

    /// <summary>Writes the momentum buffers (not the settings: the caller rebuilds those).</summary>
    public void Save(BinaryWriter writer)
    {
        StateFormat.WriteHeader(writer, Kind, _parameters.Length);
        foreach (var buffer in _buffers)
        {
            writer.Write(buffer is not null);
            buffer?.Save(writer);
        }
    }

    /// <summary>Restores what <see cref="Save"/> wrote, for the same parameters, on their devices.</summary>
    public void Load(BinaryReader reader)
    {
        StateFormat.ReadHeader(reader, Kind, _parameters.Length);
        for (var i = 0; i < _buffers.Length; i++)
        {
            _buffers[i]?.Dispose();
            _buffers[i] = null;
            if (!reader.ReadBoolean()) continue;
            using var loaded = TensorExtensionMethods.Load(reader);
            _buffers[i] = loaded.to(_parameters[i].device, copy: true).DetachFromDisposeScope();
        }
    }

    public void Dispose()
    {
        foreach (var buffer in _buffers) buffer?.Dispose();
        _momentum.Dispose();
        _one.Dispose();
    }
}
