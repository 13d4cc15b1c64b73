using SemiNas.Contracts;

namespace SemiNas.Host.Tests.Experiments;

/// <summary>The space of the in-process test plugins: 4 positions of tokens 1..3 (81 architectures).</summary>
public sealed class TinySpace : ISearchSpace
{
    public int Length => 4;

    public int VocabularySize => 4;

    public IReadOnlyList<IReadOnlyList<int>> AllowedTokens { get; } = Enumerable.Repeat<IReadOnlyList<int>>([1, 2, 3], 4).ToList();

    public Architecture Sample(Random random) => new(Enumerable.Range(0, 4).Select(_ => random.Next(1, 4)));

    public bool IsValid(Architecture architecture, out string? reason)
    {
        reason = architecture.Length == 4 && architecture.Tokens.All(t => t is >= 1 and <= 3) ? null : "4 tokens of 1..3";
        return reason is null;
    }

    public string CanonicalKey(Architecture architecture) => architecture.ToString();

    public string Describe(Architecture architecture) => architecture.ToString();
}
