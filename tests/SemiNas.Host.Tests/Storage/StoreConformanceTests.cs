using System.Globalization;
using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Storage;

namespace SemiNas.Host.Tests.Storage;

/// <summary>
/// What every <see cref="IExperimentStore"/> must do, whatever keeps the data. A new implementation derives a class
/// from this one that opens it (<see cref="SqliteStoreConformanceTests"/> is the example) and passes all of it.
/// </summary>
public abstract class StoreConformanceTests
{
    /// <summary>Opens the store at a location inside <paramref name="folder"/>, the same location for the same folder.</summary>
    protected abstract IExperimentStore Open(TempFolder folder);

    private const string Worker = "worker-a";

    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private static NewExperiment Experiment(string name = "e", int budget = 10) =>
        new(name, "plugin", "random", budget, new Objective("acc"), "yaml: text", "{\"a\":1}", "fp", ConfigPath: "/x/c.yaml");

    private static NewTrial Trial(string tokens, string key) =>
        new(Architecture.Parse(tokens), key, $"arch {tokens}", new Dictionary<string, double> { ["flops"] = 1e6 });

    [Fact]
    public void Experiments_are_created_found_and_listed_in_creation_order_and_a_name_is_taken_once()
    {
        using var folder = new TempFolder();
        using var store = Open(folder);
        var a = store.CreateExperiment(Experiment("a", budget: 5));
        var b = store.CreateExperiment(Experiment("b") with { ParentId = a.Id });
        Assert.Equal(["a", "b"], store.ListExperiments().Select(e => e.Name));
        var found = store.FindExperiment("b")!;
        Assert.Equal((b.Id, a.Id, 10, "acc", "{\"a\":1}", "/x/c.yaml"),
            (found.Id, found.ParentId, found.Budget, found.Objective.Metric, found.ConfigJson, found.ConfigPath));
        Assert.Null(store.FindExperiment("c"));
        var error = Assert.Throws<StoreException>(() => store.CreateExperiment(Experiment("a")));
        Assert.Contains("'a'", error.Message);
    }

    [Fact]
    public void Trials_are_numbered_in_order_and_recorded_with_the_strategy_state_that_proposed_them()
    {
        using var folder = new TempFolder();
        using var store = Open(folder);
        var id = store.CreateExperiment(Experiment()).Id;
        var first = store.AddTrials(id, [Trial("1 2", "a"), Trial("2 1", "b")], [1, 2, 3]);
        var second = store.AddTrials(id, [Trial("2 2", "c")], [4]);
        Assert.Equal([1, 2, 3], first.Concat(second).Select(t => t.Number));
        Assert.All(first.Concat(second), t => Assert.Equal(TrialState.Waiting, t.State));
        Assert.Equal([4], store.LoadStrategyState(id));
        Assert.Equal(1e6, store.LoadTrials(id)[0].CheapMetrics["flops"]);
    }

    [Fact]
    public void A_batch_with_a_canonical_key_already_recorded_is_refused_whole_and_leaves_the_state_as_it_was()
    {
        using var folder = new TempFolder();
        using var store = Open(folder);
        var id = store.CreateExperiment(Experiment()).Id;
        store.AddTrials(id, [Trial("1 2", "same")], [1]);
        Assert.Throws<StoreException>(() => store.AddTrials(id, [Trial("3 3", "new"), Trial("2 1", "same")], [2]));
        Assert.Equal(["same"], store.LoadTrials(id).Select(t => t.CanonicalKey));
        Assert.Equal([1], store.LoadStrategyState(id));
    }

    [Fact]
    public void Results_keep_their_metrics_including_non_finite_ones_and_survive_reopening()
    {
        using var folder = new TempFolder();
        long id;
        using (var store = Open(folder))
        {
            id = store.CreateExperiment(Experiment()).Id;
            var added = store.AddTrials(id, [Trial("1 2", "a"), Trial("2 1", "b")], []);
            store.ClaimTrial(added[0].Id, Worker, Hour);
            store.MarkComplete(added[0].Id, new Dictionary<string, double> { ["acc"] = 91.5, ["loss"] = double.PositiveInfinity }, 91.5, feasible: false);
            store.ClaimTrial(added[1].Id, Worker, Hour);
            store.MarkFailed(added[1].Id, "boom\n   at Somewhere()", new Dictionary<string, double> { ["acc"] = double.NaN });
        }
        using (var store = Open(folder))
        {
            var trials = store.LoadTrials(id);
            Assert.Equal((TrialState.Complete, 91.5, false, double.PositiveInfinity),
                (trials[0].State, trials[0].Objective, trials[0].Feasible, trials[0].Metrics["loss"]));
            Assert.Equal((TrialState.Failed, "boom\n   at Somewhere()"), (trials[1].State, trials[1].Error));
            Assert.True(double.IsNaN(trials[1].Metrics["acc"]));
            Assert.All(trials, t => Assert.True(t.IsFinished && t.StartedAt is not null && t.FinishedAt is not null));
            Assert.Equal((trials[1].Number, trials[1].Error), (store.LoadTrial(trials[1].Id).Number, store.LoadTrial(trials[1].Id).Error));
            Assert.Empty(store.DamagedRows);
        }
    }

    [Fact]
    public void A_claimed_trial_is_running_held_by_its_claimer_and_nobody_else_can_claim_it()
    {
        using var folder = new TempFolder();
        using var store = Open(folder);
        var id = store.CreateExperiment(Experiment()).Id;
        var trials = store.AddTrials(id, [Trial("1", "a"), Trial("2", "b"), Trial("3", "c")], []);

        var claimed = store.ClaimTrial(trials[1].Id, Worker, Hour);
        Assert.Equal((TrialState.Running, 1), (claimed.State, claimed.Attempts));
        Assert.Throws<StoreException>(() => store.ClaimTrial(trials[1].Id, "worker-b", Hour));
        Assert.Equal(1, store.ClaimNextWaiting(id, "worker-b", Hour)!.Number); // the lowest-numbered waiting one
        Assert.Equal(3, store.ClaimNextWaiting(id, "worker-b", Hour)!.Number);
        Assert.Null(store.ClaimNextWaiting(id, "worker-b", Hour));

        var attempts = store.LoadAttempts(id);
        Assert.Equal([(1, "worker-b"), (2, Worker), (3, "worker-b")],
            attempts.Select(a => (trials.Single(t => t.Id == a.TrialId).Number, a.Owner)));
        Assert.All(attempts, a => Assert.True(a.Number == 1 && a.End is null && a.EndedAt is null && a.LeaseUntil > DateTimeOffset.UtcNow.AddMinutes(50)));
    }

    [Fact]
    public void An_exclusive_claim_waits_while_any_trial_of_the_experiment_runs_and_records_the_claimers_device()
    {
        using var folder = new TempFolder();
        using var store = Open(folder);
        var id = store.CreateExperiment(Experiment()).Id;
        var other = store.CreateExperiment(Experiment("other")).Id;
        var trials = store.AddTrials(id, [Trial("1", "a"), Trial("2", "b")], []);
        var elsewhere = store.AddTrials(other, [Trial("1", "a")], []);
        var exclusive = new ClaimOptions("cuda:1", Exclusive: true);

        var first = store.ClaimNextWaiting(id, Worker, Hour, exclusive)!;
        Assert.Null(store.ClaimNextWaiting(id, "worker-b", Hour, exclusive));
        var refused = Assert.Throws<StoreException>(() => store.ClaimTrial(trials[1].Id, "worker-b", Hour, exclusive));
        Assert.Contains("may not overlap", refused.Message);
        Assert.Equal(TrialState.Waiting, store.LoadTrial(trials[1].Id).State);
        // Another experiment's trials are not held back, and a claim that is not exclusive is not either.
        Assert.Equal(elsewhere[0].Id, store.ClaimNextWaiting(other, "worker-b", Hour, exclusive)!.Id);

        store.MarkComplete(first.Id, new Dictionary<string, double> { ["acc"] = 1 }, 1, feasible: true);
        Assert.Equal(2, store.ClaimTrial(trials[1].Id, "worker-b", Hour, exclusive).Number);
        Assert.Equal(["cuda:1", "cuda:1"], store.LoadAttempts(id).Select(a => a.Device));
        var plain = store.AddTrials(id, [Trial("3", "c")], [])[0];
        store.ClaimTrial(plain.Id, Worker, Hour);
        Assert.Null(store.LoadAttempts(id)[^1].Device);
    }

    [Fact]
    public async Task Exclusive_claims_from_processes_at_once_never_overlap()
    {
        using var folder = new TempFolder();
        long id;
        using (var setup = Open(folder))
        {
            id = setup.CreateExperiment(Experiment(budget: 12)).Id;
            setup.AddTrials(id, Enumerable.Range(1, 12).Select(i => Trial(i.ToString(CultureInfo.InvariantCulture), "k" + i)).ToList(), []);
        }
        var overlaps = 0;
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            using var store = Open(folder);
            var mine = new List<int>();
            while (store.LoadTrials(id).Any(t => !t.IsFinished))
            {
                if (store.ClaimNextWaiting(id, $"worker-{w}", Hour, new ClaimOptions(Exclusive: true)) is not { } trial) continue;
                if (store.LoadTrials(id).Count(t => t.State == TrialState.Running) != 1) Interlocked.Increment(ref overlaps);
                mine.Add(trial.Number);
                store.MarkComplete(trial.Id, new Dictionary<string, double> { ["acc"] = 1 }, 1, feasible: true);
            }
            return mine;
        }));
        var claimed = (await Task.WhenAll(workers)).SelectMany(n => n).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 12), claimed);
        Assert.Equal(0, overlaps);
    }

    [Fact]
    public void Strategy_diagnostics_are_kept_by_iteration_and_a_later_report_adds_to_its_iteration()
    {
        using var folder = new TempFolder();
        long id;
        using (var store = Open(folder))
        {
            id = store.CreateExperiment(Experiment()).Id;
            store.SaveStrategyDiagnostics(id, new StrategyDiagnostics(2, new Dictionary<string, double> { ["steps"] = 3 }));
            store.SaveStrategyDiagnostics(id, new StrategyDiagnostics(1, new Dictionary<string, double> { ["steps"] = 1, ["pseudo"] = 100 }));
            // The rank correlation of iteration 1 is known once its batch is evaluated, during iteration 2.
            store.SaveStrategyDiagnostics(id, new StrategyDiagnostics(1, new Dictionary<string, double> { ["tau"] = double.NaN, ["steps"] = 2 }));
        }
        using (var reopened = Open(folder))
        {
            var iterations = reopened.LoadStrategyDiagnostics(id);
            Assert.Equal([1, 2], iterations.Select(i => i.Iteration));
            Assert.Equal(["pseudo", "steps", "tau"], iterations[0].Values.Keys.Order(StringComparer.Ordinal));
            Assert.Equal((100, 2), (iterations[0].Values["pseudo"], iterations[0].Values["steps"]));
            Assert.True(double.IsNaN(iterations[0].Values["tau"]));
            Assert.Equal(3, Assert.Single(iterations[1].Values).Value);
            Assert.Empty(reopened.LoadStrategyDiagnostics(reopened.CreateExperiment(Experiment("other")).Id));
        }
    }

    [Fact]
    public void Intermediate_values_are_kept_by_trial_and_step_and_a_re_run_replaces_a_step()
    {
        using var folder = new TempFolder();
        long id;
        using (var store = Open(folder))
        {
            id = store.CreateExperiment(Experiment()).Id;
            var trials = store.AddTrials(id, [Trial("1", "a"), Trial("2", "b")], []);
            store.SaveIntermediateValues(trials[1].Id, [new StepValues(0, new Dictionary<string, double> { ["loss"] = 2 })]);
            // Several steps at once, as the host saves them: one transaction.
            store.SaveIntermediateValues(trials[0].Id, [
                new StepValues(1, new Dictionary<string, double> { ["loss"] = 1, ["acc"] = 0.5 }),
                new StepValues(0, new Dictionary<string, double> { ["loss"] = 3 })]);
            store.SaveIntermediateValues(trials[0].Id, [new StepValues(1, new Dictionary<string, double> { ["loss"] = 0.9 })]);
        }
        using var reopened = Open(folder);
        Assert.Equal([(1, 0, "loss", 3.0), (1, 1, "acc", 0.5), (1, 1, "loss", 0.9), (2, 0, "loss", 2.0)],
            reopened.LoadIntermediateValues(id).Select(v => (v.TrialNumber, v.Step, v.Name, v.Value)));
    }

    [Fact]
    public async Task Processes_claiming_at_once_each_get_different_trials_and_every_trial_is_claimed_once()
    {
        using var folder = new TempFolder();
        long id;
        using (var setup = Open(folder))
        {
            id = setup.CreateExperiment(Experiment(budget: 40)).Id;
            setup.AddTrials(id, Enumerable.Range(1, 40).Select(i => Trial(i.ToString(CultureInfo.InvariantCulture), "k" + i)).ToList(), []);
        }
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            using var store = Open(folder);
            var mine = new List<int>();
            while (store.ClaimNextWaiting(id, $"worker-{w}", Hour) is { } trial) mine.Add(trial.Number);
            return mine;
        }));
        var claimed = (await Task.WhenAll(workers)).SelectMany(n => n).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 40), claimed);
    }

    [Fact]
    public void Results_end_the_attempt_that_produced_them()
    {
        using var folder = new TempFolder();
        using var store = Open(folder);
        var id = store.CreateExperiment(Experiment()).Id;
        var trials = store.AddTrials(id, [Trial("1", "a"), Trial("2", "b")], []);
        store.ClaimTrial(trials[0].Id, Worker, Hour);
        store.MarkComplete(trials[0].Id, new Dictionary<string, double> { ["acc"] = 90 }, 90, feasible: true);
        store.ClaimTrial(trials[1].Id, Worker, Hour);
        store.MarkFailed(trials[1].Id, "CUDA error: out of memory\n   at Train()");

        var attempts = store.LoadAttempts(id);
        Assert.Equal([(AttemptEnd.Completed, null), (AttemptEnd.Failed, "CUDA error: out of memory")],
            attempts.Select(a => (a.End, a.Reason)));
        Assert.All(attempts, a => Assert.NotNull(a.EndedAt));
        Assert.Equal(0, store.RenewLeases(Worker, Hour)); // nothing left to hold
    }

    [Fact]
    public void Only_trials_whose_lease_ran_out_go_back_to_waiting_never_one_a_live_holder_renews()
    {
        using var folder = new TempFolder();
        using var store = Open(folder);
        var id = store.CreateExperiment(Experiment()).Id;
        var trials = store.AddTrials(id, [Trial("1", "a"), Trial("2", "b"), Trial("3", "c")], []);
        store.ClaimTrial(trials[0].Id, "worker-dead", TimeSpan.Zero);
        store.ClaimTrial(trials[1].Id, "worker-live", TimeSpan.Zero);
        store.ClaimTrial(trials[2].Id, $"4242@another-{Guid.NewGuid():N}", Hour); // a process elsewhere: only its lease tells

        Assert.Equal(1, store.RenewLeases("worker-live", Hour));
        var requeued = store.RequeueExpired(id, maxAttempts: 3);

        Assert.Equal([(1, TrialState.Waiting)], requeued.Select(t => (t.Number, t.State)));
        Assert.Equal([TrialState.Waiting, TrialState.Running, TrialState.Running], store.LoadTrials(id).Select(t => t.State));
        var expired = store.LoadAttempts(id).Single(a => a.TrialId == trials[0].Id);
        Assert.Equal(AttemptEnd.LeaseExpired, expired.End);
        Assert.Contains("worker-dead stopped renewing its lease", expired.Reason);
        Assert.Equal(2, store.ClaimNextWaiting(id, "worker-live", Hour)!.Attempts); // requeued trials are claimed again
    }

    [Fact]
    public void A_trial_held_by_a_process_of_this_machine_that_is_gone_is_requeued_before_its_lease_runs_out()
    {
        using var folder = new TempFolder();
        using var store = Open(folder);
        var id = store.CreateExperiment(Experiment()).Id;
        var trials = store.AddTrials(id, [Trial("1", "a"), Trial("2", "b")], []);
        store.ClaimTrial(trials[0].Id, $"{int.MaxValue}@{Environment.MachineName}", Hour); // no such process
        store.ClaimTrial(trials[1].Id, ProcessOwner.Current.ToString(), Hour);

        Assert.Equal([trials[0].Id], store.RequeueExpired(id, maxAttempts: 2).Select(t => t.Id));
        Assert.Contains($"process {int.MaxValue} on {Environment.MachineName} ended without finishing it",
            store.LoadAttempts(id).Single(a => a.End is not null).Reason);
    }

    [Fact]
    public void A_trial_whose_attempts_keep_expiring_is_failed_with_every_attempts_reason_and_a_users_stop_does_not_count()
    {
        using var folder = new TempFolder();
        using var store = Open(folder);
        var id = store.CreateExperiment(Experiment()).Id;
        var trial = store.AddTrials(id, [Trial("1", "a")], [])[0];

        store.ClaimTrial(trial.Id, Worker, Hour);
        Assert.Equal(1, store.Release(Worker, "stopped by Ctrl-C"));
        store.ClaimTrial(trial.Id, "worker-oom", TimeSpan.Zero);
        Assert.Equal(TrialState.Waiting, Assert.Single(store.RequeueExpired(id, maxAttempts: 2)).State);
        store.ClaimTrial(trial.Id, "worker-oom", TimeSpan.Zero);
        var failed = Assert.Single(store.RequeueExpired(id, maxAttempts: 2));

        Assert.Equal((TrialState.Failed, 3), (failed.State, failed.Attempts));
        Assert.NotNull(failed.FinishedAt);
        Assert.StartsWith("gave up after 2 attempt(s) that ended without a result (execution.maxAttempts: 2)", failed.Error);
        Assert.Contains($"#1 by {Worker} from", failed.Error);
        Assert.Contains("interrupted: stopped by Ctrl-C", failed.Error);
        Assert.Contains("#3 by worker-oom from", failed.Error);
        Assert.Equal(2, failed.Error!.Split("lease expired: worker-oom stopped renewing its lease").Length - 1);
        Assert.Empty(store.RequeueExpired(id, maxAttempts: 2)); // a final trial is left alone
        Assert.Equal(TrialState.Failed, store.LoadTrial(trial.Id).State);
    }

    [Fact]
    public void A_clean_stop_releases_only_its_own_trials()
    {
        using var folder = new TempFolder();
        using var store = Open(folder);
        var id = store.CreateExperiment(Experiment()).Id;
        var trials = store.AddTrials(id, [Trial("1", "a"), Trial("2", "b")], []);
        store.ClaimTrial(trials[0].Id, Worker, Hour);
        store.ClaimTrial(trials[1].Id, "worker-b", Hour);

        Assert.Equal(1, store.Release(Worker, "stopped by SIGTERM"));
        Assert.Equal([TrialState.Waiting, TrialState.Running], store.LoadTrials(id).Select(t => t.State));
        Assert.Equal((AttemptEnd.Interrupted, "stopped by SIGTERM"),
            store.LoadAttempts(id).Where(a => a.Owner == Worker).Select(a => (a.End, a.Reason)).Single());
        Assert.Equal(0, store.Release(Worker, "again"));
    }

    [Fact]
    public void A_finished_experiment_given_a_larger_budget_is_open_again()
    {
        using var folder = new TempFolder();
        using var store = Open(folder);
        var id = store.CreateExperiment(Experiment(budget: 3)).Id;
        store.MarkFinished(id);
        Assert.NotNull(store.FindExperiment("e")!.FinishedAt);
        store.SetBudget(id, 8);
        var reopened = store.FindExperiment("e")!;
        Assert.Equal((8, (DateTimeOffset?)null), (reopened.Budget, reopened.FinishedAt));
    }

    [Fact]
    public void The_owner_can_claim_beat_and_release_its_experiment()
    {
        using var folder = new TempFolder();
        using var store = Open(folder);
        var id = store.CreateExperiment(Experiment()).Id;
        store.AcquireOwnership(id, TimeSpan.FromSeconds(30));
        store.Heartbeat(id);
        store.AcquireOwnership(id, TimeSpan.FromSeconds(30)); // the same process may claim again (a resume in-process)
        store.ReleaseOwnership(id);
    }
}

public sealed class SqliteStoreConformanceTests : StoreConformanceTests
{
    protected override IExperimentStore Open(TempFolder folder) => ExperimentStores.Open("sqlite:" + folder.File("store.sqlite"));
}

public sealed class InMemoryStoreConformanceTests : StoreConformanceTests
{
    // The store lives as long as its object: "reopening" the same folder hands back the same one.
    private readonly Dictionary<string, InMemoryExperimentStore> _stores = [];

    protected override IExperimentStore Open(TempFolder folder) =>
        _stores.TryGetValue(folder.Path, out var store) ? store : _stores[folder.Path] = new InMemoryExperimentStore(folder.Path);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreConformanceTests(PostgresServer server) : StoreConformanceTests
{
    protected override IExperimentStore Open(TempFolder folder) => ExperimentStores.Open(server.Url(server.DatabaseFor(folder)));
}
