using System.Diagnostics;
using SemiNas.Engine;
using SemiNas.Host.Tests.Cli;
using SemiNas.Host.Tests.Storage;
using SemiNas.Storage;

namespace SemiNas.Host.Tests.Reliability;

/// <summary>
/// A proposer killed with SIGKILL and started again with the same command proposes exactly what an uninterrupted
/// search proposes: the trial list (number and canonical key) is the same, whichever process proposed each trial.
/// </summary>
public class TakeoverTests
{
    [Fact]
    public async Task Evolution_killed_mid_search_and_run_again_records_the_trials_of_an_uninterrupted_search()
    {
        using var folder = new TempFolder();
        // One evaluation at a time, so that every proposal follows from all results before it: evolution's tournaments
        // read the results, and its proposals depend on them and on its saved population and generator.
        var config = folder.Write("c.yaml", Configs.NasBench201(name: "evo", budget: 36, seed: 4, simulatedSeconds: 0.05, strategy: "evolution")
            .Replace("  budget: 36\n", "  budget: 36\n  options: {populationSize: 8, tournamentSize: 3}\n"));
        var store = folder.File("experiments/evo.sqlite");
        var uninterrupted = LeaseDrillTests.Search(config, folder.File("uninterrupted.sqlite"), new RunSettings(1, "cpu", null), CancellationToken.None);

        using (var process = SeminasProcess.Start(folder.Path, "search", "c.yaml"))
        {
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            // Past the random population, in the middle of an evaluation (each takes 50 ms).
            await WaitUntil(() => StoreSql.CompleteTrials(store) >= 14, () => process.HasExited ? "the search ended before it was killed" : null);
            process.Kill(entireProcessTree: true); // SIGKILL: no cleanup runs
            await process.WaitForExitAsync();
        }
        Assert.InRange(StoreSql.CompleteTrials(store), 14, 35);

        var resumed = await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml");
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains("resuming", resumed.Output);

        Assert.Equal(Numbered((await uninterrupted).Trials), await Numbered(store));
    }

    [Fact]
    public async Task A_proposer_killed_while_a_worker_keeps_working_is_succeeded_by_one_that_proposes_what_an_uninterrupted_search_does()
    {
        using var folder = new TempFolder();
        var config = folder.Write("c.yaml", Configs.NasBench201(name: "relay", budget: 14, seed: 9, simulatedSeconds: 0.4, workers: 0));
        var store = folder.File("experiments/relay.sqlite");
        // Random search proposes from its seeded generator alone, so an uninterrupted search with any number of
        // evaluations at once proposes what a proposer with workers does.
        var uninterrupted = LeaseDrillTests.Search(config, folder.File("uninterrupted.sqlite"), new RunSettings(4, "cpu", null), CancellationToken.None);

        Task<(int ExitCode, string Output, string Error)> worker;
        using (var first = SeminasProcess.Start(folder.Path, "search", "c.yaml"))
        {
            _ = first.StandardOutput.ReadToEndAsync();
            _ = first.StandardError.ReadToEndAsync();
            await WaitUntil(() => StoreSql.Query(store, "SELECT COUNT(*) FROM experiments") == 1, () => first.HasExited ? "the proposer ended early" : null);
            worker = SeminasProcess.RunAsync(folder.Path, "worker", store, "--experiment", "relay");
            await WaitUntil(() => StoreSql.CompleteTrials(store) >= 4 && StoreSql.Query(store, "SELECT COUNT(*) FROM trials WHERE state = 'RUNNING'") == 1,
                () => first.HasExited ? "the proposer ended before it was killed" : null);
            first.Kill(entireProcessTree: true); // SIGKILL: the proposer's strategy state is the one saved with its last trials
            await first.WaitForExitAsync();
        }
        // The worker goes on with what was proposed while no proposer runs: the trial it had and the one waiting.
        var atKill = StoreSql.CompleteTrials(store);
        await WaitUntil(() => StoreSql.CompleteTrials(store) > atKill, () => worker.IsCompleted ? "the worker ended" : null);

        var successor = await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml");
        var evaluated = await worker;
        Assert.True(successor.ExitCode == 0, successor.Error);
        Assert.True(evaluated.ExitCode == 0, evaluated.Error);
        Assert.Equal(14, StoreSql.CompleteTrials(store));

        Assert.Equal(Numbered((await uninterrupted).Trials), await Numbered(store));
    }

    private static List<string> Numbered(IEnumerable<TrialRecord> trials) =>
        trials.OrderBy(t => t.Number).Select(t => $"{t.Number} {t.CanonicalKey}").ToList();

    private static async Task<List<string>> Numbered(string path)
    {
        using var store = ExperimentStore.OpenReadOnly(path);
        return Numbered(store.LoadTrials(store.ListExperiments().Single().Id));
    }

    /// <summary>Polls until the condition holds; <paramref name="broken"/> names what makes waiting pointless.</summary>
    private static async Task WaitUntil(Func<bool> condition, Func<string?> broken)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (broken() is { } why) Assert.Fail(why);
            Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(2), "no progress within 2 minutes");
            await Task.Delay(20);
        }
    }
}
