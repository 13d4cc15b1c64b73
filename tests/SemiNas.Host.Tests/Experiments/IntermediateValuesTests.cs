using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Engine;
using SemiNas.Host.Configuration;
using SemiNas.Host.Experiments;
using SemiNas.Host.Plugins;
using SemiNas.Host.Reporting;
using SemiNas.Storage;

namespace SemiNas.Host.Tests.Experiments;

/// <summary>What plugins report while they evaluate (training loss by step, say) ends up in the store, by trial and step.</summary>
public class IntermediateValuesTests
{
    private sealed class Recorded : IProgress<EvaluationProgress>
    {
        public List<EvaluationProgress> Reports { get; } = [];

        public void Report(EvaluationProgress value)
        {
            lock (Reports) Reports.Add(value);
        }
    }

    private static (ExperimentStore Store, TrialRecord Trial) StoreWithTrial(TempFolder folder)
    {
        var store = ExperimentStore.Open(folder.File("s.sqlite"));
        var experiment = store.CreateExperiment(new NewExperiment("values", "p", "random", 5, new Objective("acc", MetricGoal.Maximize),
            "name: values", "{}", "fp"));
        var trial = store.AddTrials(experiment.Id, [new NewTrial(new Architecture([1]), "k", "a", new Dictionary<string, double>())], [])[0];
        return (store, trial);
    }

    private static Dictionary<string, double> Loss(double loss) => new() { ["train_loss"] = loss };

    [Fact]
    public void A_plugin_reporting_every_training_step_has_every_step_saved_in_a_few_batches_not_one_commit_each()
    {
        using var folder = new TempFolder();
        var (store, trial) = StoreWithTrial(folder);
        using var _ = store;
        var observer = new Recorded();
        // An hour between flushes: the first values go at once, the rest wait for the end of the evaluation.
        var recorder = new IntermediateValueRecorder(store, trial, observer, TimeSpan.FromHours(1));
        for (var step = 1; step <= 2000; step++)
            recorder.Report(new EvaluationProgress(step / 2000.0, $"step {step}", Loss(1.0 / step)) { Step = step });
        recorder.Dispose();

        var values = store.LoadIntermediateValues(trial.ExperimentId);
        Assert.Equal(Enumerable.Range(1, 2000), values.Select(v => v.Step));
        Assert.All(values, v => Assert.Equal(("train_loss", 1.0 / v.Step, trial.Number), (v.Name, v.Value, v.TrialNumber)));
        Assert.InRange(recorder.Flushes, 1, 2);
        Assert.Equal(2000, observer.Reports.Count);   // the live display still sees every report
    }

    [Fact]
    public void Reports_without_a_step_are_numbered_after_the_last_step_and_nothing_is_kept_after_the_evaluation_ended()
    {
        using var folder = new TempFolder();
        var (store, trial) = StoreWithTrial(folder);
        using var _ = store;
        var observer = new Recorded();
        var recorder = new IntermediateValueRecorder(store, trial, observer, TimeSpan.FromHours(1));
        recorder.Report(new EvaluationProgress(0.1, "no metrics: nothing to keep"));
        recorder.Report(new EvaluationProgress(0.2, null, Loss(3)));                   // step 1
        recorder.Report(new EvaluationProgress(0.5, null, Loss(2)) { Step = 10 });
        recorder.Report(new EvaluationProgress(0.6, null, new Dictionary<string, double> { ["acc"] = 0.5 }) { Step = 10 });
        recorder.Report(new EvaluationProgress(0.7, null, Loss(1)));                   // step 11
        recorder.Dispose();
        recorder.Report(new EvaluationProgress(1, null, Loss(0)) { Step = 12 });       // a timed-out evaluation still running

        Assert.Equal([(1, "train_loss", 3.0), (10, "acc", 0.5), (10, "train_loss", 2.0), (11, "train_loss", 1.0)],
            store.LoadIntermediateValues(trial.ExperimentId).Select(v => (v.Step, v.Name, v.Value)));
        Assert.Equal(6, observer.Reports.Count);
    }

    [Fact]
    public void A_store_that_refuses_the_values_costs_the_values_not_the_evaluation()
    {
        using var folder = new TempFolder();
        var (store, trial) = StoreWithTrial(folder);
        using var _ = store;
        // A trial the store does not have: its foreign key refuses every value.
        var recorder = new IntermediateValueRecorder(store, trial with { Id = trial.Id + 1000 }, new Recorded(), TimeSpan.FromHours(1));
        recorder.Report(new EvaluationProgress(0.5, null, Loss(1)) { Step = 1 });
        recorder.Dispose();
        Assert.Equal(0, recorder.Flushes);
        Assert.Empty(store.LoadIntermediateValues(trial.ExperimentId));
    }

    [Fact]
    public async Task A_search_keeps_what_the_simulated_nas_bench_201_training_reports_at_its_last_epoch()
    {
        using var folder = new TempFolder();
        var loaded = ConfigLoader.Load(folder.Write("c.yaml", Configs.NasBench201(budget: 4, simulatedSeconds: 0.05, workers: 2)));
        using var plan = ExperimentPlan.Create(loaded, PluginCatalog.Discover([]), folder.File("s.sqlite"));
        using var store = ExperimentStore.Open(plan.StorePath);
        var runner = new ExperimentRunner(plan.Search, store, new RunSettings(2, "cpu", null), new ConsoleProgress(TextWriter.Null, false, plan.Task.Objective));
        var result = await runner.RunAsync(CancellationToken.None);

        var values = store.LoadIntermediateValues(result.Experiment.Id);
        Assert.Equal(4, result.Trials.Count(t => t.State == TrialState.Complete));
        foreach (var trial in result.Trials)
        {
            // The table has no learning curves: the final accuracies, at the last of the 200 epochs, and nothing invented before.
            var mine = values.Where(v => v.TrialNumber == trial.Number).ToList();
            Assert.Equal([("train_accuracy", 200, trial.Metrics["train_accuracy"]), ("valid_accuracy", 200, trial.Metrics["valid_accuracy"])],
                mine.Select(v => (v.Name, v.Step, v.Value)));
        }
    }
}
