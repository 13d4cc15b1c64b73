using System.Diagnostics;
using SemiNas.Host.Configuration;

namespace SemiNas.Host.Tests.Cli;

/// <summary>
/// <c>execution.workers: N</c> as N local <c>seminas worker</c> processes (execution.isolation: process), exclusive
/// claims across processes, and a search that evaluates in its own process while feeding an outside worker.
/// </summary>
public class LocalWorkerTests
{
    private static readonly string CrashingPlugin = Path.Combine(AppContext.BaseDirectory, "test-plugins", "CrashingPlugin");

    private static string Crashing(string name, int budget, int crashToken, int delayMs, string execution, bool concurrent = true) => $"""
        schemaVersion: 1
        name: {name}
        seed: 3
        task:
          plugin: crashing
          options:
            crashToken: {crashToken}
            delayMs: {delayMs}
            concurrent: {(concurrent ? "true" : "false")}
        search:
          strategy: random
          budget: {budget}
        execution:
        {execution}
        """;

    [Fact]
    public async Task Evaluations_that_call_FailFast_end_one_worker_each_and_the_search_finishes_its_budget()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Crashing("ff", budget: 8, crashToken: 4, delayMs: 100, """
              workers: 2
              isolation: process
              maxAttempts: 2
              devices: [cpu]
            """));
        var store = folder.File("experiments/ff.sqlite");

        var (exitCode, output, error) = await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml", "--plugins", CrashingPlugin);

        Assert.True(exitCode == 0, $"exit {exitCode}\n{output}\n{error}");
        Assert.Equal(8, StoreSql.Query(store, "SELECT COUNT(*) FROM trials"));
        var crashing = StoreSql.Query(store, "SELECT COUNT(*) FROM trials WHERE tokens LIKE '4 %'");
        Assert.True(crashing > 0, "seed 3 should propose some architectures that start with 4");
        // Each crashing trial: two attempts, both ended because their worker process was gone, then FAILED with both.
        Assert.Equal(crashing, StoreSql.Query(store, "SELECT COUNT(*) FROM trials WHERE tokens LIKE '4 %' AND state = 'FAILED' AND attempts = 2"));
        Assert.Equal(2 * crashing, StoreSql.Query(store, """
            SELECT COUNT(*) FROM trial_attempts a JOIN trials t ON t.id = a.trial_id
            WHERE t.tokens LIKE '4 %' AND a.outcome = 'LEASE_EXPIRED' AND a.reason LIKE '%ended without finishing it%'
            """));
        Assert.Equal(crashing, StoreSql.Query(store, """
            SELECT COUNT(*) FROM trials WHERE state = 'FAILED' AND error LIKE '%gave up after 2 attempt(s)%#1 by %lease expired%#2 by %lease expired%'
            """));
        Assert.Equal(8 - crashing, StoreSql.CompleteTrials(store));
        // Every attempt ran in a worker process, not the search, on the device execution.devices gave it.
        Assert.Equal(0, StoreSql.Query(store, "SELECT COUNT(*) FROM trial_attempts WHERE device IS NOT 'cpu'"));
        Assert.Contains("ended with exit code 134", error);
        var logs = Directory.GetFiles(folder.File("experiments/ff.trials/workers"), "worker-*.log");
        Assert.Equal(2, logs.Length);
        Assert.Contains(logs, log => File.ReadAllText(log).Contains("crashing plugin: [4 "));
    }

    [Fact]
    public async Task Exclusive_claims_never_overlap_the_evaluations_of_two_worker_processes()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Crashing("ex", budget: 6, crashToken: 0, delayMs: 400, "  workers: 0", concurrent: false));
        var store = folder.File("experiments/ex.sqlite");
        var proposer = SeminasProcess.RunAsync(folder.Path, "search", "c.yaml", "--plugins", CrashingPlugin);
        await WaitUntil(() => File.Exists(store) && StoreSql.Query(store, "SELECT COUNT(*) FROM experiments") == 1, "the search never created its experiment");
        var workers = await Task.WhenAll(
            SeminasProcess.RunAsync(folder.Path, "worker", store, "--plugins", CrashingPlugin, "--poll-seconds", "0.05"),
            SeminasProcess.RunAsync(folder.Path, "worker", store, "--plugins", CrashingPlugin, "--poll-seconds", "0.05"));
        var search = await proposer;

        Assert.True(search.ExitCode == 0, search.Error);
        Assert.All(workers, w => Assert.True(w.ExitCode == 0, w.Error));
        Assert.Equal(6, StoreSql.CompleteTrials(store));
        Assert.Equal(0, StoreSql.Query(store, """
            SELECT COUNT(*) FROM trial_attempts a JOIN trial_attempts b ON a.id < b.id
            WHERE a.started_at < b.ended_at AND b.started_at < a.ended_at
            """));
    }

    [Fact]
    public async Task An_in_process_search_and_an_outside_worker_never_overlap_a_task_that_forbids_it()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Crashing("ix", budget: 6, crashToken: 0, delayMs: 400,
            "  workers: 1\n  isolation: inProcess\n  feedWorkers: true", concurrent: false));
        var store = folder.File("experiments/ix.sqlite");
        var search = SeminasProcess.RunAsync(folder.Path, "search", "c.yaml", "--plugins", CrashingPlugin);
        await WaitUntil(() => File.Exists(store) && StoreSql.Query(store, "SELECT COUNT(*) FROM experiments") == 1, "the search never created its experiment");
        var worker = await SeminasProcess.RunAsync(folder.Path, "worker", store, "--plugins", CrashingPlugin, "--poll-seconds", "0.05");
        var searched = await search;

        Assert.True(searched.ExitCode == 0, searched.Error);
        Assert.True(worker.ExitCode == 0, worker.Error);
        Assert.Equal(6, StoreSql.CompleteTrials(store));
        Assert.Equal(0, StoreSql.Query(store, """
            SELECT COUNT(*) FROM trial_attempts a JOIN trial_attempts b ON a.id < b.id
            WHERE a.started_at < b.ended_at AND b.started_at < a.ended_at
            """));
    }

    [Fact]
    public async Task A_search_evaluating_in_its_own_process_also_feeds_an_outside_worker()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201(name: "fw", budget: 8, simulatedSeconds: 0.6, workers: 1,
            extra: "  isolation: inProcess\n  feedWorkers: true"));
        var store = folder.File("experiments/fw.sqlite");
        var search = SeminasProcess.RunAsync(folder.Path, "search", "c.yaml");
        await WaitUntil(() => File.Exists(store) && StoreSql.Query(store, "SELECT COUNT(*) FROM experiments") == 1, "the search never created its experiment");
        var worker = await SeminasProcess.RunAsync(folder.Path, "worker", store, "--poll-seconds", "0.1");
        var searched = await search;

        Assert.True(searched.ExitCode == 0, searched.Error);
        Assert.True(worker.ExitCode == 0, worker.Error);
        Assert.Equal(8, StoreSql.CompleteTrials(store));
        Assert.Equal(8, StoreSql.DistinctKeys(store));
        Assert.Equal(2, StoreSql.Query(store, "SELECT COUNT(DISTINCT owner) FROM trial_attempts WHERE outcome = 'COMPLETED'"));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Ctrl_C_of_the_search_stops_its_workers_and_a_SIGKILLed_search_leaves_workers_that_finish_their_trial_and_exit()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Crashing("st", budget: 6, crashToken: 0, delayMs: 4000, "  workers: 2\n  isolation: process"));
        var store = folder.File("experiments/st.sqlite");
        const string Busy = "SELECT COUNT(*) FROM trials WHERE state = 'RUNNING'";

        // Ctrl-C: both trials back to WAITING, the workers gone, exit 130.
        using (var search = SeminasProcess.Start(folder.Path, "search", "c.yaml", "--plugins", CrashingPlugin))
        {
            var output = search.StandardOutput.ReadToEndAsync();
            var errors = search.StandardError.ReadToEndAsync();
            await WaitUntil(() => StoreSql.Query(store, Busy) == 2, "the workers never started two trials");
            var pids = WorkerPids(store);
            // Not within a second of a claim: the worker's early-SIGTERM race (see WorkerCommandTests) is not this test's.
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            await Signal("-INT", search.Id);
            await search.WaitForExitAsync();

            Assert.True(search.ExitCode == 130, $"exit {search.ExitCode}\n{await output}\n{await errors}");
            Assert.Equal(0, StoreSql.Query(store, Busy));
            Assert.Equal(2, StoreSql.Query(store, "SELECT COUNT(*) FROM trial_attempts WHERE outcome = 'INTERRUPTED'"));
            Assert.All(pids, pid => Assert.False(IsRunning(pid), $"worker {pid} still runs"));
        }

        // SIGKILL of the search alone: its workers finish the trials they hold, record them and exit.
        using (var search = SeminasProcess.Start(folder.Path, "search", "c.yaml", "--plugins", CrashingPlugin))
        {
            _ = search.StandardOutput.ReadToEndAsync();
            _ = search.StandardError.ReadToEndAsync();
            await WaitUntil(() => StoreSql.Query(store, Busy) == 2, "the workers never started two trials");
            var pids = WorkerPids(store);
            await Signal("-KILL", SearchPid(search));
            await WaitUntil(() => pids.All(pid => !IsRunning(pid)), "the orphaned workers never exited");

            Assert.Equal(0, StoreSql.Query(store, Busy));
            Assert.Equal(2, StoreSql.CompleteTrials(store));
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Workers_that_keep_dying_without_a_trial_finishing_stop_the_search_with_an_error_and_leave_it_resumable()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Crashing("bw", budget: 3, crashToken: 0, delayMs: 10, "  workers: 1\n  isolation: process")
            .Replace("concurrent: true", "concurrent: true\n    brokenWorkers: true"));

        var (exitCode, output, error) = await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml", "--plugins", CrashingPlugin);

        Assert.True(exitCode == 1, $"exit {exitCode}\n{output}\n{error}");
        // 1 worker × maxAttempts 2 + 2 deaths in a row are tolerated, the next one stops the search.
        Assert.Equal(4, error.Split("warning: worker 1 (pid").Length - 1);
        Assert.Contains("the worker processes keep ending (5 times, the last with exit code", error);
        Assert.Contains("brokenWorkers is set", error);
        Assert.Equal(1, StoreSql.Query(folder.File("experiments/bw.sqlite"), "SELECT COUNT(*) FROM experiments WHERE finished_at IS NULL"));
    }

    [Fact]
    public void A_device_that_is_not_one_is_refused_with_its_file_line_and_key()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(
            Configs.NasBench201(name: "d", extra: "  devices: [cuda:0, gpu1]"), "d.yaml"));

        Assert.Contains("d.yaml:", error.Message);
        Assert.Contains("execution.devices: entry 1, 'gpu1', is not a device", error.Message);
        Assert.True(error.Line > 0);
        Assert.Equal(["cuda:0", "cuda:12", "cpu", "auto"],
            ConfigLoader.Parse(Configs.NasBench201(name: "d", extra: "  devices: [cuda:0, cuda:12, cpu, auto]"), "d.yaml").Execution.Devices);
    }

    // The search runs under `env`, which execs dotnet: its pid is the process's own.
    private static int SearchPid(Process search) => search.Id;

    private static List<int> WorkerPids(string store)
    {
        var owners = new List<int>();
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={store};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT owner FROM trial_attempts WHERE ended_at IS NULL";
        using var reader = command.ExecuteReader();
        while (reader.Read()) owners.Add(int.Parse(reader.GetString(0).Split('@')[0], System.Globalization.CultureInfo.InvariantCulture));
        return owners;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static async Task Signal(string signal, int processId)
    {
        using var kill = Process.Start("kill", [signal, processId.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    private static async Task WaitUntil(Func<bool> condition, string failure)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(2), failure);
            await Task.Delay(20);
        }
    }
}
