using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Host.Tests.Cli;
using SemiNas.Storage;
using SemiNas.Storage.Postgres;

namespace SemiNas.Host.Tests.Storage;

/// <summary>What the PostgreSQL store does beyond the conformance suite: credentials, failures, read-only use, the CLI.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PostgresServer server)
{
    private static NewExperiment Experiment(string name = "e") =>
        new(name, "plugin", "random", 10, new Objective("acc"), "yaml", "{}", "fp");

    private static NewTrial Trial(string tokens) =>
        new(Architecture.Parse(tokens), tokens, tokens, new Dictionary<string, double>());

    [Fact]
    public void The_password_appears_in_no_location_and_no_error_and_a_missing_one_says_where_it_is_looked_for()
    {
        var database = server.CreateDatabase();
        using (var store = ExperimentStores.Open(server.Url(database)))
            Assert.Equal(server.Url(database, withPassword: false), store.Location);

        var wrong = $"wrong-{Guid.NewGuid():N}";
        var error = Assert.Throws<StoreException>(() => ExperimentStores.Open(server.Url(database).Replace(PostgresServer.Password, wrong)));
        Assert.StartsWith($"{server.Url(database, withPassword: false)}: cannot open the store: ", error.Message);
        Assert.Contains("password authentication failed for user \"seminas\"", error.Message);
        Assert.DoesNotContain(wrong, error.ToString());

        using var folder = new TempFolder();
        var otherServers = folder.Write("pgpass", "db.elsewhere:5432:*:someone:x\n");
        var missing = Assert.Throws<StoreException>(() => ExperimentStores.Open($"{server.Url(database, withPassword: false)}?passfile={otherServers}"));
        Assert.EndsWith("give it in PGPASSWORD or a pgpass file (PGPASSFILE, ~/.pgpass or ?passfile=PATH)", missing.Message);

        var parameter = Assert.Throws<StoreException>(() => ExperimentStores.Open(server.Url(database) + "?sslmod=require"));
        Assert.Contains("unknown parameter 'sslmod'", parameter.Message);
        Assert.DoesNotContain(PostgresServer.Password, parameter.Message);
    }

    [Fact]
    public void Without_a_password_in_the_URL_it_is_read_from_the_pgpass_file()
    {
        using var folder = new TempFolder();
        var passfile = folder.Write("pgpass", $"127.0.0.1:{server.Port}:*:{PostgresServer.User}:{PostgresServer.Password}\n");
        var database = server.CreateDatabase();

        using var store = ExperimentStores.Open($"{server.Url(database, withPassword: false)}?passfile={passfile}");
        store.CreateExperiment(Experiment());
        Assert.Equal(["e"], store.ListExperiments().Select(e => e.Name));
    }

    [Fact]
    public async Task Stores_opening_a_new_database_at_once_create_its_schema_once_and_share_it()
    {
        var url = server.Url(server.CreateDatabase());
        var opened = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(() =>
        {
            using var store = ExperimentStores.Open(url);
            return store.CreateExperiment(Experiment($"e{i}")).Name;
        })));
        using var reader = ExperimentStores.OpenReadOnly(url);
        Assert.Equal(opened.Order(), reader.ListExperiments().Select(e => e.Name).Order());
    }

    [Fact]
    public void A_store_of_schema_3_is_read_as_it_is_and_upgraded_in_place()
    {
        var database = server.CreateDatabase();
        var url = server.Url(database);
        long id;
        using (var store = ExperimentStores.Open(url))
        {
            id = store.CreateExperiment(Experiment()).Id;
            store.ClaimTrial(store.AddTrials(id, [Trial("1")], [7])[0].Id, "w", TimeSpan.FromHours(1), new ClaimOptions("cuda:0"));
        }
        // Turn it back into what version 3 wrote.
        using (var connection = new Npgsql.NpgsqlConnection(
                   $"Host=127.0.0.1;Port={server.Port};Username={PostgresServer.User};Password={PostgresServer.Password};Database={database};Pooling=false"))
        {
            connection.Open();
            using var command = new Npgsql.NpgsqlCommand("""
                DROP TABLE seminas.trial_values; DROP TABLE seminas.strategy_diagnostics;
                ALTER TABLE seminas.trial_attempts DROP COLUMN device; UPDATE seminas.schema_version SET version = 3;
                """, connection);
            command.ExecuteNonQuery();
        }
        using (var reader = ExperimentStores.OpenReadOnly(url))
        {
            Assert.Null(Assert.Single(reader.LoadAttempts(id)).Device);
            Assert.Empty(reader.LoadStrategyDiagnostics(id));
            Assert.Empty(reader.LoadIntermediateValues(id));
        }
        using (var store = ExperimentStores.Open(url))
        {
            store.SaveStrategyDiagnostics(id, new StrategyDiagnostics(1, new Dictionary<string, double> { ["tau"] = 0.5 }));
            Assert.Equal(0.5, Assert.Single(store.LoadStrategyDiagnostics(id)).Values["tau"]);
            Assert.Equal([7], store.LoadStrategyState(id));
        }
    }

    [Fact]
    public void A_read_only_store_reads_and_refuses_every_write_and_a_database_without_the_schema_is_no_store()
    {
        var url = server.Url(server.CreateDatabase());
        var error = Assert.Throws<StoreException>(() => ExperimentStores.OpenReadOnly(url));
        Assert.Contains("not an experiment store (no seminas schema in the database)", error.Message);

        using (var writer = ExperimentStores.Open(url)) writer.CreateExperiment(Experiment("kept"));
        using var reader = ExperimentStores.OpenReadOnly(url);
        Assert.NotNull(reader.FindExperiment("kept"));
        var write = Assert.Throws<StoreException>(() => reader.CreateExperiment(Experiment("new")));
        Assert.Contains("opened read-only", write.Message);
        Assert.Equal(["kept"], reader.ListExperiments().Select(e => e.Name));
    }

    [Fact]
    public async Task A_result_recorded_while_the_server_restarts_is_kept()
    {
        var url = server.Url(server.CreateDatabase());
        using var store = PostgresExperimentStore.Open(url, retryFor: TimeSpan.FromMinutes(1));
        var id = store.CreateExperiment(Experiment()).Id;
        var trial = store.AddTrials(id, [Trial("1")], [])[0];
        store.ClaimTrial(trial.Id, "worker", TimeSpan.FromHours(1));

        server.Stop();
        Task record;
        try
        {
            record = Task.Run(() => store.MarkComplete(trial.Id, new Dictionary<string, double> { ["acc"] = 93 }, 93, feasible: true));
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            Assert.False(record.IsCompleted, "the result was reported recorded while the server was down");
        }
        finally
        {
            server.Restart();
        }
        await record;

        using var reopened = ExperimentStores.OpenReadOnly(url);
        Assert.Equal((TrialState.Complete, 93.0), (reopened.LoadTrial(trial.Id).State, reopened.LoadTrial(trial.Id).Objective));
    }

    [Fact]
    public void An_unreachable_server_is_retried_then_reported_and_a_missing_database_at_once_both_naming_the_store()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        var url = $"postgresql://{PostgresServer.User}:{PostgresServer.Password}@127.0.0.1:{port}/nowhere";

        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<StoreException>(() => PostgresExperimentStore.Open(url, retryFor: TimeSpan.FromSeconds(2)));

        Assert.StartsWith($"postgresql://{PostgresServer.User}@127.0.0.1:{port}/nowhere: cannot open the store (tried ", error.Message);
        Assert.Contains("Connection refused", error.Message);
        Assert.DoesNotContain(PostgresServer.Password, error.ToString());
        Assert.InRange(clock.Elapsed.TotalSeconds, 1, 30);

        clock.Restart();
        var missing = Assert.Throws<StoreException>(() => ExperimentStores.Open(server.Url("no_such_db")));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "a missing database was retried as if the server were down");
        Assert.Equal($"{server.Url("no_such_db", withPassword: false)}: cannot open the store: database \"no_such_db\" does not exist; " +
            "create it first (createdb, or CREATE DATABASE), seminas creates only its tables", missing.Message);
    }

    [Fact]
    public void Artifacts_go_to_a_folder_named_after_the_database_unless_the_URL_names_one()
    {
        var database = server.CreateDatabase();
        using (var store = ExperimentStores.Open(server.Url(database)))
            Assert.Equal(Path.GetFullPath(Path.Combine("experiments", database)), store.ArtifactDirectory);
        using var folder = new TempFolder();
        using var elsewhere = ExperimentStores.Open($"{server.Url(database)}?artifacts={folder.File("runs")}");
        Assert.Equal((folder.File("runs"), $"{server.Url(database, withPassword: false)}?artifacts={folder.File("runs")}"),
            (elsewhere.ArtifactDirectory, elsewhere.Location));
    }

    [Fact]
    public async Task The_quickstart_searches_into_postgresql_resumes_and_extends_there_and_status_experiments_and_report_read_it()
    {
        using var folder = new TempFolder();
        var config = File.ReadAllText(Path.Combine(Repository.Root, "configs/quickstart.yaml")).Replace("  budget: 100\n", "  budget: 25\n");
        Assert.Contains("  budget: 25\n", config);
        folder.Write("quickstart.yaml", config);
        var url = server.Url(server.CreateDatabase(), withPassword: false);

        var (code, output, error) = await Seminas(folder, "search", "quickstart.yaml", "--storage", url);
        Assert.True(code == 0, error);
        Assert.Contains($"Finished: 25 complete, 0 failed, stored in {url}.", output);

        // The same command again finds it finished; a larger budget goes on from the strategy state kept in the database.
        (code, output, error) = await Seminas(folder, "search", "quickstart.yaml", "--storage", url);
        Assert.True(code == 0, error);
        Assert.Contains($"Experiment 'quickstart' already finished: 25 of 25 trials are recorded in {url}.", output);
        (code, output, error) = await Seminas(folder, "search", "quickstart.yaml", "--storage", url, "--budget", "30");
        Assert.True(code == 0, error);
        Assert.Contains($"Finished: 30 complete, 0 failed, stored in {url}.", output);

        (code, output, error) = await Seminas(folder, "experiments", url);
        Assert.True(code == 0, error);
        Assert.StartsWith("quickstart: nasbench201, seminas, 30/30 trials, finished", output);

        (code, output, error) = await Seminas(folder, "status", url);
        Assert.True(code == 0, error);
        Assert.Contains("Trials: 30 complete (0 infeasible), 0 failed, 0 running, 0 waiting.", output);

        (code, _, error) = await Seminas(folder, "report", url, "--output", "report.html");
        Assert.True(code == 0, error);
        Assert.Contains("\"name\":\"quickstart\"", File.ReadAllText(folder.File("report.html")));
    }

    [Fact]
    public async Task A_second_search_of_a_running_experiment_on_postgresql_is_refused_naming_the_process_that_runs_it()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201(name: "busy", budget: 12, simulatedSeconds: 0.5));
        var database = server.CreateDatabase();
        var url = server.Url(database, withPassword: false);
        using var first = SeminasProcess.Start(folder.Path, new Dictionary<string, string> { ["PGPASSWORD"] = PostgresServer.Password },
            "search", "c.yaml", "--storage", url);
        try
        {
            var deadline = Stopwatch.StartNew();
            while (!IsRunning(server.Url(database)))
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(1), "the first search never started a trial");
                await Task.Delay(100);
            }

            var (code, _, error) = await Seminas(folder, "search", "c.yaml", "--storage", url);

            Assert.NotEqual(0, code);
            Assert.Contains($"{url}: the experiment is being run by process {first.Id} on {Environment.MachineName}", error);
        }
        finally
        {
            first.Kill(entireProcessTree: true);
        }
    }

    private static bool IsRunning(string url)
    {
        try
        {
            using var store = ExperimentStores.OpenReadOnly(url);
            return store.FindExperiment("busy") is { } e && store.LoadTrials(e.Id).Any(t => t.State == TrialState.Running);
        }
        catch (StoreException)
        {
            return false; // no schema yet
        }
    }

    [Fact]
    public async Task Bench_store_times_postgresql_against_sqlite_and_every_trial_is_recorded()
    {
        using var folder = new TempFolder();
        var database = server.CreateDatabase();
        var url = server.Url(database, withPassword: false);

        var (code, output, error) = await Seminas(folder, "bench", "store", url, "--trials", "40", "--workers", "1", "3");

        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.Matches(@"^ +1 worker\(s\) +add +[0-9.]+ +claim\+record +[0-9.]+ +\(1\.00x SQLite\) +SQLite \(temporary file\)$", lines[1]);
        Assert.Matches($@"^ +3 worker\(s\) .*\([0-9.]+x SQLite\) +{Regex.Escape(url)}$", lines[4]);
        using var store = ExperimentStores.OpenReadOnly(server.Url(database));
        Assert.All(store.ListExperiments(), e => Assert.Equal(40, store.LoadTrials(e.Id).Count(t => t.State == TrialState.Complete)));
        Assert.Equal(2, store.ListExperiments().Count);
    }

    [Fact]
    public async Task The_worker_processes_of_a_search_get_its_password_in_their_environment_and_not_on_their_command_line()
    {
        using var folder = new TempFolder();
        var database = server.CreateDatabase();
        // The password is in the file, as a user without a pgpass file writes it; ps shows command lines to every user.
        folder.Write("c.yaml", Configs.NasBench201(name: "hidden", budget: 8, simulatedSeconds: 0.3, workers: 2,
            extra: $"  isolation: process\nstorage:\n  url: {server.Url(database)}"));

        var search = SeminasProcess.RunAsync(folder.Path, "search", "c.yaml");
        var commandLines = new HashSet<string>();
        while (!search.IsCompleted)
        {
            commandLines.UnionWith(CommandLinesNaming(database).Where(line => line.Contains(" worker ", StringComparison.Ordinal)));
            await Task.Delay(20);
        }
        var (code, output, error) = await search;

        Assert.True(code == 0, error);
        Assert.Contains($"Finished: 8 complete, 0 failed, stored in {server.Url(database, withPassword: false)}.", output);
        Assert.NotEmpty(commandLines);
        Assert.All(commandLines, line => Assert.DoesNotContain(PostgresServer.Password, line));
        Assert.DoesNotContain(PostgresServer.Password, output + error);
    }

    private static IEnumerable<string> CommandLinesNaming(string text)
    {
        foreach (var process in Directory.EnumerateDirectories("/proc"))
        {
            string line;
            try
            {
                line = File.ReadAllText(Path.Combine(process, "cmdline")).Replace('\0', ' ');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // ended meanwhile
            }
            if (line.Contains(text, StringComparison.Ordinal)) yield return line;
        }
    }

    /// <summary>Runs seminas with the password in PGPASSWORD only, as a user keeps it out of the command line.</summary>
    private static async Task<(int, string, string)> Seminas(TempFolder folder, params string[] args)
    {
        var (code, output, error) = await SeminasProcess.RunAsync(folder.Path,
            new Dictionary<string, string> { ["PGPASSWORD"] = PostgresServer.Password }, args);
        Assert.DoesNotContain(PostgresServer.Password, output + error);
        return (code, output, error);
    }
}

/// <summary>What needs no server: URLs as the commands show them.</summary>
public sealed class PostgresUrlTests
{
    [Fact]
    public async Task Validate_shows_a_postgresql_store_without_the_password_the_file_gives()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201(extra: "storage:\n  url: postgresql://nas:Zq9-secret@db.lab:6543/searches?sslmode=require"));

        var (code, output, error) = await SeminasProcess.RunAsync(folder.Path, "validate", "c.yaml");

        Assert.True(code == 0, error);
        Assert.Contains("  store postgresql://nas@db.lab:6543/searches?sslmode=require\n", output);
        Assert.DoesNotContain("Zq9-secret", output + error);
    }
}
