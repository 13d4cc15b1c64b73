using System.Diagnostics;
using System.Text.Json;
using SemiNas.Core;
using SemiNas.Engine;
using SemiNas.Host.Configuration;
using SemiNas.Host.Experiments;
using SemiNas.Host.Plugins;
using SemiNas.Host.Reporting;
using SemiNas.Host.Tests.Cli;
using SemiNas.Storage;

namespace SemiNas.Host.Tests.Storage;

/// <summary>
/// Searches ended in the middle of a trial: real `seminas search` processes killed as an out-of-memory kill or a
/// native crash ends them, and searches stopped as Ctrl-C stops them.
/// </summary>
public class LeaseDrillTests
{
    [Fact]
    public async Task A_trial_whose_process_is_killed_is_re_run_on_resume_and_failed_with_its_reasons_once_maxAttempts_is_spent()
    {
        using var folder = new TempFolder();
        // Not the default (2), so that the test also shows the configuration's value reaching the search.
        folder.Write("c.yaml", Configs.NasBench201(name: "oom", budget: 2, simulatedSeconds: 1.5).Replace("  device: cpu\n", "  device: cpu\n  maxAttempts: 3\n"));
        var store = folder.File("experiments/oom.sqlite");

        var first = await KillDuringAttempt(folder, store, attempt: 1);
        Assert.Equal(1, StoreSql.Query(store, "SELECT COUNT(*) FROM trials WHERE number = 1 AND state = 'RUNNING'"));
        var (_, status, _) = await SeminasProcess.RunAsync(folder.Path, "status", store);
        Assert.Contains($"Running: trial 1 in {first}@{Environment.MachineName} (lease until", status);

        // Each resumed search requeues the dead process's trial and runs it first, as its next attempt. Killed again.
        await KillDuringAttempt(folder, store, attempt: 2);
        Assert.Equal(1, StoreSql.Query(store,
            $"SELECT COUNT(*) FROM trial_attempts WHERE number = 1 AND outcome = 'LEASE_EXPIRED' AND reason LIKE 'process {first} on %'"));
        var third = await KillDuringAttempt(folder, store, attempt: 3);

        // Three attempts ended with their process: the next run gives the trial up and finishes the search.
        var (exitCode, output, error) = await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml");
        Assert.True(exitCode == 0, error);
        Assert.Contains("warning: trial 1 FAILED: gave up after 3 attempt(s) that ended without a result (execution.maxAttempts: 3)", error);
        Assert.Contains($"#3 by {third}@{Environment.MachineName}", error);
        Assert.Contains("resuming", output);

        var (_, exported, _) = await SeminasProcess.RunAsync(folder.Path, "export", store, "--format", "json");
        using var trials = JsonDocument.Parse(exported);
        var trial1 = trials.RootElement[0];
        Assert.Equal(("FAILED", 3), (trial1.GetProperty("state").GetString(), trial1.GetProperty("attempts").GetInt32()));
        Assert.Equal(["lease expired", "lease expired", "lease expired"],
            trial1.GetProperty("attemptLog").EnumerateArray().Select(a => a.GetProperty("end").GetString()));
        Assert.Equal("COMPLETE", trials.RootElement[1].GetProperty("state").GetString());
    }

    [Fact]
    public async Task Stopping_a_search_in_the_middle_of_its_trials_uses_up_none_of_their_attempts()
    {
        using var folder = new TempFolder();
        var config = folder.Write("c.yaml", Configs.NasBench201(name: "stop", budget: 2, simulatedSeconds: 1, workers: 2));
        var path = folder.File("s.sqlite");
        var settings = new RunSettings(2, "cpu", null, MaxAttempts: 1);
        for (var stop = 0; stop < 2; stop++)
        {
            using var ctrlC = new CancellationTokenSource();
            var run = Search(config, path, settings, ctrlC.Token);
            var deadline = Stopwatch.StartNew();
            while (StoreSql.Query(path, "SELECT COUNT(*) FROM trials WHERE state = 'RUNNING'") < 2)
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(1), "the trials never started");
                await Task.Delay(20);
            }
            await ctrlC.CancelAsync();
            Assert.Equal(RunOutcome.Interrupted, (await run).Outcome);
        }

        var finished = await Search(config, path, settings, CancellationToken.None);

        Assert.Equal(RunOutcome.Finished, finished.Outcome);
        Assert.All(finished.Trials, t => Assert.Equal((TrialState.Complete, 3), (t.State, t.Attempts)));
        using var store = ExperimentStore.OpenReadOnly(path);
        var attempts = store.LoadAttempts(finished.Experiment.Id);
        Assert.Equal(4, attempts.Count(a => a.End == AttemptEnd.Interrupted && a.Reason == "the search was stopped (Ctrl-C or a signal)"));
        Assert.Equal(2, attempts.Count(a => a.End == AttemptEnd.Completed));
    }

    /// <summary>Runs a search in this process, as `seminas search` does.</summary>
    internal static async Task<RunResult> Search(string configPath, string storePath, RunSettings settings, CancellationToken stop)
    {
        using var plan = ExperimentPlan.Create(ConfigLoader.Load(configPath), PluginCatalog.Discover([]), storePath);
        using var store = ExperimentStore.Open(plan.StorePath);
        var runner = new ExperimentRunner(plan.Search, store, settings, new ConsoleProgress(TextWriter.Null, false, plan.Task.Objective));
        return await runner.RunAsync(stop);
    }

    /// <summary>Starts the search, SIGKILLs it while trial 1's given attempt runs, and returns the killed process's id.</summary>
    private static async Task<int> KillDuringAttempt(TempFolder folder, string store, int attempt)
    {
        using var process = SeminasProcess.Start(folder.Path, "search", "c.yaml");
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var deadline = Stopwatch.StartNew();
        while (StoreSql.Query(store, $"SELECT COUNT(*) FROM trial_attempts WHERE number = {attempt} AND ended_at IS NULL") == 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(2), $"attempt {attempt} of trial 1 never started");
            Assert.False(process.HasExited, "the search ended before it was killed");
            await Task.Delay(20);
        }
        process.Kill(entireProcessTree: true); // SIGKILL: no cleanup runs, the lease is left behind
        await process.WaitForExitAsync();
        return process.Id;
    }
}
