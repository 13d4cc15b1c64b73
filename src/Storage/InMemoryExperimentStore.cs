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

    public void Heartbeat(long experimentId)
    {
        lock (_lock)
        {
            var now = DateTimeOffset.UtcNow;
            UpdateTrials(t => t.ExperimentId == experimentId && t.State == TrialState.Running, t => t with { Heartbeat = now });
        }
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

    public void MarkRunning(long trialId)
    {
        var now = DateTimeOffset.UtcNow;
        UpdateTrial(trialId, TrialState.Waiting, t => t with
        {
            State = TrialState.Running, StartedAt = now, Heartbeat = now, Attempts = t.Attempts + 1, Error = null,
        });
    }

    public void MarkComplete(long trialId, IReadOnlyDictionary<string, double> metrics, double objective, bool feasible) =>
        UpdateTrial(trialId, TrialState.Running, t => t with
        {
            State = TrialState.Complete, Objective = objective, Feasible = feasible, Metrics = Copy(metrics), FinishedAt = DateTimeOffset.UtcNow,
        });

    public void MarkFailed(long trialId, string error, IReadOnlyDictionary<string, double>? metrics = null) =>
        UpdateTrial(trialId, TrialState.Running, t => t with
        {
            State = TrialState.Failed, Error = error, Metrics = Copy(metrics ?? new Dictionary<string, double>()), FinishedAt = DateTimeOffset.UtcNow,
        });

    public int RequeueUnfinished(long experimentId)
    {
        lock (_lock)
        {
            return UpdateTrials(t => t.ExperimentId == experimentId && t.State == TrialState.Running,
                t => t with { State = TrialState.Waiting, Heartbeat = null });
        }
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
