using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using SemiNas.Core;

namespace SemiNas.Controller.Nao;

/// <summary>
/// The decoder's bias-free "general" attention (seminas-method.md §2.2): q = W_in x,
/// a = softmax over the source of q·memoryᵀ, att = tanh(W_out [a·memory ; x]).
/// </summary>
internal sealed class LuongAttention : nn.Module
{
    [ComponentName(Name = "input_proj")] private readonly Linear _inputProj;
    [ComponentName(Name = "output_proj")] private readonly Linear _outputProj;

    public LuongAttention(int hidden) : base("attention")
    {
        _inputProj = nn.Linear(hidden, hidden, hasBias: false);
        _outputProj = nn.Linear(2 * hidden, hidden, hasBias: false);
        RegisterComponents();
    }

    public void ResetParameters(Generator generator)
    {
        SeededInit.Linear(_inputProj, generator);
        SeededInit.Linear(_outputProj, generator);
    }

    /// <summary>x [B, T, H] attending over memory [B, S, H] → [B, T, H].</summary>
    public Tensor Attend(Tensor x, Tensor memory)
    {
        using var scope = torch.NewDisposeScope();
        var query = _inputProj.call(x);
        var weights = torch.bmm(query, memory.transpose(1, 2)).softmax(-1);
        var mix = torch.bmm(weights, memory);
        return _outputProj.call(torch.cat([mix, x], -1)).tanh().MoveToOuterDisposeScope();
    }
}
