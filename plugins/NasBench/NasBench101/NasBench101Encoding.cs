using SemiNas.Contracts;

namespace SemiNas.Plugins.NasBench.NasBench101;

/// <summary>
/// The SemiNAS paper's 27-token sequence of a NAS-Bench-101 cell (official code <c>nasbench/utils.py</c>):
/// for each column j = 1..6 of the 7x7 adjacency matrix, the j tokens of <c>adj[0..j-1][j]</c> (1 no edge, 2 edge),
/// then the operation of vertex j (3 conv1x1, 4 conv3x3, 5 maxpool3x3, 6 output). A cell of n &lt; 7 vertices
/// has its output at column n-1 and every later column written as zeros (padding, j+1 tokens each).
/// </summary>
public static class NasBench101Encoding
{
    public const int Length = 27;

    public const int Columns = NasBench101Spec.MaxVertices - 1;

    public const int PadToken = 0;

    public const int NoEdgeToken = 1;

    public const int EdgeToken = 2;

    public const int Conv1x1Token = 3;

    public const int Conv3x3Token = 4;

    public const int MaxPoolToken = 5;

    public const int OutputToken = 6;

    /// <summary>Token 0 is the padding (and the controller's start symbol), so the vocabulary is 0..6.</summary>
    public const int VocabularySize = OutputToken + 1;

    /// <summary>0-based positions of the operation tokens: 1, 4, 8, 13, 19, 26 (<c>(j+3)j/2 - 1</c>).</summary>
    public static IReadOnlyList<int> OperationPositions { get; } =
        Enumerable.Range(1, Columns).Select(OperationPosition).ToArray();

    // By benchmark op index (conv3x3, conv1x1, maxpool), the paper's tokens.
    private static readonly int[] TokenOfOperation = [Conv3x3Token, Conv1x1Token, MaxPoolToken];

    /// <summary>Position of the operation token of column (vertex) j.</summary>
    public static int OperationPosition(int column) => (column + 3) * column / 2 - 1;

    /// <summary>Position of the first edge token of column j (edge 0 -> j).</summary>
    public static int ColumnStart(int column) => OperationPosition(column) - column;

    public static int TokenOf(int operation) => TokenOfOperation[operation];

    /// <summary>
    /// The decoder's mask: edges 1 or 2; interior operations 3..5; the last operation is the output. Stricter than the
    /// official NeurIPS decoder, which also lets "output" win at interior positions only to reject the result as
    /// invalid; the v1 code used exactly this mask. Padding never needs generating: a 7-vertex sequence whose extra
    /// vertices are off every input-output path prunes to the smaller cell.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<int>> AllowedTokens { get; } = BuildAllowedTokens();

    /// <summary>The sequence of a cell: its vertices as they are (prune first for the canonical form), padded to 27 tokens.</summary>
    public static Architecture Encode(NasBench101Spec spec)
    {
        var tokens = new int[Length];
        var n = spec.VertexCount;
        for (var column = 1; column <= Columns; column++)
        {
            var start = ColumnStart(column);
            if (column >= n) continue; // padding: zeros
            for (var row = 0; row < column; row++) tokens[start + row] = spec.HasEdge(row, column) ? EdgeToken : NoEdgeToken;
            tokens[start + column] = column == n - 1 ? OutputToken : TokenOf(spec.Operation(column));
        }
        return new Architecture(tokens);
    }

    /// <summary>
    /// The cell a sequence writes, before pruning, or null with the reason when the tokens do not form one
    /// (wrong length, a token out of place, output before the last vertex, padding that does not follow the output).
    /// </summary>
    public static NasBench101Spec? Decode(Architecture architecture, out string? reason)
    {
        if (architecture.Length != Length)
        {
            reason = $"A NAS-Bench-101 sequence has {Length} tokens, not {architecture.Length}.";
            return null;
        }
        var rows = new int[NasBench101Spec.MaxVertices];
        var ops = new List<int>(NasBench101Spec.MaxVertices - 2);
        var vertices = NasBench101Spec.MaxVertices;
        for (var column = 1; column <= Columns; column++)
        {
            var start = ColumnStart(column);
            var opPosition = start + column;
            if (IsPadding(architecture, start, opPosition))
            {
                if (column == 1)
                {
                    reason = "Column 1 is padding: a cell needs at least an input and an output vertex.";
                    return null;
                }
                if (architecture[OperationPosition(column - 1)] != OutputToken)
                {
                    reason = $"Column {column} is padding but vertex {column - 1} (token {OperationPosition(column - 1) + 1}) " +
                             $"is not the output ({OutputToken}); padding may only follow the output.";
                    return null;
                }
                for (var later = column + 1; later <= Columns; later++)
                    if (!IsPadding(architecture, ColumnStart(later), OperationPosition(later)))
                    {
                        reason = $"Column {later} has tokens after the padding that starts at column {column}.";
                        return null;
                    }
                vertices = column;
                break;
            }

            for (var row = 0; row < column; row++)
            {
                var token = architecture[start + row];
                if (token is not (NoEdgeToken or EdgeToken))
                {
                    reason = $"Token {start + row + 1} (edge {row}->{column}) is {token}; edge tokens are " +
                             $"{NoEdgeToken} (no edge) or {EdgeToken} (edge).";
                    return null;
                }
                if (token == EdgeToken) rows[row] |= 1 << column;
            }
            var opToken = architecture[opPosition];
            if (opToken == OutputToken)
            {
                if (column < Columns && !IsPadding(architecture, ColumnStart(column + 1), OperationPosition(column + 1)))
                {
                    reason = $"Token {opPosition + 1} puts the output at vertex {column}, but column {column + 1} is not padding; " +
                             "the output must be the last vertex.";
                    return null;
                }
                continue;
            }
            if (column == Columns)
            {
                reason = $"Token {opPosition + 1} (vertex 6) is {opToken}; the last vertex of a 7-vertex cell is the output ({OutputToken}).";
                return null;
            }
            var operation = Array.IndexOf(TokenOfOperation, opToken);
            if (operation < 0)
            {
                reason = $"Token {opPosition + 1} (operation of vertex {column}) is {opToken}; operations are " +
                         $"{Conv1x1Token} conv1x1-bn-relu, {Conv3x3Token} conv3x3-bn-relu, {MaxPoolToken} maxpool3x3 or {OutputToken} output.";
                return null;
            }
            ops.Add(operation);
        }
        reason = null;
        return new NasBench101Spec(rows[..vertices], ops);
    }

    /// <summary>
    /// The cell the benchmark would evaluate for these tokens: decoded, pruned and checked as
    /// <c>nasbench.api.NASBench.is_valid</c> does (connected input to output, at most 9 edges, at most 7 vertices).
    /// </summary>
    public static NasBench101Spec? DecodeValid(Architecture architecture, out string? reason)
    {
        var raw = Decode(architecture, out reason);
        if (raw is null) return null;
        var pruned = raw.Pruned();
        if (pruned is null)
        {
            reason = "No path leads from the input to the output (the benchmark's \"disconnected\" cell).";
            return null;
        }
        if (pruned.EdgeCount > NasBench101Spec.MaxEdges)
        {
            reason = $"The cell has {pruned.EdgeCount} edges after pruning; NAS-Bench-101 allows at most {NasBench101Spec.MaxEdges}.";
            return null;
        }
        reason = null;
        return pruned;
    }

    private static bool IsPadding(Architecture architecture, int start, int opPosition)
    {
        for (var position = start; position <= opPosition; position++)
            if (architecture[position] != PadToken) return false;
        return true;
    }

    private static IReadOnlyList<IReadOnlyList<int>> BuildAllowedTokens()
    {
        IReadOnlyList<int> edge = [NoEdgeToken, EdgeToken];
        IReadOnlyList<int> interior = [Conv1x1Token, Conv3x3Token, MaxPoolToken];
        IReadOnlyList<int> output = [OutputToken];
        var allowed = new IReadOnlyList<int>[Length];
        for (var column = 1; column <= Columns; column++)
        {
            var start = ColumnStart(column);
            for (var row = 0; row < column; row++) allowed[start + row] = edge;
            allowed[start + column] = column == Columns ? output : interior;
        }
        return allowed;
    }
}
