using System.Collections.Concurrent;
using System.Diagnostics;
using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Engine;
using SemiNas.Storage;

namespace SemiNas.Host.Tests.Reliability;

/// <summary>
/// The heartbeat that renews a process's leases (<c>seminas search</c> and <c>seminas worker</c> both run it) against
/// a store that fails now and then, as SQLite does when busy and PostgreSQL when a connection drops. Short intervals
/// and leases stand in for the real 5 s and 25 s; the beat is the worker's own, <c>RenewLeases</c>.
/// </summary>
public class HeartbeatTests
{
    private const string Owner = "worker-heartbeat-test";

    [Fact]
    public void A_store_error_in_one_beat_is_reported_and_the_next_beats_keep_the_lease()
    {
        using var folder = new TempFolder();
        using var store = new FlakyStore(ExperimentStores.Open("sqlite:" + folder.File("s.sqlite")), failures: 1);
        var (experiment, claimedUntil) = ClaimOne(store, lease: TimeSpan.FromSeconds(10));
        var warnings = new ConcurrentQueue<string>();

        using (new ExperimentRunner.PeriodicHeartbeat(() => store.RenewLeases(Owner, TimeSpan.FromSeconds(10)),
                   TimeSpan.FromMilliseconds(50), CancellationToken.None, TimeSpan.FromSeconds(10), warnings.Enqueue))
            WaitUntil(() => store.Renewed >= 3, "no heartbeat renewed the lease after the failed one");

        Assert.Equal(1, store.Failed);
        var warning = Assert.Single(warnings, w => w.StartsWith("warning:", StringComparison.Ordinal));
        Assert.Contains("heartbeat to the store failed (StoreException: database is locked)", warning);
        Assert.Contains(warnings, w => w.Contains("work again, after 1 failed", StringComparison.Ordinal));
        // The lease was renewed after the failure: the trial is still this worker's, not taken for abandoned.
        Assert.True(store.LoadAttempts(experiment).Single().LeaseUntil > claimedUntil);
        Assert.Empty(store.RequeueExpired(experiment, maxAttempts: 2));
    }

    [Fact]
    public void A_store_that_keeps_failing_for_longer_than_a_lease_is_reported_once_as_such()
    {
        using var folder = new TempFolder();
        using var store = new FlakyStore(ExperimentStores.Open("sqlite:" + folder.File("s.sqlite")), failures: int.MaxValue);
        ClaimOne(store, lease: TimeSpan.FromMilliseconds(300));
        var warnings = new ConcurrentQueue<string>();

        using (new ExperimentRunner.PeriodicHeartbeat(() => store.RenewLeases(Owner, TimeSpan.FromMilliseconds(300)),
                   TimeSpan.FromMilliseconds(20), CancellationToken.None, TimeSpan.FromMilliseconds(300), warnings.Enqueue))
        {
            WaitUntil(() => warnings.Any(w => w.Contains("as long as a lease", StringComparison.Ordinal)), "the lost lease was never reported");
            WaitUntil(() => store.Failed >= 30, "the heartbeat stopped beating");
        }

        // One line when the failures start and one when they outlast the lease, not one per beat.
        Assert.Equal(2, warnings.Count);
        Assert.Contains("Other processes may now take this process's trials in evaluation for abandoned", warnings.Last());
    }

    private static (long Experiment, DateTimeOffset LeaseUntil) ClaimOne(IExperimentStore store, TimeSpan lease)
    {
        var experiment = store.CreateExperiment(new NewExperiment("e", "plugin", "random", 1, new Objective("acc"), "yaml: text", "{}", "fp"));
        var trial = store.AddTrials(experiment.Id, [new NewTrial(Architecture.Parse("1 2"), "k", "arch", new Dictionary<string, double>())], [])[0];
        store.ClaimTrial(trial.Id, Owner, lease);
        return (experiment.Id, store.LoadAttempts(experiment.Id).Single().LeaseUntil);
    }

    private static void WaitUntil(Func<bool> condition, string failure)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), failure);
            Thread.Sleep(10);
        }
    }

    /// <summary>A store whose first <c>failures</c> lease renewals fail as a busy SQLite file does; the rest pass through.</summary>
    private sealed class FlakyStore(IExperimentStore inner, int failures) : IExperimentStore
    {
        private int _calls;
        private int _renewed;

        public int Failed => Math.Min(Volatile.Read(ref _calls), failures);

        public int Renewed => Volatile.Read(ref _renewed);

        public int RenewLeases(string owner, TimeSpan lease)
        {
            if (Interlocked.Increment(ref _calls) <= failures) throw new StoreException("database is locked");
            var renewed = inner.RenewLeases(owner, lease);
            Interlocked.Add(ref _renewed, renewed);
            return renewed;
        }

        public string Location => inner.Location;
        public string ArtifactDirectory => inner.ArtifactDirectory;
        public IReadOnlyCollection<string> DamagedRows => inner.DamagedRows;
        public IReadOnlyList<ExperimentRecord> ListExperiments() => inner.ListExperiments();
        public ExperimentRecord? FindExperiment(string name) => inner.FindExperiment(name);
        public ExperimentRecord CreateExperiment(NewExperiment experiment) => inner.CreateExperiment(experiment);
        public void AcquireOwnership(long experimentId, TimeSpan staleAfter) => inner.AcquireOwnership(experimentId, staleAfter);
        public void ReleaseOwnership(long experimentId) => inner.ReleaseOwnership(experimentId);
        public void Heartbeat(long experimentId) => inner.Heartbeat(experimentId);
        public void SetBudget(long experimentId, int budget) => inner.SetBudget(experimentId, budget);
        public void MarkFinished(long experimentId) => inner.MarkFinished(experimentId);
        public IReadOnlyList<TrialRecord> LoadTrials(long experimentId) => inner.LoadTrials(experimentId);
        public TrialRecord LoadTrial(long trialId) => inner.LoadTrial(trialId);
        public IReadOnlyList<TrialRecord> AddTrials(long experimentId, IReadOnlyList<NewTrial> trials, byte[] strategyState) =>
            inner.AddTrials(experimentId, trials, strategyState);
        public byte[]? LoadStrategyState(long experimentId) => inner.LoadStrategyState(experimentId);
        public TrialRecord ClaimTrial(long trialId, string owner, TimeSpan lease) => inner.ClaimTrial(trialId, owner, lease);
        public TrialRecord? ClaimNextWaiting(long experimentId, string owner, TimeSpan lease) => inner.ClaimNextWaiting(experimentId, owner, lease);
        public void MarkComplete(long trialId, IReadOnlyDictionary<string, double> metrics, double objective, bool feasible) =>
            inner.MarkComplete(trialId, metrics, objective, feasible);
        public void MarkFailed(long trialId, string error, IReadOnlyDictionary<string, double>? metrics = null) => inner.MarkFailed(trialId, error, metrics);
        public IReadOnlyList<TrialRecord> RequeueExpired(long experimentId, int maxAttempts) => inner.RequeueExpired(experimentId, maxAttempts);
        public int Release(string owner, string reason) => inner.Release(owner, reason);
        public IReadOnlyList<TrialAttempt> LoadAttempts(long experimentId) => inner.LoadAttempts(experimentId);
        public void Dispose() => inner.Dispose();
    }
}
