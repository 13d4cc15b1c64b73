using SemiNas.Contracts;

namespace SemiNas.Plugins.NasBench;

/// <summary>
/// The NAS-Bench-201 cell as 6 tokens, one per edge in architecture-string order (0→1, 0→2, 1→2, 0→3, 1→3, 2→3);
/// token = op digit + 1: 1 none, 2 skip_connect, 3 nor_conv_1x1, 4 nor_conv_3x3, 5 avg_pool_3x3.
/// </summary>
public sealed class NasBench201SearchSpace(NasBench201Table table) : IEnumerableSearchSpace, IArchitectureNotation
{
    private static readonly IReadOnlyList<int> AnyOperation =
        Enumerable.Range(NasBench201Cell.FirstToken, NasBench201Cell.OperationCount).ToArray();

    private static readonly IReadOnlyList<IReadOnlyList<int>> AllowedEverywhere =
        Enumerable.Repeat(AnyOperation, NasBench201Cell.EdgeCount).ToArray();

    public NasBench201SearchSpace() : this(NasBench201Table.Shared)
    {
    }

    public int Length => NasBench201Cell.EdgeCount;

    public int VocabularySize => NasBench201Cell.LastToken + 1;

    public IReadOnlyList<IReadOnlyList<int>> AllowedTokens => AllowedEverywhere;

    /// <summary>Every token sequence is a cell, so drawing each edge uniformly draws the cells uniformly.</summary>
    public Architecture Sample(Random random)
    {
        var tokens = new int[NasBench201Cell.EdgeCount];
        for (var edge = 0; edge < tokens.Length; edge++)
            tokens[edge] = random.Next(NasBench201Cell.FirstToken, NasBench201Cell.LastToken + 1);
        return new Architecture(tokens);
    }

    /// <summary>All 15,625 cells in official index order.</summary>
    public IEnumerable<Architecture> EnumerateAll() => table.Rows.Select(row => row.ToArchitecture());

    public bool IsValid(Architecture architecture, out string? reason) =>
        NasBench201Cell.IsValid(architecture, out reason);

    /// <summary>The isomorphism class ("iso:" + its smallest index), so functionally equal cells are evaluated once.</summary>
    public string CanonicalKey(Architecture architecture) => $"iso:{RowOf(architecture).IsoRep}";

    /// <summary>The official architecture string; an invalid sequence is shown with the reason.</summary>
    public string Describe(Architecture architecture) =>
        NasBench201Cell.IsValid(architecture, out var reason)
            ? table[table.IndexOf(architecture)].ArchStr
            : $"{architecture} (not a NAS-Bench-201 cell: {reason})";

    /// <summary>The official architecture string, as the benchmark's papers and API print it.</summary>
    public Architecture ParseNotation(string text) => NasBench201Cell.ParseArchStr(text);

    /// <summary>The table row of a valid cell; an invalid one is an argument error carrying the reason.</summary>
    internal NasBench201Row RowOf(Architecture architecture)
    {
        var index = table.IndexOf(architecture);
        if (index >= 0) return table[index];
        NasBench201Cell.IsValid(architecture, out var reason);
        throw new ArgumentException(reason ?? $"{architecture} is not in the NAS-Bench-201 table.", nameof(architecture));
    }
}
