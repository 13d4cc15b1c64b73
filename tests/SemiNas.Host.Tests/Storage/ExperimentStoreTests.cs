using Microsoft.Data.Sqlite;
using SemiNas.Contracts;
using SemiNas.Storage;

namespace SemiNas.Host.Tests.Storage;

public class ExperimentStoreTests
{
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
    public void A_store_of_schema_1_is_upgraded_in_place_and_keeps_its_experiments()
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
            command.CommandText = "ALTER TABLE experiments DROP COLUMN config_path; PRAGMA user_version = 1;";
            command.ExecuteNonQuery();
        }
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
