using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Engine;
using SemiNas.Host.Reporting;
using SemiNas.Storage;

namespace SemiNas.Host.Tests.Experiments;

/// <summary>The loop of a search that only proposes (execution.workers 0, or its own worker processes), in one process.</summary>
public class ProposeOnlyTests
{
    [Fact]
    public async Task A_strategy_with_nothing_to_propose_until_results_arrive_does_not_end_the_search_early()
    {
        using var folder = new TempFolder();
        var path = folder.File("w.sqlite");
        var probe = new ProbePlugin();
        using var task = probe.CreateTask(new ProbePlugin.Options { Log = false }, new TaskCreationContext { ConfigDirectory = folder.Path, Seed = 1 });
        var search = new SearchDefinition
        {
            Name = "w", PluginName = "probe", Task = task, Strategy = new WaitingStrategy(), StrategyOptions = new object(),
            Seed = 1, Budget = 6, ConfigJson = "{}", Fingerprint = "w",
        };
        var observer = new ConsoleProgress(TextWriter.Null, false, task.Objective);
        using var proposerStore = ExperimentStore.Open(path);
        using var workerStore = ExperimentStore.Open(path);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var proposer = new ExperimentRunner(search, proposerStore, new RunSettings(0, "cpu", null), observer).RunAsync(timeout.Token);
        while (workerStore.FindExperiment("w") is null) await Task.Delay(10, timeout.Token);
        var worker = new TrialWorker(search, workerStore, new RunSettings(1, "cpu", null), observer)
            .RunAsync(workerStore.FindExperiment("w")!, null, TimeSpan.FromMilliseconds(20), timeout.Token);
        var result = await proposer;
        await worker;

        // The strategy proposed 2, then nothing until both were scored: that pause is not the end of the search.
        Assert.Equal(RunOutcome.Finished, result.Outcome);
        Assert.Equal(6, result.Trials.Count(t => t.State == TrialState.Complete));
    }

    /// <summary>Like SemiNAS's first samples: 2 architectures, none more until both are scored, then the rest in order.</summary>
    private sealed class WaitingStrategy : IStrategyFactory, ISearchStrategy
    {
        public string Name => "waiting";

        public string Description => "test";

        public Type OptionsType => typeof(object);

        public ISearchStrategy Create(object options, StrategyContext context) => this;

        public Task<IReadOnlyList<Architecture>> ProposeAsync(int maxCount, SearchHistory history, CancellationToken cancellationToken = default)
        {
            var count = history.Trials.Count < 2 ? Math.Min(maxCount, 2 - history.Trials.Count)
                : history.Trials.Any(t => t.IsPending) && history.Trials.Count == 2 ? 0
                : maxCount;
            var all = from a in Enumerable.Range(1, 3) from b in Enumerable.Range(1, 3) select new Architecture([a, b, 1, 1]);
            IReadOnlyList<Architecture> batch = all.Where(x => !history.ContainsKey(x.ToString())).Take(count).ToList();
            return Task.FromResult(batch);
        }

        public byte[] SaveState() => [];

        public void RestoreState(ReadOnlySpan<byte> state)
        {
        }
    }
}
