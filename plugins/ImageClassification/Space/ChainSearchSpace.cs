using SemiNas.Contracts;

namespace SemiNas.ImageClassification;

/// <summary>
/// One token per searchable layer, the operation's position in <see cref="ChainSpec.Operations"/> plus one (the
/// paper's encoding with the default operations: 1 = k3e3, 2 = k3e6, 3 = k5e3, 4 = k5e6, 5 = k7e3, 6 = k7e6, 7 = zero).
/// The first layer of a stage changes the width or the stride, so it cannot be skipped: zero is masked there.
/// </summary>
public sealed class ChainSearchSpace : ISearchSpace
{
    private readonly ChainSpec _chain;
    private readonly int[] _all;
    private readonly int[] _nonZero;

    private readonly bool _positionalKeys;

    /// <param name="positionalKeys">True when a layer's weights depend on its position (the supernet), so moving a
    /// zero layer within a stage gives another candidate; false when each candidate is its own network.</param>
    public ChainSearchSpace(ChainSpec chain, bool positionalKeys = true)
    {
        _chain = chain;
        _positionalKeys = positionalKeys;
        _all = Enumerable.Range(1, chain.Operations.Count).ToArray();
        _nonZero = _all.Where(t => t != chain.ZeroToken).ToArray();
        AllowedTokens = chain.Layers.Select(l => (IReadOnlyList<int>)(l.IsStageFirst ? _nonZero : _all)).ToArray();
    }

    public ChainSpec Chain => _chain;

    public int Length => _chain.Layers.Count;

    public int VocabularySize => _chain.Operations.Count + 1;

    public IReadOnlyList<IReadOnlyList<int>> AllowedTokens { get; }

    /// <summary>Uniform over the allowed operations of each layer, as the paper's generate_arch does.</summary>
    public Architecture Sample(Random random) =>
        new(AllowedTokens.Select(allowed => allowed[random.Next(allowed.Count)]));

    public bool IsValid(Architecture architecture, out string? reason)
    {
        reason = null;
        if (architecture.Length != Length)
            reason = $"expected {Length} tokens (one per searchable layer), got {architecture.Length}";
        else
        {
            for (var i = 0; i < Length && reason is null; i++)
            {
                if (!AllowedTokens[i].Contains(architecture[i]))
                    reason = architecture[i] == _chain.ZeroToken
                        ? $"layer {i + 1} is the first of stage {_chain.Layers[i].Stage + 1} and cannot be zero"
                        : $"token {architecture[i]} at layer {i + 1} is not an operation (1..{_chain.Operations.Count})";
            }
        }
        return reason is null;
    }

    // A zero layer is an identity, so within a stage only the order of the other operations matters: a standalone
    // network is the same wherever its zeros stand, and the key moves them to the stage's end. The supernet's weights
    // are per position, so there (as in the paper) every token sequence is its own candidate.
    public string CanonicalKey(Architecture architecture)
    {
        if (_positionalKeys || _chain.ZeroToken == 0) return architecture.ToString();
        var tokens = _chain.Layers.GroupBy(l => l.Stage).SelectMany(stage =>
        {
            var ops = stage.Select(l => architecture[l.Index]).ToList();
            return ops.Where(t => t != _chain.ZeroToken).Concat(ops.Where(t => t == _chain.ZeroToken));
        });
        return string.Join(' ', tokens);
    }

    /// <summary>Per stage, e.g. "[k7e6 k7e3 k3e3 zero] [k5e6 ...]".</summary>
    public string Describe(Architecture architecture) =>
        string.Join(' ', _chain.Layers.GroupBy(l => l.Stage).Select(stage =>
            "[" + string.Join(' ', stage.Select(l => _chain.Operation(architecture[l.Index]).Name)) + "]"));
}
