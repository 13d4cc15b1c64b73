using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using SemiNas.Core;

namespace SemiNas.Controller.Nao;

/// <summary>
/// Functional dropout (the official code's <c>F.dropout</c>) that draws its masks from the model's own
/// <see cref="torch.Generator"/> instead of libtorch's global one, so that training is reproducible from the
/// model seed alone, whatever else in the process uses torch's global random state.
/// </summary>
internal sealed class SeededDropout(double probability, Generator generator)
{
    // Held for the model's life rather than converted on every call: see CoupledAdam for why.
    private readonly Scalar _probability = probability.ToScalar();
    private readonly Scalar _keep = (1 - probability).ToScalar();

    public Tensor Apply(Tensor x, bool training)
    {
        if (!training || probability == 0) return x;
        // Inverted dropout, as torch: keep with probability 1−p and scale the kept values by 1/(1−p).
        // u ≥ p with u ~ U[0, 1) is a Bernoulli(1−p) draw; rand + compare is twice as fast as bernoulli_ here.
        using var mask = torch.rand(x.shape, generator: generator).ge_(_probability).div_(_keep);
        return x.mul(mask);
    }
}

/// <summary>
/// PyTorch's default initialisations, drawn from a given generator (TorchSharp's constructors use the global
/// one). Embedding: N(0, 1). Linear (kaiming_uniform with a = √5, and its bias): U(±1/√fan_in).
/// LSTM: every weight and bias U(±1/√H). It uses the tensors' own uniform_/normal_, because TorchSharp's
/// nn.init.uniform_/normal_ accept a generator but ignore it (0.107.0).
/// </summary>
internal static class SeededInit
{
    public static void Embedding(Embedding embedding, Generator generator)
    {
        using var _ = torch.no_grad();
        embedding.weight!.normal_(0, 1, generator);
    }

    public static void Linear(Linear linear, Generator generator)
    {
        using var _ = torch.no_grad();
        var bound = 1 / Math.Sqrt(linear.weight!.shape[1]);
        linear.weight.uniform_(-bound, bound, generator);
        linear.bias?.uniform_(-bound, bound, generator);
    }

    public static void Lstm(LSTM lstm, int hidden, Generator generator)
    {
        using var _ = torch.no_grad();
        var bound = 1 / Math.Sqrt(hidden);
        foreach (var parameter in lstm.parameters())
            parameter.uniform_(-bound, bound, generator);
    }
}
