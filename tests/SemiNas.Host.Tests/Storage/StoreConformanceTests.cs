using SemiNas.Contracts;
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
            store.MarkRunning(added[0].Id);
            store.MarkComplete(added[0].Id, new Dictionary<string, double> { ["acc"] = 91.5, ["loss"] = double.PositiveInfinity }, 91.5, feasible: false);
            store.MarkRunning(added[1].Id);
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
    public void Interrupted_trials_go_back_to_waiting_and_count_their_attempts()
    {
        using var folder = new TempFolder();
        using var store = Open(folder);
        var id = store.CreateExperiment(Experiment()).Id;
        var trial = store.AddTrials(id, [Trial("1", "a"), Trial("2", "b")], [])[0];
        store.MarkRunning(trial.Id);
        Assert.Equal(1, store.RequeueUnfinished(id));
        Assert.Equal(TrialState.Waiting, store.LoadTrial(trial.Id).State);
        store.MarkRunning(trial.Id);
        Assert.Equal(2, store.LoadTrial(trial.Id).Attempts);
        Assert.Equal(0, store.LoadTrials(id)[1].Attempts);
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
