using SemiNas.Contracts;

namespace SemiNas.Core;

/// <summary>
/// A trial's lifecycle, the one the store records and strategies read: WAITING (proposed, not started, or interrupted
/// and due to re-run) → RUNNING → COMPLETE or FAILED. Only COMPLETE and FAILED are final.
/// </summary>
public enum TrialState
{
    Waiting,
    Running,
    Complete,
    Failed,
}

/// <summary>What a strategy may know of one trial.</summary>
/// <param name="Objective">The objective metric of a complete trial; null otherwise.</param>
/// <param name="Feasible">False when a constraint on an evaluated metric was violated.</param>
/// <param name="Metrics">Every metric known of the trial: the cheap ones from the start, the evaluated ones once it
/// finished (a multi-objective or cost-aware strategy reads them).</param>
public sealed record TrialView(
    int Number, Architecture Architecture, string CanonicalKey, TrialState Status, double? Objective, bool Feasible,
    IReadOnlyDictionary<string, double>? Metrics = null)
{
    private static readonly IReadOnlyDictionary<string, double> NoMetrics = new Dictionary<string, double>();

    public IReadOnlyDictionary<string, double> Metrics { get; init; } = Metrics ?? NoMetrics;

    /// <summary>Complete, feasible and with an objective value: labelled data for a learning strategy.</summary>
    public bool IsScored => this is { Status: TrialState.Complete, Feasible: true, Objective: not null };

    /// <summary>Proposed and not finished yet: waiting or running (a strategy need not tell them apart).</summary>
    public bool IsPending => Status is TrialState.Waiting or TrialState.Running;
}

/// <summary>All trials of an experiment in the order they were proposed.</summary>
public sealed class SearchHistory
{
    private readonly List<TrialView> _trials = [];
    private readonly Dictionary<string, TrialView> _byKey = new(StringComparer.Ordinal);

    public SearchHistory(IEnumerable<TrialView>? trials = null)
    {
        foreach (var trial in trials ?? []) Add(trial);
    }

    public IReadOnlyList<TrialView> Trials => _trials;

    public int PendingCount { get; private set; }

    public bool ContainsKey(string canonicalKey) => _byKey.ContainsKey(canonicalKey);

    /// <summary>The trial with this canonical key, or null.</summary>
    public TrialView? Find(string canonicalKey) => _byKey.GetValueOrDefault(canonicalKey);

    /// <summary>Complete, feasible trials with an objective value: the labelled data of a learning strategy.</summary>
    public IEnumerable<TrialView> Scored => _trials.Where(t => t.IsScored);

    public void Add(TrialView trial)
    {
        if (!_byKey.TryAdd(trial.CanonicalKey, trial))
            throw new InvalidOperationException($"Trial {trial.Number} repeats the canonical key '{trial.CanonicalKey}'.");
        _trials.Add(trial);
        if (trial.IsPending) PendingCount++;
    }

    /// <summary>Replaces a trial (matched by number) with its new status, e.g. when it completes.</summary>
    public void Update(TrialView trial)
    {
        var index = _trials.FindIndex(t => t.Number == trial.Number);
        if (index < 0) throw new InvalidOperationException($"Unknown trial {trial.Number}.");
        if (_trials[index].IsPending) PendingCount--;
        if (trial.IsPending) PendingCount++;
        _trials[index] = trial;
        _byKey[trial.CanonicalKey] = trial;
    }
}
