using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.ExceptionServices;
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
        var flaky = FlakyStore.Wrap(ExperimentStores.Open("sqlite:" + folder.File("s.sqlite")), failures: 1);
        using var store = flaky.Store;
        var (experiment, claimedUntil) = ClaimOne(store, lease: TimeSpan.FromSeconds(10));
        var warnings = new ConcurrentQueue<string>();

        using (new ExperimentRunner.PeriodicHeartbeat(() => store.RenewLeases(Owner, TimeSpan.FromSeconds(10)),
                   TimeSpan.FromMilliseconds(50), CancellationToken.None, TimeSpan.FromSeconds(10), warnings.Enqueue))
            WaitUntil(() => flaky.Renewed >= 3, "no heartbeat renewed the lease after the failed one");

        Assert.Equal(1, flaky.Failed);
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
        var flaky = FlakyStore.Wrap(ExperimentStores.Open("sqlite:" + folder.File("s.sqlite")), failures: int.MaxValue);
        using var store = flaky.Store;
        ClaimOne(store, lease: TimeSpan.FromMilliseconds(300));
        var warnings = new ConcurrentQueue<string>();

        using (new ExperimentRunner.PeriodicHeartbeat(() => store.RenewLeases(Owner, TimeSpan.FromMilliseconds(300)),
                   TimeSpan.FromMilliseconds(20), CancellationToken.None, TimeSpan.FromMilliseconds(300), warnings.Enqueue))
        {
            WaitUntil(() => warnings.Any(w => w.Contains("as long as a lease", StringComparison.Ordinal)), "the lost lease was never reported");
            WaitUntil(() => flaky.Failed >= 30, "the heartbeat stopped beating");
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

    /// <summary>
    /// A store whose first <c>failures</c> lease renewals fail as a busy SQLite file does; every other call passes
    /// through. A proxy rather than a class listing the interface's members, so that new store members need nothing here.
    /// </summary>
    public class FlakyStore : DispatchProxy
    {
        private IExperimentStore _inner = null!;
        private int _failures;
        private int _calls;
        private int _renewed;

        public int Failed => Math.Min(Volatile.Read(ref _calls), _failures);

        public int Renewed => Volatile.Read(ref _renewed);

        public IExperimentStore Store => (IExperimentStore)(object)this;

        public static FlakyStore Wrap(IExperimentStore inner, int failures)
        {
            var proxy = (FlakyStore)(object)Create<IExperimentStore, FlakyStore>();
            proxy._inner = inner;
            proxy._failures = failures;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            var renewal = targetMethod!.Name == nameof(IExperimentStore.RenewLeases);
            if (renewal && Interlocked.Increment(ref _calls) <= _failures) throw new StoreException("database is locked");
            object? result;
            try
            {
                result = targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is { } inner)
            {
                ExceptionDispatchInfo.Throw(inner);
                throw;
            }
            if (renewal) Interlocked.Add(ref _renewed, (int)result!);
            return result;
        }
    }
}
