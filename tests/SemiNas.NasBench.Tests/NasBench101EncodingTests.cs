using SemiNas.Contracts;
using SemiNas.Plugins.NasBench.NasBench101;

namespace SemiNas.NasBench.Tests;

public class NasBench101EncodingTests
{
    [Fact]
    public void Writes_the_inception_cell_as_the_papers_27_tokens()
    {
        // Column j: the j edge tokens adj[0..j-1][j] (1 none, 2 edge), then vertex j's op (3 conv1x1, 4 conv3x3,
        // 5 maxpool, 6 output).
        var expected = "2 3  2 1 4  2 1 1 4  1 1 1 2 4  2 1 1 1 1 5  1 2 2 1 2 2 6";
        Assert.Equal(Architecture.Parse(expected), NasBench101Encoding.Encode(NasBench101Cells.Inception));
        Assert.Equal([1, 4, 8, 13, 19, 26], NasBench101Encoding.OperationPositions);
    }

    [Fact]
    public void Pads_a_smaller_cell_after_its_output_column()
    {
        // input -> conv3x3 -> output plus input -> output: 3 vertices, the output at column 2.
        var cell = NasBench101Cells.FromMatrix([[0, 1, 1], [0, 0, 1], [0, 0, 0]], [NasBench101Cells.Conv3x3]);
        var tokens = NasBench101Encoding.Encode(cell);

        Assert.Equal(Architecture.Parse("2 4  2 2 6  0 0 0 0  0 0 0 0 0  0 0 0 0 0 0  0 0 0 0 0 0 0"), tokens);
        Assert.Equal(cell, NasBench101Encoding.DecodeValid(tokens, out var reason));
        Assert.Null(reason);
    }

    [Fact]
    public void Round_trips_every_cell_of_the_slice_and_keeps_its_hash()
    {
        var table = NasBench101Table.Slice;
        var space = new NasBench101SearchSpace(table);
        var vertexCounts = new int[8];
        for (var row = 0; row < table.Count; row++)
        {
            var cell = table.Cell(row);
            var tokens = NasBench101Encoding.Encode(cell);
            Assert.Equal(27, tokens.Length);
            var decoded = NasBench101Encoding.DecodeValid(tokens, out var reason);
            Assert.True(cell.Equals(decoded), $"row {row}: {reason}");
            Assert.Equal(table.Hash(row), space.CanonicalKey(tokens));
            vertexCounts[cell.VertexCount]++;
        }
        // Every cell size of the slice went through (data README: n = 2..7).
        Assert.Equal([0, 0, 1, 1, 5, 130, 2_917, 16_947], vertexCounts);
    }

    [Fact]
    public void Prunes_vertices_off_every_input_output_path_as_the_benchmark_does()
    {
        // The inception cell's 7-vertex form, except vertex 5 (maxpool) now has no way to the output: it is pruned,
        // which leaves the 6-vertex cell the benchmark would look up.
        var dangling = Architecture.Parse("2 3  2 1 4  2 1 1 4  1 1 1 2 4  2 1 1 1 1 5  1 2 2 1 2 1 6");
        var pruned = NasBench101Encoding.DecodeValid(dangling, out _)!;
        var direct = NasBench101Cells.FromMatrix(
            [
                [0, 1, 1, 1, 0, 0],
                [0, 0, 0, 0, 0, 1],
                [0, 0, 0, 0, 0, 1],
                [0, 0, 0, 0, 1, 0],
                [0, 0, 0, 0, 0, 1],
                [0, 0, 0, 0, 0, 0],
            ],
            [NasBench101Cells.Conv1x1, NasBench101Cells.Conv3x3, NasBench101Cells.Conv3x3, NasBench101Cells.Conv3x3]);

        Assert.Equal(6, pruned.VertexCount);
        Assert.Equal(direct, pruned);
        var space = new NasBench101SearchSpace();
        Assert.Equal(direct.Hash(), space.CanonicalKey(dangling));
        Assert.Equal(space.CanonicalKey(NasBench101Encoding.Encode(direct)), space.CanonicalKey(dangling));
    }

    [Theory]
    [InlineData("2 3 2 1 4 2 1 1 4 1 1 1 2 4 2 1 1 1 1 5 1 2 2 1 2", "27 tokens")]
    [InlineData("3 3 2 1 4 2 1 1 4 1 1 1 2 4 2 1 1 1 1 5 1 2 2 1 2 2 6", "Token 1 (edge 0->1) is 3")]
    [InlineData("2 2 2 1 4 2 1 1 4 1 1 1 2 4 2 1 1 1 1 5 1 2 2 1 2 2 6", "Token 2 (operation of vertex 1) is 2")]
    [InlineData("2 3 2 1 4 2 1 1 4 1 1 1 2 4 2 1 1 1 1 5 1 2 2 1 2 2 5", "the output (6)")]
    [InlineData("2 6 2 1 4 2 1 1 4 1 1 1 2 4 2 1 1 1 1 5 1 2 2 1 2 2 6", "the output must be the last vertex")]
    [InlineData("2 3 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0", "padding may only follow the output")]
    [InlineData("2 6 0 0 0 0 0 0 0 2 2 2 2 4 0 0 0 0 0 0 0 0 0 0 0 0 0", "tokens after the padding")]
    [InlineData("1 3 1 2 4 1 1 1 4 1 1 1 1 4 1 1 1 1 1 5 1 2 2 2 2 2 6", "No path leads from the input to the output")]
    [InlineData("2 3 2 2 4 2 1 2 4 2 1 1 2 4 1 1 1 1 2 5 2 1 1 1 1 2 6", "10 edges")]
    public void Rejects_what_the_benchmark_rejects_with_a_reason(string tokens, string expectedReason)
    {
        Assert.Null(NasBench101Encoding.DecodeValid(Architecture.Parse(tokens), out var reason));
        Assert.Contains(expectedReason, reason);
    }

    [Fact]
    public void Allows_edges_anywhere_interior_operations_inside_and_the_output_last()
    {
        var allowed = NasBench101Encoding.AllowedTokens;
        Assert.Equal(27, allowed.Count);
        for (var position = 0; position < 27; position++)
        {
            int[] expected = position == 26 ? [6] : NasBench101Encoding.OperationPositions.Contains(position) ? [3, 4, 5] : [1, 2];
            Assert.Equal(expected, allowed[position]);
        }
    }

    [Fact]
    public void Every_sequence_the_masks_allow_is_a_cell_or_fails_only_on_the_benchmarks_graph_rules()
    {
        // What the decoder can emit: every masked token choice. Random draws of those must never fail on the
        // token layout, only on connectivity or the edge limit, as the benchmark's is_valid would.
        var random = new Random(11);
        var allowed = NasBench101Encoding.AllowedTokens;
        var valid = 0;
        for (var draw = 0; draw < 5_000; draw++)
        {
            var tokens = allowed.Select(choices => choices[random.Next(choices.Count)]).ToArray();
            var cell = NasBench101Encoding.DecodeValid(new Architecture(tokens), out var reason);
            if (cell is null) Assert.Matches("No path|edges after pruning", reason!);
            else valid++;
        }
        Assert.InRange(valid, 100, 4_900);
    }
}
