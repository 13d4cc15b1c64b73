using SemiNas.Contracts;
using SemiNas.ImageClassification;
using SemiNas.ImageClassification.Model;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Tests;

public class ModelTests
{
    private static long CountParameters(nn.Module module) => module.parameters().Sum(p => p.numel());

    [Fact]
    public void The_built_network_has_exactly_the_analytic_parameter_count_for_random_architectures()
    {
        var chain = ChainSpec.From(new SpaceOptions { Classes = 100 }, widthMultiplier: 0.5);
        var space = new ChainSearchSpace(chain);
        var random = new Random(3);
        for (var i = 0; i < 6; i++)
        {
            var architecture = space.Sample(random);
            using var network = new ChainNetwork(chain, architecture);
            Assert.Equal(CostModel.Of(chain, architecture).Parameters, CountParameters(network));
        }
    }

    [Fact]
    public void SemiNASNet_built_at_the_final_widths_has_6_319_360_parameters()
    {
        var chain = ChainSpec.From(new SpaceOptions(), widthMultiplier: 1.35);
        using var network = new ChainNetwork(chain, CostModelTests.SemiNasNet);
        Assert.Equal(6_319_360, CountParameters(network));
    }

    [Fact]
    public void The_network_maps_images_to_class_scores_and_a_supernet_path_has_the_same_shape()
    {
        var chain = TinyChain();
        var architecture = new ChainSearchSpace(chain).Sample(new Random(1));
        using var network = new ChainNetwork(chain, architecture);
        using var supernet = new Supernet(chain);
        using var images = randn(3, 3, 32, 32);
        network.eval();
        supernet.eval();
        using var logits = network.forward(images);
        using var pathLogits = supernet.Forward(images, architecture);
        Assert.Equal([3L, 10], logits.shape);
        Assert.Equal([3L, 10], pathLogits.shape);
    }

    [Fact]
    public void The_supernet_holds_one_module_per_operation_and_layer_and_a_path_uses_only_its_own()
    {
        var chain = TinyChain();
        using var supernet = new Supernet(chain);
        var space = new ChainSearchSpace(chain);
        // Every path of the supernet weighs what its stand-alone network weighs; the supernet holds every operation.
        var architecture = space.Sample(new Random(2));
        supernet.train();
        using var images = randn(4, 3, 32, 32);
        using var loss = supernet.Forward(images, architecture).sum();
        loss.backward();
        var withGradient = supernet.parameters().Where(p => p.grad is not null).Sum(p => p.numel());
        Assert.Equal(CostModel.Of(chain, architecture).Parameters, withGradient);
        var mbconvs = chain.Operations.Count(o => !o.IsZero);
        Assert.True(CountParameters(supernet) > mbconvs * 0.5 * withGradient);
    }

    [Fact]
    public void A_supernet_step_updates_the_shared_layers_and_its_path_and_leaves_the_other_operations_alone()
    {
        var chain = TinyChain();
        using var supernet = new Supernet(chain);
        var groups = supernet.ParameterGroups();
        using var trainer = new SemiNas.ImageClassification.Training.SgdTrainer(groups, new OptimizerOptions { LearningRate = 0.1 }, 10);
        var path = Architecture.Parse("1 7 2 3");
        var active = supernet.GroupsOf(path);
        // Shared layers, then layer 0 k3e3, layer 2 k3e6, layer 3 k5e3 (6 MBConv operations per layer); zeros have none.
        Assert.Equal([0, 1 + 0 * 6 + 0, 1 + 2 * 6 + 1, 1 + 3 * 6 + 2], active);
        var before = groups.Select(g => g.Select(p => p.detach().clone()).ToList()).ToList();

        trainer.ActiveGroups = active;
        supernet.train();
        using var images = randn(8, 3, 32, 32);
        using var labels = randint(0, 10, [8]);
        trainer.TrainStep(x => supernet.Forward(x, path), images, labels);

        for (var g = 0; g < groups.Count; g++)
        {
            var changed = groups[g].Zip(before[g]).Any(p => !p.First.detach().equal(p.Second).all().item<bool>());
            Assert.True(changed == active.Contains(g), $"group {g}: changed {changed}, on the path {active.Contains(g)}");
        }
    }

    internal static ChainSpec TinyChain() => ChainSpec.From(new SpaceOptions
    {
        Resolution = 32, Classes = 10, Stem = 8, FirstBlock = 8, Head = 32,
        Stages = [new() { Width = 8, Layers = 2, Stride = 2 }, new() { Width = 16, Layers = 2, Stride = 2 }],
    });
}
