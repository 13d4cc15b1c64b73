using SemiNas.Dashboard;
using SemiNas.Engine;
using SemiNas.Host.Configuration;
using SemiNas.Host.Experiments;
using SemiNas.Host.Plugins;
using SemiNas.Host.Reporting;
using SemiNas.Storage;

namespace SemiNas.Host.Tests.Experiments;

/// <summary>A real SemiNAS search on the NAS-Bench-201 table reports its controller's diagnostics into the store.</summary>
public class StrategyDiagnosticsRunTests
{
    [Fact]
    public async Task A_seminas_search_stores_the_diagnostics_of_each_iteration_and_the_page_data_carries_them()
    {
        using var folder = new TempFolder();
        // 10 random samples, then iterations of 5: 11-15, 16-20, 21-25. A small controller keeps it to seconds.
        var config = folder.Write("c.yaml", """
            schemaVersion: 1
            name: diagnosed
            seed: 3
            task: {plugin: nasbench201, options: {dataset: cifar10-valid}}
            search:
              strategy: seminas
              budget: 25
              options: {initialSamples: 10, newPerIteration: 5, pseudoLabeled: 100, upSample: 2, seeds: 10, hidden: 8, mlpHidden: 8, pretrainEpochs: 30, trainEpochs: 5}
            execution: {workers: 1, device: cpu}
            """);
        var loaded = ConfigLoader.Load(config);
        using var plan = ExperimentPlan.Create(loaded, PluginCatalog.Discover([]), folder.File("s.sqlite"));
        using var store = new InMemoryExperimentStore(folder.Path);
        var runner = new ExperimentRunner(plan.Search, store, new RunSettings(1, "cpu", null),
            new ConsoleProgress(TextWriter.Null, interactive: false, plan.Task.Objective));
        var result = await runner.RunAsync(CancellationToken.None);
        Assert.Equal(RunOutcome.Finished, result.Outcome);

        var iterations = store.LoadStrategyDiagnostics(result.Experiment.Id);
        Assert.Equal([1, 2, 3], iterations.Select(i => i.Iteration));
        for (var i = 0; i < 3; i++)
        {
            var values = iterations[i].Values;
            Assert.Equal(10 + 5 * i, values["train.labelled"]);
            Assert.Equal(100, values["train.pseudo_labelled"]);
            Assert.Equal(5, values["batch.size"]);
            Assert.True(values["generator.steps"] >= 1 && values["loss.final"] > 0);
            // Each batch is scored against its table results when the next iteration starts; the last one is not.
            Assert.Equal(i < 2, values.ContainsKey("rank.kendall_tau"));
            if (i < 2) Assert.InRange(values["rank.kendall_tau"], -1, 1);
        }

        // What the dashboard and the report draw: one entry per iteration in the experiment's data.
        var data = DashboardData.FromStore(new StoreSnapshot(store.Location, [new ExperimentSnapshot(result.Experiment,
            store.LoadTrials(result.Experiment.Id), store.LoadAttempts(result.Experiment.Id)) { Diagnostics = iterations }], []), DateTimeOffset.UtcNow);
        var diagnostics = data["experiments"]![0]!["diagnostics"]!.AsArray();
        Assert.Equal(3, diagnostics.Count);
        Assert.Equal(iterations[0].Values["rank.kendall_tau"], diagnostics[0]!["values"]!["rank.kendall_tau"]!.GetValue<double>());
    }
}
