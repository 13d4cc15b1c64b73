namespace SemiNas.Contracts;

/// <summary>
/// Optional, for spaces that can evaluate only part of their architectures (a benchmark slice that holds some cells
/// of a larger space; see also <see cref="IUnlabelledSampler"/>). <see cref="ISearchSpace.IsValid"/> stays the rule of
/// the search, which proposes only what can be evaluated; <see cref="IsInSpace"/> says whether an architecture belongs
/// to the whole space, so that <c>seminas describe</c> calls such a cell valid, with its canonical key, and says
/// separately that it has no result.
/// </summary>
public interface IPartlyEvaluableSpace : ISearchSpace
{
    /// <summary>Whether the architecture belongs to the whole space, evaluable or not; when not, <paramref name="reason"/> says why.</summary>
    bool IsInSpace(Architecture architecture, out string? reason);
}
