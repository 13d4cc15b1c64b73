using Microsoft.Data.Sqlite;
using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Engine;
using SemiNas.Host.Experiments;
using SemiNas.Storage;

namespace SemiNas.Host.Tests.Storage;

public class ExperimentStoreTests
{
    private static readonly RunSettings OneWorker = new(1, "cpu", null);

    private static NewExperiment Experiment(string name = "e") =>
        new(name, "plugin", "random", 10, new Objective("acc"), "yaml", "{}", "fp");

    private static NewTrial Trial(string tokens, string key) =>
        new(Architecture.Parse(tokens), key, "d", new Dictionary<string, double> { ["flops"] = 1e6 });

    [Fact]
    public void A_store_from_a_newer_schema_is_refused_with_a_clear_message()
    {
        using var folder = new TempFolder();
        var path = folder.File("s.sqlite");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99;";
            command.ExecuteNonQuery();
        }
        var error = Assert.Throws<StoreException>(() => ExperimentStore.Open(path));
        Assert.Contains("schema version 99", error.Message);
    }

    [Fact]
    public void A_store_of_schema_1_is_read_as_it_is_then_upgraded_in_place_and_keeps_its_experiments()
    {
        using var folder = new TempFolder();
        var path = folder.File("s.sqlite");
        using (var store = ExperimentStore.Open(path))
            store.AddTrials(store.CreateExperiment(Experiment("old")).Id, [Trial("1 2", "a")], [1]);
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            // Turn it back into what version 1 wrote.
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "DROP TABLE trial_values; DROP TABLE strategy_diagnostics; DROP TABLE trial_attempts; ALTER TABLE experiments DROP COLUMN config_path; PRAGMA user_version = 1;";
            command.ExecuteNonQuery();
        }
        using (var readOnly = ExperimentStore.OpenReadOnly(path))
            Assert.Equal("old", Assert.Single(readOnly.ListExperiments()).Name);
        using (var store = ExperimentStore.Open(path, mustExist: true))
        {
            var old = Assert.Single(store.ListExperiments());
            Assert.Null(old.ConfigPath);
            Assert.Single(store.LoadTrials(old.Id));
            store.CreateExperiment(Experiment("new") with { ConfigPath = "/configs/new.yaml" });
            Assert.Equal("/configs/new.yaml", store.FindExperiment("new")!.ConfigPath);
        }
    }

    [Fact]
    public void A_store_of_schema_2_is_read_as_it_is_and_upgraded_in_place_keeping_every_trial()
    {
        using var folder = new TempFolder();
        var path = folder.File("s.sqlite");
        long id;
        using (var store = ExperimentStore.Open(path))
        {
            id = store.CreateExperiment(Experiment()).Id;
            var trials = store.AddTrials(id, [Trial("1", "a"), Trial("2", "b"), Trial("3", "c"), Trial("4", "d")], [7]);
            store.ClaimTrial(trials[0].Id, "w", TimeSpan.FromHours(1));
            store.MarkComplete(trials[0].Id, new Dictionary<string, double> { ["acc"] = 90 }, 90, feasible: true);
            store.ClaimTrial(trials[1].Id, "w", TimeSpan.FromHours(1));
            store.MarkFailed(trials[1].Id, "boom");
            store.ClaimTrial(trials[2].Id, "w", TimeSpan.FromHours(1));
        }
        // What version 2 wrote: the same tables without attempts, and trial 3 left RUNNING by a killed search.
        StoreSql.Execute(path, "DROP TABLE trial_values; DROP TABLE strategy_diagnostics; DROP TABLE trial_attempts; PRAGMA user_version = 2;");
        var states = new[] { TrialState.Complete, TrialState.Failed, TrialState.Running, TrialState.Waiting };

        using (var readOnly = ExperimentStore.OpenReadOnly(path))
        {
            Assert.Equal(states, readOnly.LoadTrials(id).Select(t => t.State));
            Assert.Empty(readOnly.LoadAttempts(id));
        }
        Assert.Equal(2, StoreSql.Query(path, "PRAGMA user_version"));

        using (var store = ExperimentStore.Open(path))
        {
            Assert.Equal(ExperimentStore.SchemaVersion, StoreSql.Query(path, "PRAGMA user_version"));
            Assert.Equal(states, store.LoadTrials(id).Select(t => t.State));
            Assert.Equal(90, store.LoadTrials(id)[0].Objective);
            Assert.Equal([7], store.LoadStrategyState(id));
            // Nobody holds the orphaned trial: it goes back to waiting at once, and that start counts as an attempt.
            var requeued = Assert.Single(store.RequeueExpired(id, maxAttempts: 2));
            Assert.Equal((3, TrialState.Waiting), (requeued.Number, requeued.State));
            var attempt = Assert.Single(store.LoadAttempts(id));
            Assert.Equal((1, AttemptEnd.LeaseExpired, AttemptRules.UnleasedReason), (attempt.Number, attempt.End, attempt.Reason));
            Assert.Equal(2, store.ClaimNextWaiting(id, "w", TimeSpan.FromHours(1))!.Attempts);
        }
        using (var readOnly = ExperimentStore.OpenReadOnly(path))
            Assert.Equal(2, readOnly.LoadAttempts(id).Count);
    }

    [Fact]
    public async Task A_search_killed_under_schema_2_resumes_after_the_upgrade_and_re_runs_its_unfinished_trial()
    {
        using var folder = new TempFolder();
        var config = folder.Write("c.yaml", Configs.NasBench201(name: "old", budget: 4));
        var path = folder.File("s.sqlite");
        Assert.Equal(RunOutcome.Finished, (await LeaseDrillTests.Search(config, path, OneWorker, CancellationToken.None)).Outcome);
        StoreSql.Execute(path, """
            DROP TABLE trial_values; DROP TABLE strategy_diagnostics; DROP TABLE trial_attempts;
            UPDATE trials SET state = 'RUNNING', objective = NULL, metrics_json = '{}', finished_at = NULL WHERE number = 4;
            UPDATE experiments SET finished_at = NULL;
            PRAGMA user_version = 2;
            """);

        var resumed = await LeaseDrillTests.Search(config, path, OneWorker, CancellationToken.None);

        Assert.Equal(RunOutcome.Finished, resumed.Outcome);
        Assert.All(resumed.Trials, t => Assert.Equal(TrialState.Complete, t.State));
        Assert.Equal([1, 1, 1, 2], resumed.Trials.Select(t => t.Attempts));
        Assert.Equal(ExperimentStore.SchemaVersion, StoreSql.Query(path, "PRAGMA user_version"));
    }

    [Fact]
    public void A_store_of_schema_3_is_read_as_it_is_and_upgraded_in_place_with_devices_diagnostics_and_intermediate_values()
    {
        using var folder = new TempFolder();
        var path = folder.File("s.sqlite");
        long id;
        using (var store = ExperimentStore.Open(path))
        {
            id = store.CreateExperiment(Experiment()).Id;
            var trial = store.AddTrials(id, [Trial("1", "a")], [7])[0];
            store.ClaimTrial(trial.Id, "w", TimeSpan.FromHours(1));
        }
        StoreSql.Execute(path, "DROP TABLE trial_values; DROP TABLE strategy_diagnostics; ALTER TABLE trial_attempts DROP COLUMN device; PRAGMA user_version = 3;");

        using (var readOnly = ExperimentStore.OpenReadOnly(path))
        {
            Assert.Null(Assert.Single(readOnly.LoadAttempts(id)).Device);
            Assert.Empty(readOnly.LoadStrategyDiagnostics(id));
            Assert.Empty(readOnly.LoadIntermediateValues(id));
        }
        using (var store = ExperimentStore.Open(path))
        {
            Assert.Equal(ExperimentStore.SchemaVersion, StoreSql.Query(path, "PRAGMA user_version"));
            Assert.Equal("w", Assert.Single(store.LoadAttempts(id)).Owner);
            store.SaveStrategyDiagnostics(id, new StrategyDiagnostics(1, new Dictionary<string, double> { ["tau"] = 0.5 }));
            Assert.Equal(0.5, Assert.Single(store.LoadStrategyDiagnostics(id)).Values["tau"]);
        }
    }

    [Fact]
    public void A_missing_store_is_an_error_for_commands_that_read_one()
    {
        using var folder = new TempFolder();
        var error = Assert.Throws<StoreException>(() => ExperimentStore.Open(folder.File("nope.sqlite"), mustExist: true));
        Assert.Contains("nope.sqlite", error.Message);
    }

    [Fact]
    public void Another_live_process_cannot_take_over_a_running_experiment()
    {
        using var folder = new TempFolder();
        var path = folder.File("s.sqlite");
        using var store = ExperimentStore.Open(path);
        var id = store.CreateExperiment(Experiment()).Id;
        // Pretend that process 1 (init, always alive) on this machine runs it.
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"UPDATE experiments SET owner = '1@{Environment.MachineName}', owner_heartbeat = '{DateTimeOffset.UtcNow:O}';";
            command.ExecuteNonQuery();
        }
        var error = Assert.Throws<StoreException>(() => store.AcquireOwnership(id, TimeSpan.FromMinutes(1)));
        Assert.Contains("being run by process 1", error.Message);
    }
}
