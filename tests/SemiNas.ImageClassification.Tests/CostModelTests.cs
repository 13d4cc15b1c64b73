using SemiNas.Contracts;
using SemiNas.ImageClassification;

namespace SemiNas.ImageClassification.Tests;

public class CostModelTests
{
    // The architecture the paper reports (SemiNASNet), seminas-method.md §6.3.
    public static readonly Architecture SemiNasNet = Architecture.Parse("6 5 1 7 4 2 5 3 5 2 5 3 3 5 7 3 1 6 3 3 6");

    private static ChainSpec PaperChain(double widthMultiplier) => ChainSpec.From(new SpaceOptions(), widthMultiplier);

    [Fact]
    public void SemiNASNet_widened_to_the_papers_final_widths_has_599M_multiply_adds_and_6_3M_parameters()
    {
        var chain = PaperChain(1.35);
        Assert.Equal(40, chain.Stem);
        Assert.Equal(24, chain.FirstBlock);
        Assert.Equal([32, 56, 112, 128, 256, 432], chain.Stages.Select(s => s.Width));
        Assert.Equal(1728, chain.Head);

        var cost = CostModel.Of(chain, SemiNasNet);
        Assert.Equal(598_952_544, cost.MultiplyAdds);
        Assert.Equal(6_319_360, cost.Parameters);
    }

    [Fact]
    public void SemiNASNet_at_the_search_widths_has_339M_multiply_adds_and_3_9M_parameters()
    {
        var cost = CostModel.Of(PaperChain(1.0), SemiNasNet);
        Assert.Equal(339_168_320, cost.MultiplyAdds);
        Assert.Equal(3_884_640, cost.Parameters);
    }

    [Fact]
    public void Explicit_widths_give_the_same_counts_as_the_multiplier()
    {
        var options = new SpaceOptions
        {
            Stem = 40, FirstBlock = 24, Head = 1728,
            Stages = [.. new[] { 32, 56, 112, 128, 256, 432 }.Zip([4, 4, 4, 4, 4, 1], [2, 2, 2, 1, 2, 1])
                .Select(s => new StageOptions { Width = s.First, Layers = s.Second, Stride = s.Third })],
        };
        Assert.Equal(598_952_544, CostModel.Of(ChainSpec.From(options), SemiNasNet).MultiplyAdds);
    }

    [Fact]
    public void A_zero_layer_costs_nothing_and_a_bigger_kernel_costs_more()
    {
        var chain = PaperChain(1.0);
        var tokens = SemiNasNet.Tokens.ToArray();
        tokens[1] = 7;
        var withZero = CostModel.Of(chain, new Architecture(tokens));
        tokens[1] = 1;
        var k3 = CostModel.Of(chain, new Architecture(tokens));
        tokens[1] = 5;
        var k7 = CostModel.Of(chain, new Architecture(tokens));
        // Layer 2 reads 56x56x24 and writes 24 channels: k3e3 adds 72·(24 + 9 + 24)·56² multiply-adds.
        Assert.Equal(72L * (24 + 9 + 24) * 56 * 56, k3.MultiplyAdds - withZero.MultiplyAdds);
        Assert.Equal(72L * (49 - 9) * 56 * 56, k7.MultiplyAdds - k3.MultiplyAdds);
    }

    [Fact]
    public void Resolution_scales_the_convolutions_but_not_the_classifier()
    {
        var at224 = CostModel.Of(PaperChain(1.0), SemiNasNet);
        var at112 = CostModel.Of(ChainSpec.From(new SpaceOptions { Resolution = 112 }), SemiNasNet);
        Assert.Equal(at224.Parameters, at112.Parameters);
        // Half the side is a quarter of the pixels (a little more at the last stages, where 7x7 halves to 4x4).
        const long classifier = 1280L * 1000;
        var ratio = (double)(at112.MultiplyAdds - classifier) / (at224.MultiplyAdds - classifier);
        Assert.InRange(ratio, 0.25, 0.30);
    }
}
