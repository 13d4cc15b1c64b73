using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.Optim.Tests;

/// <summary>Two identically initialised models trained on the same data, to compare optimisers weight for weight.</summary>
internal static class Twin
{
    public static nn.Module<Tensor, Tensor> Model()
    {
        var model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3));
        // Weights from a private generator, not torch.manual_seed: test classes run in parallel.
        var generator = new Generator(11);
        using var noGrad = torch.no_grad();
        foreach (var parameter in model.parameters()) parameter.copy_(torch.randn(parameter.shape, generator: generator).mul_(0.3));
        return model;
    }

    public static void Train(nn.Module<Tensor, Tensor> model, Action zeroGrad, Action step, int steps)
    {
        var generator = new Generator(5);
        for (var i = 0; i < steps; i++)
        {
            using var scope = torch.NewDisposeScope();
            var input = torch.randn([32, 8], generator: generator);
            var target = torch.randn([32, 3], generator: generator);
            zeroGrad();
            nn.functional.mse_loss(model.call(input), target).backward();
            step();
        }
    }

    public static void AssertSameWeights(nn.Module reference, nn.Module ours)
    {
        var pairs = reference.parameters().Zip(ours.parameters()).ToList();
        Assert.Equal(4, pairs.Count);
        Assert.All(pairs, p => Assert.True(p.First.eq(p.Second).all().item<bool>(),
            $"weights differ by up to {(p.First - p.Second).abs().max().item<float>()} (of {p.First.abs().max().item<float>()})"));
        // And training did move them: the comparison is not between two untouched models.
        using var untouched = Model();
        Assert.False(untouched.parameters().First().eq(ours.parameters().First()).all().item<bool>());
    }
}
