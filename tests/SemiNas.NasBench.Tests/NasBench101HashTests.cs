using System.IO.Compression;
using System.Text;
using SemiNas.Plugins.NasBench.NasBench101;

namespace SemiNas.NasBench.Tests;

public class NasBench101HashTests
{
    [Fact]
    public void Reproduces_the_official_hash_of_every_cell_of_the_slice_from_its_adjacency_and_operations()
    {
        var table = NasBench101Table.Slice;
        Assert.Equal(20_001, table.Count);

        var mismatches = new List<string>();
        for (var row = 0; row < table.Count; row++)
        {
            var computed = table.Cell(row).Hash();
            if (computed != table.Hash(row)) mismatches.Add($"row {row}: {table.Hash(row)} computed as {computed}");
        }

        Assert.Empty(mismatches);
    }

    [Fact]
    public void Gives_the_inception_like_cell_of_the_official_api_its_published_hash()
    {
        Assert.Equal("28cfc7874f6d200472e1a9dcd8650aa0", NasBench101Cells.Inception.Hash());
    }

    [Fact]
    public void Gives_isomorphic_cells_one_hash_and_different_cells_different_ones()
    {
        var inception = NasBench101Cells.Inception;
        // Swap interior vertices 1 and 2 (conv1x1 and conv3x3, both fed by the input and feeding the output)...
        var swappedOps = NasBench101Cells.FromMatrix(
            NasBench101Cells.InceptionMatrix,
            [NasBench101Cells.Conv3x3, NasBench101Cells.Conv1x1, NasBench101Cells.Conv3x3, NasBench101Cells.Conv3x3, NasBench101Cells.MaxPool]);
        // ... and, separately, renumber the chain 3 -> 4 to come first: the same graph, other vertex order.
        var renumbered = NasBench101Cells.FromMatrix(
            [
                [0, 1, 0, 1, 1, 1, 0],
                [0, 0, 1, 0, 0, 0, 0],
                [0, 0, 0, 0, 0, 0, 1],
                [0, 0, 0, 0, 0, 0, 1],
                [0, 0, 0, 0, 0, 0, 1],
                [0, 0, 0, 0, 0, 0, 1],
                [0, 0, 0, 0, 0, 0, 0],
            ],
            [NasBench101Cells.Conv3x3, NasBench101Cells.Conv3x3, NasBench101Cells.Conv1x1, NasBench101Cells.Conv3x3, NasBench101Cells.MaxPool]);
        // Changing one operation makes another cell.
        var otherOp = NasBench101Cells.FromMatrix(
            NasBench101Cells.InceptionMatrix,
            [NasBench101Cells.Conv1x1, NasBench101Cells.Conv3x3, NasBench101Cells.Conv3x3, NasBench101Cells.Conv3x3, NasBench101Cells.Conv3x3]);

        Assert.Equal(inception.Hash(), swappedOps.Hash());
        Assert.Equal(inception.Hash(), renumbered.Hash());
        Assert.NotEqual(inception.Hash(), otherOp.Hash());
        Assert.NotEqual(inception, renumbered);
    }

    [Fact]
    public void The_slice_holds_distinct_hashes_and_its_best_cell_where_the_data_readme_says()
    {
        var table = NasBench101Table.Slice;
        var best = Enumerable.Range(0, table.Count).MaxBy(row => table.ValidationAccuracy(row, 0));

        Assert.Equal(NasBench101Cells.BestOfSliceHash, table.Hash(best));
        Assert.Equal(0.94912, table.ValidationAccuracy(best, 0), 5);
        Assert.Equal(best, table.RowOf(NasBench101Cells.BestOfSliceHash));
        Assert.Equal(table.Count, Enumerable.Range(0, table.Count).Select(table.Hash).Distinct().Count());
        Assert.Equal(-1, table.RowOf(NasBench101Cells.Inception.Hash()));
    }
}

public class NasBench101SliceFileTests
{
    private const string Header = "hash,n,adj,ops,val4,val12,val36,val108,train_time108_s,params";
    private const string GoodLine = "00005c142e6f48ac74fdcf73e3439874,7,0100110001000000010010000010000001000000010000000,02001,0.36,0.42,0.90,0.9304887652,1768.975952,8555530";

    [Theory]
    [InlineData("00005c142e6f48ac74fdcf73e3439874,7,0100110001000000010010000010000001000000010000000,02003,0.36,0.42,0.90,0.93,1768.9,8555530", "line 3, column 'ops': digits must be 0, 1 or 2")]
    [InlineData("00005c142e6f48ac74fdcf73e3439874,7,0100110001000000010010000010000001000000010000000,02001,0.36,0.42,0.90,high,1768.9,8555530", "line 3, column 'val108': 'high' is not a number")]
    [InlineData("00005c142e6f48ac74fdcf73e3439874,7,0100110001000000010010000010000001000000010000001,02001,0.36,0.42,0.90,0.93,1768.9,8555530", "line 3, column 'adj': edge 6->6 is not upper triangular")]
    [InlineData("00005c142e6f48ac,7,0100110001000000010010000010000001000000010000000,02001,0.36,0.42,0.90,0.93,1768.9,8555530", "line 3, column 'hash'")]
    [InlineData("00005c142e6f48ac74fdcf73e3439874,7,0100110001000000010010000010000001000000010000000,02001,0.36", "line 3: the line ends before column 'val12'")]
    public void Names_the_file_line_and_column_of_a_bad_value(string badLine, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => NasBench101Table.LoadSlice(Gzip($"{Header}\n{GoodLine}\n{badLine}\n"), "slice.csv.gz"));
        Assert.Contains($"slice.csv.gz, {expected}", error.Message);
    }

    [Fact]
    public void Reads_a_good_file()
    {
        var table = NasBench101Table.LoadSlice(Gzip($"{Header}\n{GoodLine}\n"), "slice.csv.gz");
        Assert.Equal(1, table.Count);
        Assert.Equal(0.9304887652, table.ValidationAccuracy(0, 0));
        Assert.Equal(8_555_530, table.Parameters(0));
        Assert.Equal("00005c142e6f48ac74fdcf73e3439874", table.Hash(0));
    }

    private static MemoryStream Gzip(string text)
    {
        var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(Encoding.UTF8.GetBytes(text));
        buffer.Position = 0;
        return buffer;
    }
}
