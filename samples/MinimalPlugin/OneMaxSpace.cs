using SemiNas.Contracts;

namespace SemiNas.Samples.MinimalPlugin;

/// <summary>
/// Bit strings of a fixed length. Token 0 is the controller's start symbol, so a 0 bit is token 1 and a 1 bit token 2.
/// </summary>
public sealed class OneMaxSpace(int length) : ISearchSpace
{
    public const int Zero = 1;
    public const int One = 2;

    public int Length => length;

    public int VocabularySize => One + 1;

    public IReadOnlyList<IReadOnlyList<int>> AllowedTokens { get; } =
        Enumerable.Repeat<IReadOnlyList<int>>([Zero, One], length).ToArray();

    public Architecture Sample(Random random) =>
        new(Enumerable.Range(0, length).Select(_ => random.Next(Zero, One + 1)));

    public bool IsValid(Architecture architecture, out string? reason)
    {
        reason = architecture.Length != length ? $"expected {length} tokens, got {architecture.Length}"
            : architecture.Tokens.Any(t => t is not (Zero or One)) ? $"every token must be {Zero} or {One}"
            : null;
        return reason is null;
    }

    // No two bit strings are equivalent, so the tokens are the key. A space with symmetries (isomorphic cells)
    // would map every equivalent architecture to one normal form here, so that the host evaluates it once.
    public string CanonicalKey(Architecture architecture) => architecture.ToString();

    public string Describe(Architecture architecture) =>
        string.Concat(architecture.Tokens.Select(t => t == One ? '1' : '0'));

    public static int CountOnes(Architecture architecture) => architecture.Tokens.Count(t => t == One);
}
