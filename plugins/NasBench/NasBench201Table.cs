using System.IO.Compression;
using SemiNas.Contracts;

namespace SemiNas.Plugins.NasBench;

/// <summary>
/// The complete NAS-Bench-201 table (15,625 cells) shipped inside this assembly. Immutable, so one instance
/// serves every task and worker of the process.
/// </summary>
public sealed class NasBench201Table
{
    public const int ArchitectureCount = 15_625;

    internal const string ResourceName = "SemiNas.Plugins.NasBench.nasbench201_15625.csv.gz";

    // Parsing takes a noticeable fraction of a second, so it happens once per process and only when first needed.
    private static readonly Lazy<NasBench201Table> SharedTable =
        new(LoadEmbedded, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly NasBench201Row[] _rows;
    private readonly int[] _indexByCode;
    private readonly Lazy<Dictionary<string, int>> _indexByArchStr;

    private NasBench201Table(NasBench201Row[] rows)
    {
        _rows = rows;
        _indexByCode = new int[ArchitectureCount];
        Array.Fill(_indexByCode, -1);
        foreach (var row in rows)
        {
            ref var slot = ref _indexByCode[NasBench201Cell.CodeOfOps(row.Ops)];
            if (slot >= 0) throw new InvalidDataException($"Rows {slot} and {row.Index} have the same ops.");
            slot = row.Index;
        }
        // Only a lookup by string needs this map; searches never do, so it is built on first use.
        _indexByArchStr = new(() => rows.ToDictionary(row => row.ArchStr, row => row.Index, StringComparer.Ordinal),
            LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The table embedded in this assembly, parsed on first access.</summary>
    public static NasBench201Table Shared => SharedTable.Value;

    public int Count => _rows.Length;

    /// <summary>All rows in official index order (row i has index i).</summary>
    public IReadOnlyList<NasBench201Row> Rows => _rows;

    public NasBench201Row this[int index] => _rows[index];

    /// <summary>The index of a cell given as tokens (op digit + 1), or -1 when the tokens are not a NAS-Bench-201 cell.</summary>
    public int IndexOf(Architecture architecture) =>
        NasBench201Cell.IsValid(architecture, out _) ? _indexByCode[NasBench201Cell.CodeOfTokens(architecture)] : -1;

    /// <summary>The index of an official architecture string (exact match), or -1.</summary>
    public int IndexOf(string archStr) => _indexByArchStr.Value.GetValueOrDefault(archStr, -1);

    /// <summary>Reads a table from a gzip-compressed CSV in the layout of Data/nasbench201_15625.csv.gz.</summary>
    public static NasBench201Table Load(Stream gzipCsv)
    {
        using var gzip = new GZipStream(gzipCsv, CompressionMode.Decompress, leaveOpen: true);
        using var reader = new StreamReader(gzip);
        var rows = NasBench201CsvReader.Read(reader);
        if (rows.Length != ArchitectureCount)
            throw new InvalidDataException($"Expected {ArchitectureCount} NAS-Bench-201 rows, found {rows.Length}.");
        return new NasBench201Table(rows);
    }

    private static NasBench201Table LoadEmbedded()
    {
        using var stream = typeof(NasBench201Table).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException(
                $"The NAS-Bench-201 table '{ResourceName}' is missing from {typeof(NasBench201Table).Assembly.GetName().Name}.");
        return Load(stream);
    }
}
