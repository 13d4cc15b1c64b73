namespace SemiNas.Contracts;

/// <summary>
/// A search space of fixed-length token sequences. The shared controller only ever sees this interface.
/// </summary>
public interface ISearchSpace
{
    /// <summary>Number of tokens in every architecture.</summary>
    int Length { get; }

    /// <summary>One more than the largest token: the controller's vocabulary size (token 0 is its start symbol).</summary>
    int VocabularySize { get; }

    /// <summary>For each position, the tokens that may stand there (the decoder's per-position mask).</summary>
    IReadOnlyList<IReadOnlyList<int>> AllowedTokens { get; }

    /// <summary>Draws one valid architecture. All randomness must come from <paramref name="random"/>.</summary>
    Architecture Sample(Random random);

    /// <summary>Whether the architecture is valid; when not, <paramref name="reason"/> says why.</summary>
    bool IsValid(Architecture architecture, out string? reason);

    /// <summary>
    /// A key that is equal for equivalent architectures (for example isomorphic cells), so that each one is
    /// evaluated once. Only called on valid architectures.
    /// </summary>
    string CanonicalKey(Architecture architecture);

    /// <summary>A human-readable form, e.g. the benchmark's own architecture string.</summary>
    string Describe(Architecture architecture);
}

/// <summary>
/// Optional, for spaces small enough to list (tabular benchmarks): every architecture, each canonical class once
/// or more. Benchmarks use it to know the optimum a search could have found.
/// </summary>
public interface IEnumerableSearchSpace : ISearchSpace
{
    IEnumerable<Architecture> EnumerateAll();
}

/// <summary>
/// Optional, for spaces that can evaluate only part of their valid architectures (a benchmark slice that holds some
/// cells of a larger space). Pseudo-labels need no evaluation, so semi-supervised strategies draw the architectures
/// the predictor labels from the whole space through this, as the paper does, instead of from <see cref="ISearchSpace.Sample"/>.
/// </summary>
public interface IUnlabelledSampler : ISearchSpace
{
    /// <summary>Draws one valid architecture of the whole space, evaluable or not. All randomness from <paramref name="random"/>.</summary>
    Architecture SampleUnlabelled(Random random);
}

/// <summary>
/// Optional, for spaces with a notation of their own (a benchmark's architecture string such as NAS-Bench-201's
/// <c>|nor_conv_3x3~0|+|...|</c>): lets users write architectures as they read them in papers, wherever the host
/// accepts an architecture (<c>describe --arch</c>, <c>train --arch</c>). Token lists are always accepted too.
/// </summary>
public interface IArchitectureNotation : ISearchSpace
{
    /// <summary>Reads the space's own notation; throws <see cref="FormatException"/> saying what is wrong.</summary>
    Architecture ParseNotation(string text);
}
