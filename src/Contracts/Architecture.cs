using System.Globalization;

namespace SemiNas.Contracts;

/// <summary>
/// A candidate architecture as the controller sees it: a fixed-length sequence of tokens.
/// Token 0 is reserved (the controller's start symbol), so search spaces use tokens from 1 upwards.
/// Two architectures are equal when their tokens are equal; equivalence (isomorphism) is the search space's
/// <see cref="ISearchSpace.CanonicalKey"/>.
/// </summary>
public sealed class Architecture : IEquatable<Architecture>
{
    private readonly int[] _tokens;

    public Architecture(IEnumerable<int> tokens)
    {
        _tokens = tokens.ToArray();
        if (_tokens.Length == 0) throw new ArgumentException("An architecture needs at least one token.", nameof(tokens));
    }

    public IReadOnlyList<int> Tokens => _tokens;

    public int Length => _tokens.Length;

    public int this[int position] => _tokens[position];

    /// <summary>Parses space- or comma-separated tokens, e.g. "4 4 2 4 1 4".</summary>
    public static Architecture Parse(string text)
    {
        var parts = text.Split([' ', ',', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new FormatException("An architecture needs at least one token.");
        var tokens = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out tokens[i]))
                throw new FormatException($"Token {i + 1} ('{parts[i]}') is not an integer.");
        }
        return new Architecture(tokens);
    }

    public bool Equals(Architecture? other) => other is not null && _tokens.AsSpan().SequenceEqual(other._tokens);

    public override bool Equals(object? obj) => Equals(obj as Architecture);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var t in _tokens) hash.Add(t);
        return hash.ToHashCode();
    }

    /// <summary>The tokens separated by single spaces; <see cref="Parse"/> reads it back.</summary>
    public override string ToString() => string.Join(' ', _tokens);
}
