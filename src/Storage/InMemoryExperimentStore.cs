using SemiNas.Core;

namespace SemiNas.Storage;

/// <summary>
/// An <see cref="IExperimentStore"/> that keeps everything in this object and nothing on disk: for benchmarks, which
/// run thousands of short searches through the same loop as <c>seminas search</c> and need its rules (atomic batches,
/// unique keys, states) but not its durability. It passes the same conformance tests as the SQLite store; its data
/// lives as long as the object, and <see cref="Dispose"/> releases nothing.
/// </summary>
public sealed class InMemoryExperimentStore(string artifactDirectory) : IExperimentStore
{
    private readonly Lock _lock = new();
    private readonly List<ExperimentRecord> _experiments = [];
    private readonly List<TrialRecord> _trials = [];
    private readonly Dictionary<long, HashSet<string>> _keys = [];
    private readonly Dictionary<long, byte[]> _states = [];
    private readonly List<TrialAttempt> _attempts = [];
    private readonly Dictionary<long, SortedDictionary<int, StrategyDiagnosticsRecord>> _diagnostics = [];
    private readonly Dictionary<(long Trial, int Step, string Name), IntermediateValue> _values = [];

    public string Location => "memory";

    public string ArtifactDirectory { get; } = artifactDirectory;

    public IReadOnlyCollection<string> DamagedRows => [];

    public IReadOnlyList<ExperimentRecord> ListExperiments()
    {
        lock (_lock) return _experiments.ToList();
    }

    public ExperimentRecord? FindExperiment(string name)
    {
        lock (_lock) return _experiments.FirstOrDefault(e => e.Name == name);
    }

    public ExperimentRecord CreateExperiment(NewExperiment experiment)
    {
        lock (_lock)
        {
            if (_experiments.Any(e => e.Name == experiment.Name))
                throw new StoreException($"{Location} already holds an experiment named '{experiment.Name}'.");
            var record = new ExperimentRecord(_experiments.Count + 1, experiment.Name, experiment.Plugin, experiment.Strategy,
                experiment.Budget, experiment.Objective, experiment.ConfigText, experiment.ConfigJson, experiment.ConfigPath,
                experiment.Fingerprint, experiment.ParentId, DateTimeOffset.UtcNow, FinishedAt: null);
            _experiments.Add(record);
            _keys[record.Id] = new HashSet<string>(StringComparer.Ordinal);
            return record;
        }
    }

    // One process, one object: nobody else can hold the experiment.
    public void AcquireOwnership(long experimentId, TimeSpan staleAfter) => Experiment(experimentId);

    public void ReleaseOwnership(long experimentId)
    {
    }

    // Nobody else can see this store, so there is nobody to tell that its owner lives.
    public void Heartbeat(long experimentId)
    {
    }

    public void SetBudget(long experimentId, int budget) => UpdateExperiment(experimentId, e => e with { Budget = budget, FinishedAt = null });

    public void MarkFinished(long experimentId) => UpdateExperiment(experimentId, e => e with { FinishedAt = DateTimeOffset.UtcNow });

    public IReadOnlyList<TrialRecord> LoadTrials(long experimentId)
    {
        lock (_lock) return _trials.Where(t => t.ExperimentId == experimentId).ToList();
    }

    public TrialRecord LoadTrial(long trialId)
    {
        lock (_lock) return _trials[Index(trialId)];
    }

    public IReadOnlyList<TrialRecord> AddTrials(long experimentId, IReadOnlyList<NewTrial> trials, byte[] strategyState)
    {
        lock (_lock)
        {
            var keys = _keys[Experiment(experimentId).Id];
            var batch = new HashSet<string>(StringComparer.Ordinal);
            foreach (var trial in trials)
            {
                if (keys.Contains(trial.CanonicalKey) || !batch.Add(trial.CanonicalKey))
                    throw new StoreException($"{Location}: architecture '{trial.Architecture}' (key {trial.CanonicalKey}) is already a trial of this experiment.");
            }
            var number = _trials.Where(t => t.ExperimentId == experimentId).Select(t => t.Number).DefaultIfEmpty().Max();
            var now = DateTimeOffset.UtcNow;
            var added = new List<TrialRecord>(trials.Count);
            foreach (var t in trials)
            {
                // A trial's id is its place in the list plus one.
                added.Add(new TrialRecord(_trials.Count + added.Count + 1, experimentId, ++number, t.Architecture, t.CanonicalKey,
                    t.Description, TrialState.Waiting, Objective: null, Feasible: true, Copy(t.CheapMetrics), new Dictionary<string, double>(),
                    Error: null, Attempts: 0, now, StartedAt: null, FinishedAt: null, Heartbeat: null));
            }
            _trials.AddRange(added);
            keys.UnionWith(batch);
            _states[experimentId] = strategyState.ToArray();
            return added;
        }
    }

    public byte[]? LoadStrategyState(long experimentId)
    {
        lock (_lock) return _states.TryGetValue(experimentId, out var state) ? state.ToArray() : null;
    }

    public TrialRecord ClaimTrial(long trialId, string owner, TimeSpan lease, ClaimOptions? options = null)
    {
        lock (_lock)
        {
            var trial = _trials[Index(trialId)];
            if (trial.State != TrialState.Waiting || (options is { Exclusive: true } && AnyRunning(trial.ExperimentId)))
                throw new StoreException(AttemptRules.Unclaimable(Location, trialId, stillWaiting: trial.State == TrialState.Waiting));
            return Claim(trialId, owner, lease, options);
        }
    }

    public TrialRecord? ClaimNextWaiting(long experimentId, string owner, TimeSpan lease, ClaimOptions? options = null)
    {
        lock (_lock)
        {
            if (options is { Exclusive: true } && AnyRunning(experimentId)) return null;
            var next = _trials.Where(t => t.ExperimentId == experimentId && t.State == TrialState.Waiting).MinBy(t => t.Number);
            return next is null ? null : Claim(next.Id, owner, lease, options);
        }
    }

    private bool AnyRunning(long experimentId) => _trials.Any(t => t.ExperimentId == experimentId && t.State == TrialState.Running);

    private TrialRecord Claim(long trialId, string owner, TimeSpan lease, ClaimOptions? options)
    {
        var now = DateTimeOffset.UtcNow;
        UpdateTrial(trialId, TrialState.Waiting, t => t with
        {
            State = TrialState.Running, StartedAt = now, Heartbeat = now, Attempts = t.Attempts + 1, Error = null,
        });
        var claimed = _trials[Index(trialId)];
        _attempts.Add(new TrialAttempt(trialId, claimed.Attempts, owner, now, now + lease, EndedAt: null, End: null, Reason: null, options?.Device));
        return claimed;
    }

    public int RenewLeases(string owner, TimeSpan lease)
    {
        lock (_lock)
        {
            var now = DateTimeOffset.UtcNow;
            var renewed = UpdateAttempts(a => a.Owner == owner, a => a with { LeaseUntil = now + lease });
            var held = OpenAttempts(a => a.Owner == owner);
            UpdateTrials(t => held.Contains(t.Id), t => t with { Heartbeat = now });
            return renewed;
        }
    }

    public void MarkComplete(long trialId, IReadOnlyDictionary<string, double> metrics, double objective, bool feasible)
    {
        lock (_lock)
        {
            var now = DateTimeOffset.UtcNow;
            UpdateTrial(trialId, TrialState.Running, t => t with
            {
                State = TrialState.Complete, Objective = objective, Feasible = feasible, Metrics = Copy(metrics), FinishedAt = now,
            });
            EndAttempt(trialId, AttemptEnd.Completed, null, now);
        }
    }

    public void MarkFailed(long trialId, string error, IReadOnlyDictionary<string, double>? metrics = null)
    {
        lock (_lock)
        {
            var now = DateTimeOffset.UtcNow;
            UpdateTrial(trialId, TrialState.Running, t => t with
            {
                State = TrialState.Failed, Error = error, Metrics = Copy(metrics ?? new Dictionary<string, double>()), FinishedAt = now,
            });
            // As in the SQLite store: the attempt keeps the first line, the trial the whole error.
            EndAttempt(trialId, AttemptEnd.Failed, error.Split('\n', 2)[0], now);
        }
    }

    public IReadOnlyList<TrialRecord> RequeueExpired(long experimentId, int maxAttempts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        lock (_lock)
        {
            var now = DateTimeOffset.UtcNow;
            var changed = new List<TrialRecord>();
            foreach (var trial in _trials.Where(t => t.ExperimentId == experimentId && t.State == TrialState.Running).ToList())
            {
                var attempt = _attempts.Single(a => a.TrialId == trial.Id && a.EndedAt is null);
                if (!AttemptRules.IsExpired(attempt.Owner, attempt.LeaseUntil, now)) continue;
                EndAttempt(trial.Id, AttemptEnd.LeaseExpired, AttemptRules.ExpiryReason(attempt.Owner, attempt.LeaseUntil), now);
                var error = AttemptRules.GiveUp(_attempts.Where(a => a.TrialId == trial.Id).ToList(), maxAttempts);
                UpdateTrial(trial.Id, TrialState.Running, t => error is null
                    ? t with { State = TrialState.Waiting, Heartbeat = null }
                    : t with { State = TrialState.Failed, Error = error, FinishedAt = now });
                changed.Add(_trials[Index(trial.Id)]);
            }
            return changed;
        }
    }

    public int Release(string owner, string reason)
    {
        lock (_lock)
        {
            var held = OpenAttempts(a => a.Owner == owner);
            var released = UpdateTrials(t => held.Contains(t.Id) && t.State == TrialState.Running,
                t => t with { State = TrialState.Waiting, Heartbeat = null });
            var now = DateTimeOffset.UtcNow;
            UpdateAttempts(a => a.Owner == owner, a => a with { EndedAt = now, End = AttemptEnd.Interrupted, Reason = reason });
            return released;
        }
    }

    public IReadOnlyList<TrialAttempt> LoadAttempts(long experimentId)
    {
        lock (_lock)
        {
            var numbers = _trials.Where(t => t.ExperimentId == experimentId).ToDictionary(t => t.Id, t => t.Number);
            return _attempts.Where(a => numbers.ContainsKey(a.TrialId)).OrderBy(a => numbers[a.TrialId]).ThenBy(a => a.Number).ToList();
        }
    }

    public void SaveStrategyDiagnostics(long experimentId, StrategyDiagnostics diagnostics)
    {
        lock (_lock)
        {
            Experiment(experimentId);
            var iterations = _diagnostics.TryGetValue(experimentId, out var known) ? known : _diagnostics[experimentId] = [];
            var values = iterations.TryGetValue(diagnostics.Iteration, out var before)
                ? before.Values.ToDictionary(StringComparer.Ordinal)
                : new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (name, value) in diagnostics.Values) values[name] = value;
            iterations[diagnostics.Iteration] = new StrategyDiagnosticsRecord(diagnostics.Iteration, values, DateTimeOffset.UtcNow);
        }
    }

    public IReadOnlyList<StrategyDiagnosticsRecord> LoadStrategyDiagnostics(long experimentId)
    {
        lock (_lock) return _diagnostics.TryGetValue(experimentId, out var iterations) ? iterations.Values.ToList() : [];
    }

    public void SaveIntermediateValues(long trialId, IReadOnlyList<StepValues> steps)
    {
        lock (_lock)
        {
            var trial = _trials[Index(trialId)];
            var now = DateTimeOffset.UtcNow;
            foreach (var (step, values) in steps)
            foreach (var (name, value) in values)
                _values[(trialId, step, name)] = new IntermediateValue(trialId, trial.Number, step, name, value, now);
        }
    }

    public IReadOnlyList<IntermediateValue> LoadIntermediateValues(long experimentId)
    {
        lock (_lock)
        {
            var trials = _trials.Where(t => t.ExperimentId == experimentId).Select(t => t.Id).ToHashSet();
            return _values.Values.Where(v => trials.Contains(v.TrialId))
                .OrderBy(v => v.TrialNumber).ThenBy(v => v.Step).ThenBy(v => v.Name, StringComparer.Ordinal).ToList();
        }
    }

    private void EndAttempt(long trialId, AttemptEnd end, string? reason, DateTimeOffset now) =>
        UpdateAttempts(a => a.TrialId == trialId, a => a with { EndedAt = now, End = end, Reason = reason });

    private HashSet<long> OpenAttempts(Func<TrialAttempt, bool> which) =>
        _attempts.Where(a => a.EndedAt is null && which(a)).Select(a => a.TrialId).ToHashSet();

    // Only open attempts change: an ended attempt is history.
    private int UpdateAttempts(Func<TrialAttempt, bool> which, Func<TrialAttempt, TrialAttempt> change)
    {
        var count = 0;
        for (var i = 0; i < _attempts.Count; i++)
        {
            if (_attempts[i].EndedAt is not null || !which(_attempts[i])) continue;
            _attempts[i] = change(_attempts[i]);
            count++;
        }
        return count;
    }

    public void Dispose()
    {
    }

    private ExperimentRecord Experiment(long experimentId)
    {
        lock (_lock)
        {
            return experimentId >= 1 && experimentId <= _experiments.Count
                ? _experiments[(int)experimentId - 1]
                : throw new StoreException($"{Location}: no experiment with id {experimentId}.");
        }
    }

    private void UpdateExperiment(long experimentId, Func<ExperimentRecord, ExperimentRecord> change)
    {
        lock (_lock) _experiments[(int)Experiment(experimentId).Id - 1] = change(Experiment(experimentId));
    }

    private int Index(long trialId) =>
        trialId >= 1 && trialId <= _trials.Count ? (int)trialId - 1 : throw new StoreException($"{Location}: no trial with id {trialId}.");

    private void UpdateTrial(long trialId, TrialState expected, Func<TrialRecord, TrialRecord> change)
    {
        lock (_lock)
        {
            var index = Index(trialId);
            if (_trials[index].State != expected)
                throw new StoreException($"{Location}: trial {trialId} is not in the expected state ({expected.ToString().ToUpperInvariant()}).");
            _trials[index] = change(_trials[index]);
        }
    }

    private int UpdateTrials(Func<TrialRecord, bool> which, Func<TrialRecord, TrialRecord> change)
    {
        var count = 0;
        for (var i = 0; i < _trials.Count; i++)
        {
            if (!which(_trials[i])) continue;
            _trials[i] = change(_trials[i]);
            count++;
        }
        return count;
    }

    // The caller's dictionary may change after the call; the store keeps what it was given.
    private static Dictionary<string, double> Copy(IReadOnlyDictionary<string, double> metrics) => metrics.ToDictionary();
}
