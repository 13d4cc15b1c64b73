using SemiNas.Contracts;

namespace SemiNas.Plugins.NasBench;

/// <summary>
/// The NAS-Bench-201 cell: 4 nodes, 6 edges, one of 5 operations per edge, and how it maps to controller tokens.
/// </summary>
public static class NasBench201Cell
{
    public const int EdgeCount = 6;

    public const int OperationCount = 5;

    /// <summary>Smallest token; token = op digit + 1 because token 0 is the controller's start symbol.</summary>
    public const int FirstToken = 1;

    public const int LastToken = OperationCount;

    /// <summary>Operation names by op digit (0..4), as they appear in the official architecture string.</summary>
    public static IReadOnlyList<string> OperationNames { get; } =
        ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"];

    /// <summary>The edges (from node, to node) in the order of the architecture string and of the tokens.</summary>
    public static IReadOnlyList<(int From, int To)> Edges { get; } = [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)];

    public static int TokenOf(int op) => op + FirstToken;

    public static int OpOf(int token) => token - FirstToken;

    public static Architecture ToArchitecture(IReadOnlyList<int> ops)
    {
        var tokens = new int[ops.Count];
        for (var edge = 0; edge < tokens.Length; edge++) tokens[edge] = TokenOf(ops[edge]);
        return new Architecture(tokens);
    }

    /// <summary>Whether the tokens describe a cell: exactly 6 tokens, each in 1..5.</summary>
    public static bool IsValid(Architecture architecture, out string? reason)
    {
        if (architecture.Length != EdgeCount)
        {
            reason = $"A NAS-Bench-201 cell has {EdgeCount} tokens (one per edge), not {architecture.Length}.";
            return false;
        }
        for (var edge = 0; edge < EdgeCount; edge++)
        {
            var token = architecture[edge];
            if (token is < FirstToken or > LastToken)
            {
                reason = $"Token {edge + 1} is {token}; NAS-Bench-201 tokens are {FirstToken}..{LastToken} " +
                         $"({string.Join(", ", OperationNames.Select((name, op) => $"{TokenOf(op)} {name}"))}).";
                return false;
            }
        }
        reason = null;
        return true;
    }

    /// <summary>
    /// Reads the official architecture string, e.g. <c>|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|</c>:
    /// node 1, 2 and 3's inputs separated by '+', each input "op~from", in edge order.
    /// </summary>
    public static Architecture ParseArchStr(string text)
    {
        var nodes = text.Trim().Split('+');
        if (nodes.Length != 3)
            throw new FormatException($"a NAS-Bench-201 string has 3 nodes separated by '+', this one has {nodes.Length}.");
        var ops = new List<int>(EdgeCount);
        for (var node = 1; node <= 3; node++)
        {
            var inputs = nodes[node - 1].Split('|', StringSplitOptions.RemoveEmptyEntries);
            if (inputs.Length != node)
                throw new FormatException($"node {node} has {node} inputs ('|op~from|'), '{nodes[node - 1]}' has {inputs.Length}.");
            for (var from = 0; from < node; from++)
            {
                var parts = inputs[from].Split('~');
                var op = parts.Length == 2 ? OperationNames.ToList().IndexOf(parts[0]) : -1;
                if (op < 0 || parts[1] != from.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    throw new FormatException($"input {from + 1} of node {node} is '{inputs[from]}'; expected 'op~{from}' with op one of {string.Join(", ", OperationNames)}.");
                ops.Add(op);
            }
        }
        return ToArchitecture(ops);
    }

    /// <summary>
    /// A dense number 0..15624 for a cell (its ops read as a base-5 number). Every combination of ops is a
    /// benchmark cell, so this indexes a plain array instead of a dictionary.
    /// </summary>
    internal static int CodeOfOps(IReadOnlyList<int> ops)
    {
        var code = 0;
        for (var edge = 0; edge < EdgeCount; edge++) code = code * OperationCount + ops[edge];
        return code;
    }

    /// <summary>As <see cref="CodeOfOps"/>, for tokens already checked by <see cref="IsValid"/>.</summary>
    internal static int CodeOfTokens(Architecture architecture)
    {
        var code = 0;
        for (var edge = 0; edge < EdgeCount; edge++) code = code * OperationCount + OpOf(architecture[edge]);
        return code;
    }
}
