using System.IO.Compression;
using SemiNas.Contracts;
using SemiNas.Plugins.NasBench;

namespace SemiNas.NasBench.Tests;

public class NasBench201TableTests
{
    private static NasBench201Table Table => NasBench201Table.Shared;

    [Fact]
    public void Holds_every_cell_once_in_official_index_order()
    {
        Assert.Equal(15_625, Table.Count);
        Assert.Equal(15_625, Table.Rows.Count);
        Assert.Equal(15_625, Table.Rows.Select(row => row.ArchStr).Distinct().Count());
        for (var i = 0; i < Table.Count; i++) Assert.Equal(i, Table[i].Index);
    }

    [Fact]
    public void Has_6466_isomorphism_classes_each_named_by_its_smallest_member()
    {
        var classes = Table.Rows.GroupBy(row => row.IsoRep).ToList();
        Assert.Equal(6_466, classes.Count);
        Assert.All(classes, members => Assert.Equal(members.Key, members.Min(row => row.Index)));
    }

    [Fact]
    public void Op_digits_spell_the_official_architecture_string()
    {
        // The token encoding rests on this: edge order and op numbering must be those of arch_str.
        foreach (var row in Table.Rows)
        {
            var nodes = Enumerable.Range(1, 3).Select(to => "|" + string.Join("|",
                NasBench201Cell.Edges.Select((edge, i) => (edge, i)).Where(e => e.edge.To == to)
                    .Select(e => $"{NasBench201Cell.OperationNames[row.Ops[e.i]]}~{e.edge.From}")) + "|");
            Assert.Equal(row.ArchStr, string.Join("+", nodes));
        }
    }

    [Fact]
    public void Finds_a_cell_by_tokens_and_by_string()
    {
        Assert.Equal(NasBench201Cells.ResNetIndex, Table.IndexOf(NasBench201Cells.ResNet));
        Assert.Equal(NasBench201Cells.ResNetIndex, Table.IndexOf(NasBench201Cells.ResNetArchStr));
        Assert.Equal(NasBench201Cells.ResNetArchStr, Table[NasBench201Cells.ResNetIndex].ArchStr);
        Assert.Equal(NasBench201Cells.ResNet, Table[NasBench201Cells.ResNetIndex].ToArchitecture());
        Assert.All(Table.Rows.Where(row => row.Index % 97 == 0),
            row => Assert.Equal(row.Index, Table.IndexOf(row.ToArchitecture())));
    }

    [Fact]
    public void Answers_minus_one_for_what_is_not_a_cell()
    {
        Assert.Equal(-1, Table.IndexOf(Architecture.Parse("4 1 4 2 1")));
        Assert.Equal(-1, Table.IndexOf(Architecture.Parse("4 1 4 2 1 6")));
        Assert.Equal(-1, Table.IndexOf("|nor_conv_5x5~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"));
    }

    [Fact]
    public void Matches_the_published_reference_numbers()
    {
        var resNet = Table[NasBench201Cells.ResNetIndex];
        Assert.Equal(93.97, resNet.C10Test, 2);
        Assert.Equal(90.86, resNet.C10vValid, 2);
        Assert.Equal(70.50, resNet.C100Valid, 2);
        Assert.Equal(70.89, resNet.C100Test, 2);
        Assert.Equal(44.10, resNet.In16Valid, 2);
        Assert.Equal(44.23, resNet.In16Test, 2);
        Assert.Equal(94.3733, Table.Rows.Max(row => row.C10Test), 4);
    }

    [Fact]
    public void Loads_from_a_stream_and_names_what_is_wrong_with_a_damaged_table()
    {
        using var full = OpenEmbeddedCsv();
        Assert.Equal(15_625, NasBench201Table.Load(full).Count);

        Assert.Contains("header", LoadError("index,arch_str\n0,|none~0|+|none~0|none~1|+|none~0|none~1|none~2|\n"));

        var lines = FirstLines(2);
        var (header, line) = (lines[0], lines[1]);
        Assert.Contains("ends before column 'flops_M_in16'", LoadError($"{header}\n{line[..line.LastIndexOf(',')]}\n"));
        Assert.Contains("more than 29 fields", LoadError($"{header}\n{line},1\n"));
        Assert.Contains("is not a valid c10v_valid", LoadError($"{header}\n{line.Replace(",81.982667,", ",8l.98,")}\n"));
        Assert.Contains("Expected 15625", LoadError($"{header}\n{line}\n"));
    }

    private static string[] FirstLines(int count)
    {
        using var stream = OpenEmbeddedCsv();
        using var reader = new StreamReader(new GZipStream(stream, CompressionMode.Decompress));
        return Enumerable.Range(0, count).Select(_ => reader.ReadLine()!).ToArray();
    }

    private static Stream OpenEmbeddedCsv() => typeof(NasBench201Table).Assembly
        .GetManifestResourceStream("SemiNas.Plugins.NasBench.nasbench201_15625.csv.gz")!;

    private static string LoadError(string csv)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new StreamWriter(gzip))
            writer.Write(csv);
        compressed.Position = 0;
        return Assert.Throws<InvalidDataException>(() => NasBench201Table.Load(compressed)).Message;
    }
}
