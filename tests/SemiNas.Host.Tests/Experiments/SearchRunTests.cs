using SemiNas.Core;
using SemiNas.Engine;
using SemiNas.Host.Configuration;
using SemiNas.Host.Experiments;
using SemiNas.Host.Plugins;
using SemiNas.Host.Reporting;
using SemiNas.Storage;

namespace SemiNas.Host.Tests.Experiments;

public class SearchRunTests
{
    private static readonly PluginCatalog Catalog = PluginCatalog.Discover([]);

    private static async Task<(RunResult Result, string Output)> Run(string configPath, string storePath,
        RunSettings? settings = null, CancellationTokenSource? stopAfterFive = null, SemiNas.Contracts.ITaskPlugin? plugin = null,
        TimeSpan? stopDelay = null)
    {
        var loaded = ConfigLoader.Load(configPath);
        using var plan = plugin is null ? ExperimentPlan.Create(loaded, Catalog, storePath) : ExperimentPlan.Create(loaded, plugin, storePath);
        using var store = ExperimentStore.Open(plan.StorePath);
        var output = new StringWriter();
        ISearchObserver observer = new ConsoleProgress(output, interactive: false, plan.Task.Objective);
        if (stopAfterFive is not null) observer = new StopAfter(observer, 5, stopAfterFive, stopDelay);
        var runner = new ExperimentRunner(plan.Search, store, settings ?? new RunSettings(loaded.Config.Execution.Workers, "cpu", null), observer);
        var result = await runner.RunAsync(stopAfterFive?.Token ?? CancellationToken.None);
        return (result, output.ToString());
    }

    [Fact]
    public async Task Random_search_on_NAS_Bench_201_evaluates_the_budget_of_distinct_architectures()
    {
        using var folder = new TempFolder();
        var config = folder.Write("c.yaml", Configs.NasBench201(budget: 100));
        var (result, output) = await Run(config, folder.File("s.sqlite"));

        Assert.Equal(RunOutcome.Finished, result.Outcome);
        Assert.Equal(100, result.Trials.Count(t => t.State == TrialState.Complete));
        Assert.Equal(100, result.Trials.Select(t => t.CanonicalKey).Distinct().Count());
        var best = TrialSummary.Of(result.Trials, result.Experiment.Objective).Best!;
        Assert.Equal(result.Trials.Max(t => t.Objective), best.Objective);
        Assert.True(best.Metrics["test_accuracy"] > 90);
        Assert.Contains("100/100 trials", output);
        Assert.Contains("best valid_accuracy", output);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_trials_and_another_seed_other_ones()
    {
        using var folder = new TempFolder();
        var a = await Run(folder.Write("a.yaml", Configs.NasBench201(name: "a", budget: 20, seed: 5)), folder.File("a.sqlite"));
        var b = await Run(folder.Write("b.yaml", Configs.NasBench201(name: "b", budget: 20, seed: 5)), folder.File("b.sqlite"));
        var c = await Run(folder.Write("c.yaml", Configs.NasBench201(name: "c", budget: 20, seed: 6)), folder.File("c.sqlite"));
        Assert.Equal(a.Result.Trials.Select(t => t.Architecture), b.Result.Trials.Select(t => t.Architecture));
        Assert.NotEqual(a.Result.Trials.Select(t => t.Architecture), c.Result.Trials.Select(t => t.Architecture));
    }

    [Fact]
    public async Task Running_a_finished_experiment_again_says_so_and_evaluates_nothing()
    {
        using var folder = new TempFolder();
        var config = folder.Write("c.yaml", Configs.NasBench201(budget: 10));
        var first = await Run(config, folder.File("s.sqlite"));
        var second = await Run(config, folder.File("s.sqlite"));
        Assert.Equal(RunOutcome.AlreadyFinished, second.Result.Outcome);
        Assert.Equal(first.Result.Trials.Select(t => t.Id), second.Result.Trials.Select(t => t.Id));
    }

    [Fact]
    public async Task A_changed_configuration_is_refused_unless_forked()
    {
        using var folder = new TempFolder();
        var store = folder.File("s.sqlite");
        await Run(folder.Write("c.yaml", Configs.NasBench201(budget: 10)), store);
        var changed = folder.Write("c2.yaml", Configs.NasBench201(budget: 10, dataset: "cifar100"));

        var error = await Assert.ThrowsAsync<StoreException>(() => Run(changed, store));
        Assert.Contains("task.options.dataset", error.Message);
        Assert.Contains("--fork", error.Message);

        var fork = await Run(changed, store, new RunSettings(1, "cpu", null, Fork: true));
        Assert.Equal("nb201-fork2", fork.Result.Experiment.Name);
        Assert.Equal(10, fork.Result.Trials.Count);
        var again = await Run(changed, store, new RunSettings(1, "cpu", null, Fork: true));
        Assert.Equal(RunOutcome.AlreadyFinished, again.Result.Outcome);
    }

    [Fact]
    public async Task Cheap_constraints_keep_candidates_out_before_evaluation()
    {
        using var folder = new TempFolder();
        var config = folder.Write("c.yaml", Configs.NasBench201(budget: 50, extra: "constraints:\n  flops: {max: 50e6}"));
        var (result, _) = await Run(config, folder.File("s.sqlite"));
        Assert.Equal(50, result.Trials.Count);
        Assert.All(result.Trials, t => Assert.True(t.CheapMetrics["flops"] <= 50e6));
    }

    [Fact]
    public async Task Failing_evaluations_are_recorded_with_their_reason_and_the_search_goes_on()
    {
        using var folder = new TempFolder();
        var config = folder.Write("c.yaml", """
            schemaVersion: 1
            name: flaky
            task: {plugin: flaky}
            search: {budget: 81}
            execution: {workers: 3, trialTimeoutSeconds: 3}
            """);
        // The timeout leaves room for a loaded machine: at 0.5 s a quick evaluation once timed out on one.
        var (result, output) = await Run(config, folder.File("s.sqlite"), new RunSettings(3, "cpu", TimeSpan.FromSeconds(3)), plugin: new FlakyPlugin());

        Assert.Equal(RunOutcome.Finished, result.Outcome);
        Assert.Equal(81, result.Trials.Count);
        var failed = result.Trials.Where(t => t.State == TrialState.Failed).ToList();
        Assert.Contains(failed, t => t.Error!.Contains("the model diverged"));
        Assert.Contains(failed, t => t.Error!.Contains("NaN"));
        Assert.Contains(failed, t => t.Architecture.ToString() == "3 3 3 3" && t.Error!.Contains("timed out"));
        Assert.Equal(27 + 9 + 1, failed.Count);
        Assert.Contains("FAILED", output);
    }

    [Fact]
    public async Task An_interrupted_search_resumes_and_ends_with_exactly_the_budget()
    {
        using var folder = new TempFolder();
        var config = folder.Write("c.yaml", Configs.NasBench201(budget: 40, simulatedSeconds: 0.02, workers: 4));
        var store = folder.File("s.sqlite");
        using (var stop = new CancellationTokenSource())
        {
            var (interrupted, _) = await Run(config, store, stopAfterFive: stop);
            Assert.Equal(RunOutcome.Interrupted, interrupted.Outcome);
            Assert.InRange(interrupted.Trials.Count(t => t.State == TrialState.Complete), 5, 8);
            Assert.Contains(interrupted.Trials, t => t.State == TrialState.Waiting);
            Assert.DoesNotContain(interrupted.Trials, t => t.State == TrialState.Running);
        }
        var (resumed, resumedOutput) = await Run(config, store);
        Assert.Equal(RunOutcome.Finished, resumed.Outcome);
        Assert.Equal(40, resumed.Trials.Count(t => t.State == TrialState.Complete));
        Assert.Equal(40, resumed.Trials.Select(t => t.CanonicalKey).Distinct().Count());
        Assert.Contains("resuming", resumedOutput);
    }

    [Fact]
    public async Task Ctrl_C_while_the_controller_trains_interrupts_the_search_at_once()
    {
        using var folder = new TempFolder();
        var config = folder.Write("c.yaml", """
            schemaVersion: 1
            name: long-controller
            task: {plugin: nasbench201, options: {dataset: cifar10-valid}}
            search:
              strategy: seminas
              budget: 20
              options: {initialSamples: 5, pretrainEpochs: 1000000, hidden: 8, mlpHidden: 8}
            execution: {workers: 1}
            """);
        using var stop = new CancellationTokenSource();
        // Ctrl-C half a second after the fifth result, when the controller has started its half hour of pre-training.
        var run = Run(config, folder.File("s.sqlite"), stopAfterFive: stop, stopDelay: TimeSpan.FromMilliseconds(500));
        var (interrupted, output) = await run.WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(RunOutcome.Interrupted, interrupted.Outcome);
        Assert.Equal(5, interrupted.Trials.Count(t => t.State == TrialState.Complete));
        Assert.Equal(5, interrupted.Trials.Count);
    }

    /// <summary>Presses Ctrl-C (cancels) once <c>count</c> trials have finished, or <c>delay</c> after that.</summary>
    private sealed class StopAfter(ISearchObserver inner, int count, CancellationTokenSource stop, TimeSpan? delay) : ISearchObserver
    {
        public void Started(ExperimentRecord experiment, IReadOnlyList<TrialRecord> trials, int requeued) => inner.Started(experiment, trials, requeued);

        public void TrialProgress(TrialRecord trial, SemiNas.Contracts.EvaluationProgress progress) => inner.TrialProgress(trial, progress);

        public void TrialFinished(TrialRecord trial, IReadOnlyList<TrialRecord> trials)
        {
            inner.TrialFinished(trial, trials);
            if (trials.Count(t => t.IsFinished) < count) return;
            if (delay is { } wait) stop.CancelAfter(wait);
            else stop.Cancel();
        }

        public void Ended(RunResult result) => inner.Ended(result);
    }
}
