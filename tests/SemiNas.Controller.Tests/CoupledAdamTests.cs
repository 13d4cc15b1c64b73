using SemiNas.Controller.Nao;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.Controller.Tests;

public class CoupledAdamTests
{
    [Fact]
    public void Gives_the_same_weights_as_torchsharps_adam_bit_for_bit()
    {
        using var scope = torch.NewDisposeScope();
        var generator = new Generator(5);
        var input = torch.randn([64, 8], generator: generator);
        var target = torch.randn([64, 3], generator: generator);

        nn.Module<Tensor, Tensor> Model()
        {
            torch.manual_seed(11);
            return nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3));
        }

        using var reference = Model();
        using var ours = Model();
        using var adam = torch.optim.Adam(reference.parameters(), lr: 1e-2, weight_decay: 1e-4);
        using var coupled = new CoupledAdam(ours.parameters().ToArray(), 1e-2, 1e-4);
        for (var step = 0; step < 25; step++)
        {
            using var stepScope = torch.NewDisposeScope();
            adam.zero_grad();
            nn.functional.mse_loss(reference.call(input), target).backward();
            adam.step();
            coupled.ZeroGrad();
            nn.functional.mse_loss(ours.call(input), target).backward();
            coupled.Step();
        }

        var pairs = reference.parameters().Zip(ours.parameters()).ToList();
        Assert.Equal(4, pairs.Count);
        Assert.All(pairs, p => Assert.True(p.First.eq(p.Second).all().item<bool>(),
            $"weights differ from torch.optim.Adam's by up to {(p.First - p.Second).abs().max().item<float>()} (of {p.First.abs().max().item<float>()})"));
        // And training did move them: the comparison is not between two untouched models.
        torch.manual_seed(11);
        using var untouched = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3));
        Assert.False(untouched.parameters().First().eq(ours.parameters().First()).all().item<bool>());
    }
}
