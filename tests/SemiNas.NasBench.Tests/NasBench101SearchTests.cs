using SemiNas.Core;
using SemiNas.Engine;
using SemiNas.Host.Configuration;
using SemiNas.Host.Experiments;
using SemiNas.Host.Reporting;
using SemiNas.Plugins.NasBench.NasBench101;
using SemiNas.Storage;

namespace SemiNas.NasBench.Tests;

/// <summary>SemiNAS on the NAS-Bench-101 slice, end to end through the host's configuration loader, store and runner.</summary>
public sealed class NasBench101SearchTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("seminas-nb101-search-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_short_SemiNAS_search_on_the_slice_evaluates_only_slice_cells_and_records_their_accuracy()
    {
        // A few controller epochs: the point is the whole path (27-token space, masks, hash keys, the slice's
        // validity rule, the store), not search quality. Two iterations of 10 generated cells after 10 random ones.
        var config = Path.Combine(_folder, "nb101.yaml");
        File.WriteAllText(config, """
            schemaVersion: 1
            name: nb101-slice
            seed: 3
            task:
              plugin: nasbench101
              options:
                query: random-run
            search:
              strategy: seminas
              budget: 30
              options:
                initialSamples: 10
                newPerIteration: 10
                pseudoLabeled: 200
                upSample: 10
                seeds: 20
                hidden: 16
                mlpHidden: 16
                pretrainEpochs: 5
                trainEpochs: 2
                maxStepSize: 5
            execution:
              workers: 1
              device: cpu
              threads: 1
            """);

        var loaded = ConfigLoader.Load(config);
        using var plan = ExperimentPlan.Create(loaded, new NasBench101Plugin(), Path.Combine(_folder, "nb101.sqlite"));
        using var store = ExperimentStore.Open(plan.StorePath);
        var output = new StringWriter();
        var runner = new ExperimentRunner(plan.Search, store, new RunSettings(1, "cpu", null),
            new ConsoleProgress(output, interactive: false, plan.Task.Objective));
        var result = await runner.RunAsync(CancellationToken.None);

        Assert.Equal(RunOutcome.Finished, result.Outcome);
        Assert.Equal(30, result.Trials.Count(t => t.State == TrialState.Complete));
        Assert.Equal(30, result.Trials.Select(t => t.CanonicalKey).Distinct().Count());
        var slice = NasBench101Table.Slice;
        foreach (var trial in result.Trials)
        {
            // Every key is a benchmark hash of a slice cell, and the recorded accuracy is that cell's.
            var row = slice.RowOf(trial.CanonicalKey);
            Assert.True(row >= 0, $"trial {trial.Number}: {trial.CanonicalKey} is not in the slice");
            Assert.Equal(100 * slice.ValidationAccuracy(row, 0), trial.Objective!.Value, 9);
            Assert.Equal(slice.Parameters(row), trial.CheapMetrics["params"]);
            Assert.Contains($"hash {trial.CanonicalKey}", trial.Description);
        }
        // The task says what it searches: the slice's cells only, without test accuracy.
        Assert.Contains("only the slice's cells are valid", plan.Task.Metrics[0].Description);
        Assert.DoesNotContain(plan.Task.Metrics, m => m.Name == "test_accuracy");
        Assert.Contains("30/30 trials", output.ToString());
        var best = TrialSummary.Of(result.Trials, result.Experiment.Objective).Best!;
        Assert.Equal(result.Trials.Max(t => t.Objective), best.Objective);
    }
}
