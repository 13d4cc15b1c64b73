using SemiNas.Contracts;

namespace SemiNas.Core;

/// <summary>Why a candidate may or may not be proposed (<see cref="ProposalFilter.Admit"/>).</summary>
public enum Admission
{
    Admitted,
    /// <summary>Not an architecture of the search space.</summary>
    Invalid,
    /// <summary>Its canonical key is in the history: evaluated, pending or failed already.</summary>
    Known,
    /// <summary>Admitted earlier in the same batch.</summary>
    Repeated,
    /// <summary>Outside the experiment's constraints on cheap metrics (<see cref="StrategyContext.IsAdmissible"/>).</summary>
    Inadmissible,
}

/// <summary>
/// The one admissibility rule of a batch of proposals, shared by every strategy and by the runner that checks what
/// they propose: valid in the space, canonical key not in the history, not already in this batch, and within the
/// constraints. An admitted candidate's key is remembered, so a batch never holds an architecture twice.
/// </summary>
public sealed class ProposalFilter
{
    private readonly StrategyContext _context;
    private readonly SearchHistory _history;
    private readonly bool _requireValid;
    private readonly HashSet<string> _batch = new(StringComparer.Ordinal);

    public ProposalFilter(StrategyContext context, SearchHistory history)
        : this(context, history, requireValid: true)
    {
    }

    private ProposalFilter(StrategyContext context, SearchHistory history, bool requireValid)
    {
        _context = context;
        _history = history;
        _requireValid = requireValid;
    }

    /// <summary>
    /// For architectures only a predictor labels (SemiNAS's pseudo-labelled pool): they may lie outside the part of the
    /// space that can be evaluated (<see cref="IUnlabelledSampler"/>), so validity in the space is not asked.
    /// </summary>
    public static ProposalFilter ForUnlabelled(StrategyContext context, SearchHistory history) => new(context, history, requireValid: false);

    /// <summary>Whether <paramref name="candidate"/> may join the batch; when it may, it now belongs to it.</summary>
    public Admission Admit(Architecture candidate, out string? canonicalKey)
    {
        canonicalKey = null;
        if (_requireValid && !_context.Space.IsValid(candidate, out _)) return Admission.Invalid;
        canonicalKey = _context.Space.CanonicalKey(candidate);
        if (_history.ContainsKey(canonicalKey)) return Admission.Known;
        if (_batch.Contains(canonicalKey)) return Admission.Repeated;
        if (!_context.IsAdmissible(candidate)) return Admission.Inadmissible;
        _batch.Add(canonicalKey);
        return Admission.Admitted;
    }

    public bool TryAdmit(Architecture candidate) => Admit(candidate, out _) == Admission.Admitted;
}
