using System.Diagnostics;

namespace SemiNas.Host.Tests.Cli;

/// <summary><c>seminas search --workers 0</c> proposing and <c>seminas worker</c> processes evaluating, on one SQLite store.</summary>
public class WorkerCommandTests
{
    [Fact]
    public async Task A_proposer_and_two_workers_meet_the_budget_exactly_and_share_the_trials()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201(name: "w", budget: 30, simulatedSeconds: 0.2, workers: 0));
        var store = folder.File("experiments/w.sqlite");
        var proposer = SeminasProcess.RunAsync(folder.Path, "search", "c.yaml");
        await WaitForExperiment(store);
        var workers = await Task.WhenAll(
            SeminasProcess.RunAsync(folder.Path, "worker", store),
            SeminasProcess.RunAsync(folder.Path, "worker", store));
        var search = await proposer;

        Assert.True(search.ExitCode == 0, search.Error);
        Assert.All(workers, w => Assert.True(w.ExitCode == 0, w.Error));
        Assert.Equal(30, StoreSql.Query(store, "SELECT COUNT(*) FROM trials"));
        Assert.Equal(30, StoreSql.CompleteTrials(store));
        Assert.Equal(30, StoreSql.DistinctKeys(store));
        Assert.Equal(2, StoreSql.Query(store, "SELECT COUNT(DISTINCT owner) FROM trial_attempts"));
        Assert.All(workers, w => Assert.Contains("is finished; this worker evaluated", w.Output));
    }

    [Fact]
    public async Task A_search_taking_over_from_a_killed_proposer_counts_the_trial_a_worker_runs_and_meets_the_budget_exactly()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201(name: "m", budget: 2, simulatedSeconds: 6, workers: 0));
        var store = folder.File("experiments/m.sqlite");
        using (var first = SeminasProcess.Start(folder.Path, "search", "c.yaml"))
        {
            _ = first.StandardOutput.ReadToEndAsync();
            _ = first.StandardError.ReadToEndAsync();
            await WaitForExperiment(store);
            var worker = SeminasProcess.RunAsync(folder.Path, "worker", store, "--max-trials", "1");
            await WaitUntil(() => StoreSql.Query(store, "SELECT COUNT(*) FROM trials WHERE state = 'RUNNING'") == 1
                && StoreSql.Query(store, "SELECT COUNT(*) FROM trials") == 2, "the worker never started a trial");
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();

            // The next proposer evaluates the trial that waits, while the worker still runs the other.
            var search = await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml", "--workers", "1");
            var evaluated = await worker;

            Assert.True(search.ExitCode == 0, search.Error);
            Assert.True(evaluated.ExitCode == 0, evaluated.Error);
        }
        Assert.Equal(2, StoreSql.Query(store, "SELECT COUNT(*) FROM trials"));
        Assert.Equal(2, StoreSql.CompleteTrials(store));
        Assert.Equal(2, StoreSql.Query(store, "SELECT COUNT(DISTINCT owner) FROM trial_attempts WHERE outcome = 'COMPLETED'"));
    }

    [Fact]
    public async Task A_worker_killed_mid_trial_leaves_it_to_another_worker_with_the_attempt_recorded_as_lease_expired()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201(name: "k", budget: 4, simulatedSeconds: 1.5, workers: 0));
        var store = folder.File("experiments/k.sqlite");
        var proposer = SeminasProcess.RunAsync(folder.Path, "search", "c.yaml");
        await WaitForExperiment(store);

        using (var doomed = SeminasProcess.Start(folder.Path, "worker", store))
        {
            _ = doomed.StandardOutput.ReadToEndAsync();
            _ = doomed.StandardError.ReadToEndAsync();
            await WaitUntil(() => StoreSql.Query(store, $"SELECT COUNT(*) FROM trial_attempts WHERE owner LIKE '{doomed.Id}@%' AND ended_at IS NULL") == 1,
                "the first worker never started a trial");
            doomed.Kill(entireProcessTree: true); // SIGKILL: its lease is left behind
            await doomed.WaitForExitAsync();
        }
        var survivor = await SeminasProcess.RunAsync(folder.Path, "worker", store);
        var search = await proposer;

        Assert.True(search.ExitCode == 0, search.Error);
        Assert.True(survivor.ExitCode == 0, survivor.Error);
        Assert.Equal(4, StoreSql.CompleteTrials(store));
        Assert.Equal(1, StoreSql.Query(store, "SELECT COUNT(*) FROM trial_attempts WHERE outcome = 'LEASE_EXPIRED'"));
        Assert.Equal(1, StoreSql.Query(store, """
            SELECT COUNT(*) FROM trial_attempts a JOIN trial_attempts b ON a.trial_id = b.trial_id
            WHERE a.outcome = 'LEASE_EXPIRED' AND b.outcome = 'COMPLETED' AND b.number = a.number + 1
            """));
    }

    [Fact]
    public async Task SIGTERM_right_at_the_claim_puts_the_workers_trial_back_to_waiting_and_exits_as_interrupted()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201(name: "t", budget: 2, simulatedSeconds: 60, workers: 0));
        var store = folder.File("experiments/t.sqlite");
        using var proposer = SeminasProcess.Start(folder.Path, "search", "c.yaml");
        _ = proposer.StandardOutput.ReadToEndAsync();
        _ = proposer.StandardError.ReadToEndAsync();
        try
        {
            await WaitForExperiment(store);
            // The signal comes as soon as the claim is seen: the worker is then still in the synchronous part of its
            // start (plugins loaded, the first evaluation being set up). A signal there once ended the process with 143
            // and left the trial RUNNING until its lease ran out, in about one run of three; several rounds catch that.
            for (var round = 1; round <= 5; round++)
            {
                using var worker = SeminasProcess.Start(folder.Path, "worker", store);
                var output = worker.StandardOutput.ReadToEndAsync();
                var errors = worker.StandardError.ReadToEndAsync();
                await WaitUntil(() => StoreSql.Query(store, "SELECT COUNT(*) FROM trials WHERE state = 'RUNNING'") == 1,
                    "the worker never started a trial", poll: TimeSpan.FromMilliseconds(2));
                await Signal("-TERM", worker.Id);
                await worker.WaitForExitAsync();

                Assert.True(worker.ExitCode == 130, $"round {round}: exit {worker.ExitCode}\n{await output}\n{await errors}");
                Assert.Contains("its trial in evaluation is waiting again", await output);
                Assert.Equal(0, StoreSql.Query(store, "SELECT COUNT(*) FROM trials WHERE state <> 'WAITING'"));
                Assert.Equal(round, StoreSql.Query(store, "SELECT COUNT(*) FROM trial_attempts WHERE outcome = 'INTERRUPTED'"));
            }
        }
        finally
        {
            await Signal("-INT", proposer.Id);
            using var stopped = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try
            {
                await proposer.WaitForExitAsync(stopped.Token);
            }
            finally
            {
                if (!proposer.HasExited) proposer.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task A_worker_refuses_an_experiment_it_cannot_rebuild_and_says_what_differs()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201(name: "r", budget: 3));
        Assert.Equal(0, (await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml")).ExitCode);
        var store = folder.File("experiments/r.sqlite");
        // What another machine would rebuild from a configuration its plugins bind differently: the stored text no
        // longer gives the stored fingerprint.
        StoreSql.Execute(store, "UPDATE experiments SET finished_at = NULL, budget = 6, config_text = replace(config_text, 'seed: 1', 'seed: 2');");

        var (exitCode, _, error) = await SeminasProcess.RunAsync(folder.Path, "worker", store);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("does not reproduce experiment 'r'", error);
        Assert.Contains("seed: 1 -> 2", error);
        Assert.Equal(3, StoreSql.Query(store, "SELECT COUNT(*) FROM trial_attempts"));
    }

    [Fact]
    public async Task A_worker_without_an_experiment_name_lists_the_experiments_when_it_cannot_choose()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201(name: "done", budget: 2));
        Assert.Equal(0, (await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml", "--storage", "s.sqlite")).ExitCode);

        var (exitCode, _, error) = await SeminasProcess.RunAsync(folder.Path, "worker", "s.sqlite");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("holds no unfinished experiment (done (finished))", error);
    }

    internal static async Task Signal(string signal, int processId)
    {
        using var kill = Process.Start("kill", [signal, processId.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    private static Task WaitForExperiment(string store) =>
        WaitUntil(() => File.Exists(store) && StoreSql.Query(store, "SELECT COUNT(*) FROM experiments") == 1, "the search never created its experiment");

    internal static async Task WaitUntil(Func<bool> condition, string failure, TimeSpan? poll = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(2), failure);
            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(20));
        }
    }
}
