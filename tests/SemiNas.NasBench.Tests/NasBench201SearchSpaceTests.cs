using SemiNas.Contracts;
using SemiNas.Plugins.NasBench;

namespace SemiNas.NasBench.Tests;

public class NasBench201SearchSpaceTests
{
    private readonly NasBench201SearchSpace _space = new();

    [Fact]
    public void Offers_six_edges_of_five_operations_to_the_controller()
    {
        Assert.Equal(6, _space.Length);
        Assert.Equal(6, _space.VocabularySize);
        Assert.Equal(6, _space.AllowedTokens.Count);
        Assert.All(_space.AllowedTokens, allowed => Assert.Equal([1, 2, 3, 4, 5], allowed));
    }

    [Fact]
    public void Describes_a_cell_by_its_official_string()
    {
        Assert.Equal(NasBench201Cells.ResNetArchStr, _space.Describe(NasBench201Cells.ResNet));
        Assert.Equal("|none~0|+|skip_connect~0|nor_conv_1x1~1|+|nor_conv_3x3~0|avg_pool_3x3~1|none~2|",
            _space.Describe(Architecture.Parse("1 2 3 4 5 1")));
    }

    [Fact]
    public void Isomorphic_cells_share_a_canonical_key_and_others_do_not()
    {
        var table = NasBench201Table.Shared;
        var resNet = table[NasBench201Cells.ResNetIndex];
        var representative = table[resNet.IsoRep];
        Assert.NotEqual(resNet.ToArchitecture(), representative.ToArchitecture());

        Assert.Equal("iso:2528", _space.CanonicalKey(NasBench201Cells.ResNet));
        Assert.Equal(_space.CanonicalKey(NasBench201Cells.ResNet), _space.CanonicalKey(representative.ToArchitecture()));
        Assert.NotEqual(_space.CanonicalKey(NasBench201Cells.ResNet), _space.CanonicalKey(table[6111].ToArchitecture()));

        var keys = table.Rows.Select(row => _space.CanonicalKey(row.ToArchitecture())).Distinct().Count();
        Assert.Equal(6_466, keys);
    }

    [Theory]
    [InlineData("4 1 4 2 1", "6 tokens")]
    [InlineData("4 1 4 2 1 2 3", "6 tokens")]
    [InlineData("4 1 0 2 1 2", "Token 3 is 0")]
    [InlineData("4 1 4 2 1 6", "Token 6 is 6")]
    public void Rejects_invalid_tokens_with_a_reason(string tokens, string expectedReason)
    {
        var architecture = Architecture.Parse(tokens);
        Assert.False(_space.IsValid(architecture, out var reason));
        Assert.Contains(expectedReason, reason);
        Assert.Contains("not a NAS-Bench-201 cell", _space.Describe(architecture));
    }

    [Fact]
    public void Accepts_a_valid_cell_without_a_reason()
    {
        Assert.True(_space.IsValid(NasBench201Cells.ResNet, out var reason));
        Assert.Null(reason);
    }

    [Fact]
    public void Samples_valid_cells_reproducibly_from_a_seed()
    {
        var first = Draw(seed: 7, count: 500);

        Assert.Equal(first, Draw(seed: 7, count: 500));
        Assert.NotEqual(first, Draw(seed: 8, count: 500));
        Assert.All(first, architecture => Assert.True(_space.IsValid(architecture, out _)));
        // Uniform over the edges: every operation shows up on every edge in 500 draws.
        for (var edge = 0; edge < 6; edge++)
            Assert.Equal([1, 2, 3, 4, 5], first.Select(a => a[edge]).Distinct().Order());
    }

    private List<Architecture> Draw(int seed, int count)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => _space.Sample(random)).ToList();
    }
}
