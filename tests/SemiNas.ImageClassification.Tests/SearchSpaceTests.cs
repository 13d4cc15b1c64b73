using SemiNas.Contracts;
using SemiNas.ImageClassification;

namespace SemiNas.ImageClassification.Tests;

public class SearchSpaceTests
{
    private static readonly ChainSearchSpace Paper = new(ChainSpec.From(new SpaceOptions()));

    [Fact]
    public void The_default_space_is_the_papers_21_layers_with_tokens_1_to_7_and_no_zero_on_a_stages_first_layer()
    {
        Assert.Equal(21, Paper.Length);
        Assert.Equal(8, Paper.VocabularySize);
        for (var i = 0; i < 21; i++)
        {
            var expected = i % 4 == 0 ? new[] { 1, 2, 3, 4, 5, 6 } : [1, 2, 3, 4, 5, 6, 7];
            Assert.Equal(expected, Paper.AllowedTokens[i]);
        }
        Assert.Equal("[k7e6 k7e3 k3e3 zero] [k5e6 k3e6 k7e3 k5e3] [k7e3 k3e6 k7e3 k5e3] [k5e3 k7e3 zero k5e3] [k3e3 k7e6 k5e3 k5e3] [k7e6]",
            Paper.Describe(CostModelTests.SemiNasNet));
    }

    [Fact]
    public void Invalid_architectures_are_refused_with_the_layer_that_breaks_the_rule()
    {
        Assert.True(Paper.IsValid(CostModelTests.SemiNasNet, out _));
        var tokens = CostModelTests.SemiNasNet.Tokens.ToArray();
        tokens[4] = 7;
        Assert.False(Paper.IsValid(new Architecture(tokens), out var reason));
        Assert.Contains("layer 5 is the first of stage 2", reason);
        tokens[4] = 8;
        Assert.False(Paper.IsValid(new Architecture(tokens), out reason));
        Assert.Contains("token 8 at layer 5", reason);
        Assert.False(Paper.IsValid(Architecture.Parse("1 2 3"), out reason));
        Assert.Contains("expected 21 tokens", reason);
    }

    [Fact]
    public void Samples_are_valid_reproducible_and_use_every_operation()
    {
        var a = Enumerable.Range(0, 200).ToList();
        var first = new Random(4);
        var second = new Random(4);
        var samples = a.Select(_ => Paper.Sample(first)).ToList();
        Assert.Equal(samples, a.Select(_ => Paper.Sample(second)));
        Assert.All(samples, s => Assert.True(Paper.IsValid(s, out _)));
        Assert.Equal(Enumerable.Range(1, 7), samples.SelectMany(s => s.Tokens).Distinct().Order());
    }

    [Fact]
    public void Standalone_keys_ignore_where_a_zero_stands_in_a_stage_but_supernet_keys_do_not()
    {
        var standalone = new ChainSearchSpace(ChainSpec.From(new SpaceOptions()), positionalKeys: false);
        var a = Architecture.Parse("6 5 7 1 4 2 5 3 5 2 5 3 3 5 7 3 1 6 3 3 6");
        var b = Architecture.Parse("6 5 1 7 4 2 5 3 5 2 5 3 3 5 3 7 1 6 3 3 6");
        Assert.Equal(standalone.CanonicalKey(a), standalone.CanonicalKey(b));
        Assert.NotEqual(standalone.CanonicalKey(a), standalone.CanonicalKey(Architecture.Parse("5 6 7 1 4 2 5 3 5 2 5 3 3 5 7 3 1 6 3 3 6")));
        Assert.NotEqual(Paper.CanonicalKey(a), Paper.CanonicalKey(b));
        // Same networks, same cost.
        Assert.Equal(CostModel.Of(standalone.Chain, a), CostModel.Of(standalone.Chain, b));
    }

    [Fact]
    public void Operations_are_configurable_and_a_space_without_zero_allows_every_operation_everywhere()
    {
        var space = new ChainSearchSpace(ChainSpec.From(new SpaceOptions { Operations = ["k3e1", "k5e4"] }));
        Assert.Equal(3, space.VocabularySize);
        Assert.All(space.AllowedTokens, allowed => Assert.Equal([1, 2], allowed));
        Assert.Throws<FormatException>(() => OperationSpec.Parse("k4e6"));
        Assert.Throws<FormatException>(() => OperationSpec.Parse("conv3"));
    }
}
