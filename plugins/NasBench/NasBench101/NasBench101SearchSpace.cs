using System.Globalization;
using SemiNas.Contracts;

namespace SemiNas.Plugins.NasBench.NasBench101;

/// <summary>
/// The NAS-Bench-101 cell space in the SemiNAS paper's 27-token encoding (<see cref="NasBench101Encoding"/>).
/// A sequence is valid when it decodes to a cell the benchmark accepts (after pruning: connected, at most 9 edges)
/// <b>and</b> the table holds that cell. With the official data that is every such cell; with the shipped slice
/// only its 20,001 cells, so that nothing outside the slice is ever looked up, and the reason says so; such a cell is
/// still <see cref="IsInSpace">in the space</see>, which is what <c>seminas describe</c> reports.
/// The canonical key is the benchmark's module hash, so isomorphic cells are one architecture.
/// </summary>
public sealed class NasBench101SearchSpace(NasBench101Table table) : IEnumerableSearchSpace, IUnlabelledSampler, IPartlyEvaluableSpace
{
    public NasBench101SearchSpace() : this(NasBench101Table.Slice)
    {
    }

    public NasBench101Table Table { get; } = table;

    public int Length => NasBench101Encoding.Length;

    public int VocabularySize => NasBench101Encoding.VocabularySize;

    public IReadOnlyList<IReadOnlyList<int>> AllowedTokens => NasBench101Encoding.AllowedTokens;

    /// <summary>
    /// A cell of the table drawn uniformly, in its canonical (pruned, padded) form: uniform over the benchmark's
    /// distinct cells, as the official SemiNAS code samples them from the hash list.
    /// </summary>
    public Architecture Sample(Random random) => NasBench101Encoding.Encode(Table.Cell(random.Next(Table.Count)));

    /// <summary>
    /// A cell to pseudo-label. With the official data, a cell of the table (<see cref="Sample"/>: the whole space). With
    /// the slice, a cell of the whole space drawn as the official <c>random_spec</c> draws it, mostly not in the slice:
    /// the paper pseudo-labels cells of the whole space, and they need no recorded accuracy.
    /// </summary>
    public Architecture SampleUnlabelled(Random random) => Table.Source == NasBench101Source.Slice
        ? NasBench101Encoding.Encode(NasBench101Spec.Random(random))
        : Sample(random);

    /// <summary>Every cell of the table once, in its canonical form.</summary>
    public IEnumerable<Architecture> EnumerateAll()
    {
        for (var row = 0; row < Table.Count; row++) yield return NasBench101Encoding.Encode(Table.Cell(row));
    }

    public bool IsValid(Architecture architecture, out string? reason) => RowOf(architecture, out reason) >= 0;

    /// <summary>A cell the benchmark accepts, whether or not the table holds it.</summary>
    public bool IsInSpace(Architecture architecture, out string? reason) =>
        NasBench101Encoding.DecodeValid(architecture, out reason) is not null;

    /// <summary>The benchmark's module hash of the pruned cell (32 hex digits), the key the official files use.</summary>
    public string CanonicalKey(Architecture architecture) =>
        NasBench101Encoding.DecodeValid(architecture, out var reason) is { } cell
            ? HashOf(cell)
            : throw new ArgumentException(reason, nameof(architecture));

    /// <summary>
    /// The pruned cell in the official API's <c>ModelSpec</c> notation, with its hash, whether the table holds it or not
    /// (<see cref="IsValid"/> says which, and <c>seminas describe</c> shows that apart).
    /// </summary>
    public string Describe(Architecture architecture)
    {
        var cell = NasBench101Encoding.DecodeValid(architecture, out var reason);
        return cell is null ? $"{architecture} (not a NAS-Bench-101 cell: {reason})" : $"{cell} hash {HashOf(cell)}";
    }

    /// <summary>The table row of a sequence's cell, or -1 with the reason: not a cell, or a cell the table lacks.</summary>
    public int RowOf(Architecture architecture, out string? reason)
    {
        var cell = NasBench101Encoding.DecodeValid(architecture, out reason);
        if (cell is null) return -1;
        var row = Table.RowOfStoredCell(cell);
        if (row >= 0) return row;
        var hash = cell.Hash();
        row = Table.RowOf(hash);
        reason = row >= 0 ? null : NotInTable(hash);
        return row;
    }

    // A cell in the table's own vertex order has the table's hash; only other orders need hashing.
    private string HashOf(NasBench101Spec cell) =>
        Table.RowOfStoredCell(cell) is var row and >= 0 ? Table.Hash(row) : cell.Hash();

    internal int RequireRow(Architecture architecture) =>
        RowOf(architecture, out var reason) is var row and >= 0 ? row : throw new ArgumentException(reason, nameof(architecture));

    private string NotInTable(string hash) => Table.Source == NasBench101Source.Slice
        ? $"cell {hash} is a valid NAS-Bench-101 cell but not one of the {Count(Table.Count)} cells of the shipped slice, " +
          "so it has no recorded accuracy; set dataFile to the official nasbench_only108.tfrecord to search the whole space"
        : $"cell {hash} is a valid NAS-Bench-101 cell but the data file does not hold it ({Count(Table.Count)} of " +
          $"{Count(NasBench101Table.FullCount)} cells): is the file complete?";

    private static string Count(int count) => count.ToString("N0", CultureInfo.InvariantCulture);
}
