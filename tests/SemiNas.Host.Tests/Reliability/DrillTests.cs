using System.Diagnostics;
using SemiNas.Core;
using SemiNas.Engine;
using SemiNas.Host.Configuration;
using SemiNas.Host.Experiments;
using SemiNas.Host.Plugins;
using SemiNas.Host.Reporting;
using SemiNas.Host.Tests.Cli;
using SemiNas.Storage;

namespace SemiNas.Host.Tests.Reliability;

/// <summary>The defects a reliability drill found (bad input, damaged stores, plugin hooks that fail, signals), each kept fixed.</summary>
public class DrillTests
{
    [Fact]
    public async Task A_non_finite_number_in_the_configuration_is_refused_at_its_place()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201(extra: "constraints:\n  flops: {max: .inf}"));
        var (exitCode, _, error) = await SeminasProcess.RunAsync(folder.Path, "validate", "c.yaml");
        Assert.Equal(2, exitCode);
        Assert.Contains("c.yaml:16:16: constraints.flops.max: expected a finite number, got '.inf'", error);
    }

    [Fact]
    public void Deep_nesting_is_refused_at_once()
    {
        var text = Configs.NasBench201() + "\ndescription: " + new string('[', 20_000) + new string(']', 20_000);
        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(text, "deep.yaml"));
        Assert.Contains("nested more than 64 levels", error.Message);
        Assert.Equal(16, error.Line);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Two_first_starts_on_a_new_store_both_open_it()
    {
        using var folder = new TempFolder();
        for (var round = 0; round < 10; round++)
        {
            var path = folder.File($"race{round}.sqlite");
            var opens = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            {
                using var store = ExperimentStore.Open(path);
                return store.ListExperiments().Count;
            }));
            Assert.All(await Task.WhenAll(opens), count => Assert.Equal(0, count));
        }
    }

    [Fact]
    public async Task Status_reads_a_store_without_writing_to_it_and_names_a_damaged_row_while_showing_the_others()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201(name: "d", budget: 6));
        Assert.Equal(0, (await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml")).ExitCode);
        var store = folder.File("experiments/d.sqlite");
        StoreSql.Execute(store, "UPDATE trials SET metrics_json = '{\"valid_accuracy\": oops' WHERE number = 3;");
        var before = File.GetLastWriteTimeUtc(store);

        var (exitCode, output, error) = await SeminasProcess.RunAsync(folder.Path, "status", store, "--json");
        Assert.True(exitCode == 0, error);
        Assert.Contains("table trials, trial 3 (row id", error);
        Assert.Contains("column metrics_json", error);
        using var json = System.Text.Json.JsonDocument.Parse(output);
        Assert.Equal(5, json.RootElement.GetProperty("trials").GetProperty("complete").GetInt32());
        Assert.Equal(before, File.GetLastWriteTimeUtc(store));
    }

    [Fact]
    public async Task A_damaged_strategy_snapshot_is_named_with_its_store_and_experiment()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201(name: "snap", budget: 6, strategy: "evolution"));
        Assert.Equal(0, (await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml")).ExitCode);
        var store = folder.File("experiments/snap.sqlite");
        StoreSql.Execute(store, "UPDATE strategy_snapshots SET state = x'00ff00ff'; UPDATE experiments SET finished_at = NULL, budget = 10;");
        folder.Write("c.yaml", Configs.NasBench201(name: "snap", budget: 6, strategy: "evolution"));

        var (exitCode, _, error) = await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml");
        Assert.Equal(1, exitCode);
        Assert.Contains("snap.sqlite: table strategy_snapshots, experiment 'snap'", error);
        Assert.Contains("strategy 'evolution' cannot be read", error);
    }

    [Fact]
    public async Task A_null_evaluation_result_fails_the_trial_naming_the_plugin()
    {
        var (result, _) = await Search(MisbehavingPlugin.Fault.NullResult);
        Assert.Equal(RunOutcome.Finished, result.Outcome);
        Assert.All(result.Trials, t => Assert.Equal(TrialState.Failed, t.State));
        Assert.All(result.Trials, t => Assert.Contains("plugin 'misbehaving' returned no result (null)", t.Error));
    }

    [Fact]
    public async Task A_throwing_CheapMetrics_stops_the_search_naming_the_plugin_the_hook_and_the_architecture()
    {
        var error = await Assert.ThrowsAsync<PluginFailureException>(() => Search(MisbehavingPlugin.Fault.ThrowingCheapMetrics));
        Assert.Matches(@"plugin 'misbehaving' failed in CheapMetrics for \[\d \d \d\]: IndexOutOfRangeException: no such layer", error.Message);
    }

    [Fact]
    public async Task A_throwing_Dispose_does_not_turn_a_finished_search_into_an_error()
    {
        var (result, _) = await Search(MisbehavingPlugin.Fault.ThrowingDispose);
        Assert.Equal(RunOutcome.Finished, result.Outcome);
        Assert.Equal(4, result.Trials.Count(t => t.State == TrialState.Complete));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Ctrl_C_while_the_controller_trains_ends_as_interrupted_and_the_search_resumes()
    {
        using var folder = new TempFolder();
        // SemiNAS trains its controller after the first 10 queries and after each 10 more; the table lookups between take
        // no time, so the signal lands in a training. Three trainings, not one: on fast idle cores one takes about a
        // second, and a signal that came after the last one would find the search already finished.
        var config = Configs.NasBench201(name: "sig", budget: 40, strategy: "seminas")
            .Replace("  budget: 40\n", "  budget: 40\n  options: {preset: nb201, initialSamples: 10, newPerIteration: 10, pseudoLabeled: 200, pretrainEpochs: 300, trainEpochs: 100}\n");
        folder.Write("c.yaml", config);
        var store = folder.File("experiments/sig.sqlite");
        using (var process = SeminasProcess.Start(folder.Path, "search", "c.yaml"))
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (StoreSql.CompleteTrials(store) < 10)
            {
                Assert.True(DateTime.UtcNow < deadline, "the search made no progress");
                await Task.Delay(100);
            }
            await Task.Delay(500); // into the controller's training, which takes seconds at the least
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
            using var stopped = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try
            {
                await process.WaitForExitAsync(stopped.Token);
            }
            finally
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
            }
            Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}\n{await stdout}\n{await stderr}");
            Assert.Contains("Interrupted", await stdout);
        }
        // One more controller iteration: tens of seconds on idle cores, minutes on a loaded machine.
        using var resume = SeminasProcess.Start(folder.Path, "search", "c.yaml");
        var output = resume.StandardOutput.ReadToEndAsync();
        var error = resume.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        try
        {
            await resume.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!resume.HasExited) resume.Kill(entireProcessTree: true);
        }
        Assert.True(resume.ExitCode == 0, await error);
        Assert.Contains("resuming", await output);
        Assert.Equal(40, StoreSql.CompleteTrials(store));
    }

    private static async Task<(RunResult Result, string Output)> Search(MisbehavingPlugin.Fault fault)
    {
        using var folder = new TempFolder();
        var name = ConfigNames.EnumValueName(typeof(MisbehavingPlugin.Fault), fault.ToString());
        var path = folder.Write("c.yaml", $$$"""
            schemaVersion: 1
            name: misbehaving
            task: {plugin: misbehaving, options: {fault: {{{name}}}}}
            search: {strategy: random, budget: 4}
            """);
        var loaded = ConfigLoader.Load(path);
        var output = new StringWriter();
        RunResult result;
        using (var plan = ExperimentPlan.Create(loaded, new MisbehavingPlugin(), folder.File("s.sqlite")))
        using (var store = ExperimentStore.Open(plan.StorePath))
        {
            var runner = new ExperimentRunner(plan.Search, store, new RunSettings(1, "cpu", null), new ConsoleProgress(output, false, plan.Task.Objective));
            result = await runner.RunAsync(CancellationToken.None);
        }
        return (result, output.ToString());
    }
}
