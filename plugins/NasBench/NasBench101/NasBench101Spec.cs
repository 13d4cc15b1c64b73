using System.Numerics;
using System.Text;

namespace SemiNas.Plugins.NasBench.NasBench101;

/// <summary>
/// A NAS-Bench-101 cell as the benchmark's <c>ModelSpec</c> sees it: <see cref="VertexCount"/> vertices, input first
/// and output last, an upper-triangular adjacency matrix and one operation per interior vertex.
/// Immutable; packs into one <see cref="ulong"/> so that tables of 423,624 cells stay small.
/// </summary>
public sealed class NasBench101Spec : IEquatable<NasBench101Spec>
{
    public const int MaxVertices = 7;

    public const int MaxEdges = 9;

    public const int OperationCount = 3;

    /// <summary>Operation names by benchmark op index, the order of <c>config['available_ops']</c> that the hash labels use.</summary>
    public static IReadOnlyList<string> OperationNames { get; } = ["conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"];

    public const string InputName = "input";

    public const string OutputName = "output";

    // rows[i] has bit j set when there is an edge i -> j.
    private readonly byte[] _rows;
    private readonly byte[] _ops;

    public NasBench101Spec(IReadOnlyList<int> rows, IReadOnlyList<int> ops)
    {
        var n = rows.Count;
        if (n is < 2 or > MaxVertices)
            throw new ArgumentException($"A NAS-Bench-101 cell has 2..{MaxVertices} vertices, not {n}.", nameof(rows));
        if (ops.Count != n - 2)
            throw new ArgumentException($"A cell of {n} vertices has {n - 2} interior operations, not {ops.Count}.", nameof(ops));
        _rows = new byte[n];
        for (var i = 0; i < n; i++)
        {
            // Upper triangular: only edges to later vertices, as ModelSpec requires.
            var allowed = ((1 << n) - 1) & ~((1 << (i + 1)) - 1);
            if ((rows[i] & ~allowed) != 0)
                throw new ArgumentException($"Row {i} has edges outside the upper triangle of a {n}x{n} matrix.", nameof(rows));
            _rows[i] = (byte)rows[i];
        }
        _ops = new byte[ops.Count];
        for (var i = 0; i < ops.Count; i++)
        {
            if ((uint)ops[i] >= OperationCount)
                throw new ArgumentException($"Operation {ops[i]} of vertex {i + 1} is not 0..{OperationCount - 1}.", nameof(ops));
            _ops[i] = (byte)ops[i];
        }
    }

    public int VertexCount => _rows.Length;

    public int EdgeCount
    {
        get
        {
            var edges = 0;
            foreach (var row in _rows) edges += BitOperations.PopCount(row);
            return edges;
        }
    }

    /// <summary>Operation index (0 conv3x3, 1 conv1x1, 2 maxpool) of interior vertex 1..n-2.</summary>
    public int Operation(int vertex) => _ops[vertex - 1];

    public bool HasEdge(int from, int to) => (_rows[from] >> to & 1) != 0;

    /// <summary>Row <paramref name="vertex"/> of the adjacency matrix as a bit mask (bit j: edge to j).</summary>
    public int Row(int vertex) => _rows[vertex];

    /// <summary>
    /// The hash's vertex labels: -1 input, -2 output, the op index otherwise (<c>ModelSpec.hash_spec</c>).
    /// </summary>
    public int Label(int vertex) => vertex == 0 ? -1 : vertex == VertexCount - 1 ? -2 : _ops[vertex - 1];

    /// <summary>
    /// <c>ModelSpec._prune</c>: drops every vertex that is not on a path from input to output. Null when no such
    /// path exists (the benchmark's "disconnected" spec).
    /// </summary>
    public NasBench101Spec? Pruned()
    {
        var n = VertexCount;
        var fromInput = 1;
        for (var v = 0; v < n; v++)
            if ((fromInput >> v & 1) != 0) fromInput |= _rows[v];
        var toOutput = 1 << (n - 1);
        for (var v = n - 1; v >= 0; v--)
            if ((_rows[v] & toOutput) != 0) toOutput |= 1 << v;
        var kept = fromInput & toOutput;
        if ((kept & 1) == 0 || (kept >> (n - 1) & 1) == 0) return null;
        if (kept == (1 << n) - 1) return this;

        var keptVertices = new List<int>(n);
        for (var v = 0; v < n; v++)
            if ((kept >> v & 1) != 0) keptVertices.Add(v);
        var rows = new int[keptVertices.Count];
        for (var i = 0; i < keptVertices.Count; i++)
            for (var j = i + 1; j < keptVertices.Count; j++)
                if (HasEdge(keptVertices[i], keptVertices[j])) rows[i] |= 1 << j;
        var ops = keptVertices.Skip(1).SkipLast(1).Select(v => (int)_ops[v - 1]).ToArray();
        return new NasBench101Spec(rows, ops);
    }

    /// <summary>
    /// The official API's <c>random_spec</c>: every edge of the upper triangle with probability one half and every
    /// operation uniform, redrawn until the pruned cell is valid (input reaches output, at most 9 edges); returned pruned.
    /// Cells with many isomorphic drawings come more often, as they do there.
    /// </summary>
    public static NasBench101Spec Random(Random random)
    {
        var rows = new int[MaxVertices];
        var ops = new int[MaxVertices - 2];
        while (true)
        {
            for (var i = 0; i < MaxVertices; i++) rows[i] = random.Next(1 << MaxVertices) & ~((1 << (i + 1)) - 1);
            for (var i = 0; i < ops.Length; i++) ops[i] = random.Next(OperationCount);
            if (new NasBench101Spec(rows, ops).Pruned() is { EdgeCount: <= MaxEdges } pruned) return pruned;
        }
    }

    /// <summary>The benchmark's module hash (<see cref="NasBench101Hash"/>) of this spec as it is (prune first).</summary>
    public string Hash() => NasBench101Hash.Compute(this);

    /// <summary>
    /// Packs the cell into 62 bits: adjacency bit i*7+j (0..48), vertex count (49..51), op of vertex k at bits
    /// 52+2(k-1). <see cref="Unpack"/> reverses it.
    /// </summary>
    public ulong Pack()
    {
        ulong code = 0;
        for (var i = 0; i < VertexCount; i++) code |= (ulong)_rows[i] << (i * MaxVertices);
        code |= (ulong)VertexCount << 49;
        for (var k = 0; k < _ops.Length; k++) code |= (ulong)_ops[k] << (52 + 2 * k);
        return code;
    }

    public static NasBench101Spec Unpack(ulong code)
    {
        var n = (int)(code >> 49 & 7);
        var rows = new int[n];
        for (var i = 0; i < n; i++) rows[i] = (int)(code >> (i * MaxVertices) & 0x7F);
        var ops = new int[Math.Max(0, n - 2)];
        for (var k = 0; k < ops.Length; k++) ops[k] = (int)(code >> (52 + 2 * k) & 3);
        return new NasBench101Spec(rows, ops);
    }

    /// <summary>
    /// Reads the benchmark's own layout: a row-major string of n*n '0'/'1' and the operation names from input to
    /// output. Errors say which part is wrong; the caller adds where it came from.
    /// </summary>
    public static NasBench101Spec Parse(ReadOnlySpan<char> adjacency, IReadOnlyList<int> interiorOps)
    {
        var n = (int)Math.Round(Math.Sqrt(adjacency.Length));
        if (n * n != adjacency.Length)
            throw new FormatException($"an adjacency of {adjacency.Length} digits is not a square matrix");
        if (n is < 2 or > MaxVertices) throw new FormatException($"a matrix of {n} vertices is outside 2..{MaxVertices}");
        var rows = new int[n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
            {
                var digit = adjacency[i * n + j];
                if (digit == '1')
                {
                    if (j <= i) throw new FormatException($"edge {i}->{j} is not upper triangular");
                    rows[i] |= 1 << j;
                }
                else if (digit != '0')
                {
                    throw new FormatException($"adjacency digit {i * n + j} is '{digit}', not 0 or 1");
                }
            }
        if (interiorOps.Count != n - 2)
            throw new FormatException($"{interiorOps.Count} interior operations for {n} vertices (expected {n - 2})");
        return new NasBench101Spec(rows, interiorOps);
    }

    /// <summary>The operation index of a benchmark operation name, or -1.</summary>
    public static int OperationIndex(ReadOnlySpan<char> name)
    {
        for (var op = 0; op < OperationCount; op++)
            if (name.SequenceEqual(OperationNames[op])) return op;
        return -1;
    }

    /// <summary>The adjacency as the benchmark writes it: n*n '0'/'1', row major.</summary>
    public string AdjacencyString()
    {
        var text = new StringBuilder(VertexCount * VertexCount);
        for (var i = 0; i < VertexCount; i++)
            for (var j = 0; j < VertexCount; j++) text.Append(HasEdge(i, j) ? '1' : '0');
        return text.ToString();
    }

    /// <summary>The cell in the notation of the official API, ready to paste into <c>api.ModelSpec(...)</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder("matrix=[");
        for (var i = 0; i < VertexCount; i++)
        {
            if (i > 0) text.Append(", ");
            text.Append('[');
            for (var j = 0; j < VertexCount; j++) text.Append(j > 0 ? ", " : "").Append(HasEdge(i, j) ? '1' : '0');
            text.Append(']');
        }
        text.Append("], ops=['").Append(InputName).Append('\'');
        foreach (var op in _ops) text.Append(", '").Append(OperationNames[op]).Append('\'');
        return text.Append(", '").Append(OutputName).Append("'])").ToString();
    }

    public bool Equals(NasBench101Spec? other) =>
        other is not null && _rows.AsSpan().SequenceEqual(other._rows) && _ops.AsSpan().SequenceEqual(other._ops);

    public override bool Equals(object? obj) => Equals(obj as NasBench101Spec);

    public override int GetHashCode() => Pack().GetHashCode();
}
