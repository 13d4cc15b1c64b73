using SemiNas.Core;
using SemiNas.Engine;
using SemiNas.Host.Configuration;
using SemiNas.Host.Experiments;
using SemiNas.Host.Plugins;
using SemiNas.Host.Reporting;
using SemiNas.Host.Tests.Cli;
using SemiNas.Storage;

namespace SemiNas.Host.Tests.Experiments;

/// <summary>What the host hands each evaluation: folders, a logger, and no more evaluations at once than the task allows.</summary>
public class EvaluationContextTests
{
    private static async Task<ExperimentRunner> Search(TempFolder folder, ProbePlugin probe, bool concurrent, int workers, bool log = true)
    {
        var config = folder.Write("probe.yaml", $"""
            schemaVersion: 1
            name: probe
            task:
              plugin: probe
              options:
                concurrent: {Yaml(concurrent)}
                log: {Yaml(log)}
            search:
              strategy: random
              budget: 12
            """);
        using var plan = ExperimentPlan.Create(ConfigLoader.Load(config), probe, folder.File("experiments/probe.sqlite"));
        using var store = ExperimentStore.Open(plan.StorePath);
        var runner = new ExperimentRunner(plan.Search, store, new RunSettings(workers, "cpu", null), new ConsoleProgress(TextWriter.Null, false, plan.Task.Objective));
        var result = await runner.RunAsync(CancellationToken.None);
        Assert.Equal(12, result.Trials.Count(t => t.State == TrialState.Complete));
        return runner;
    }

    private static string Yaml(bool value) => value ? "true" : "false";

    [Fact]
    public async Task A_task_that_forbids_overlap_never_has_two_evaluations_at_once_whatever_the_workers()
    {
        using var folder = new TempFolder();
        var probe = new ProbePlugin();
        var runner = await Search(folder, probe, concurrent: false, workers: 4);
        Assert.Equal(1, runner.Workers);
        Assert.Equal(1, probe.MostAtOnce);
    }

    [Fact]
    public async Task A_task_that_allows_overlap_gets_as_many_evaluations_at_once_as_workers()
    {
        using var folder = new TempFolder();
        var probe = new ProbePlugin();
        var runner = await Search(folder, probe, concurrent: true, workers: 4);
        Assert.Equal(4, runner.Workers);
        Assert.Equal(4, probe.MostAtOnce);
    }

    [Fact]
    public async Task Each_evaluation_gets_the_experiment_folder_made_by_the_host_and_a_trial_folder_inside_it()
    {
        using var folder = new TempFolder();
        var probe = new ProbePlugin();
        await Search(folder, probe, concurrent: true, workers: 2);

        var experiment = folder.File(Path.Combine("experiments", "probe.trials"));
        Assert.All(probe.Contexts, c => Assert.Equal(experiment, c.ExperimentDirectory));
        Assert.Equal(Enumerable.Range(1, 12).Select(n => Path.Combine(experiment, n.ToString())).Order(StringComparer.Ordinal),
            probe.Contexts.Select(c => c.WorkingDirectory).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_task_that_writes_nothing_leaves_the_experiment_folder_empty()
    {
        using var folder = new TempFolder();
        await Search(folder, new ProbePlugin(), concurrent: true, workers: 2, log: false);

        var experiment = folder.File(Path.Combine("experiments", "probe.trials"));
        Assert.True(Directory.Exists(experiment));
        Assert.Empty(Directory.EnumerateFileSystemEntries(experiment));
    }

    [Fact]
    public async Task What_a_plugin_logs_during_an_evaluation_is_kept_in_that_trial_s_log_file()
    {
        using var folder = new TempFolder();
        var probe = new ProbePlugin();
        await Search(folder, probe, concurrent: true, workers: 2);

        foreach (var context in probe.Contexts)
        {
            var log = File.ReadAllText(Path.Combine(context.WorkingDirectory, PluginLog.TrialLogFile));
            var own = Assert.Single(log.Split('\n'), l => l.Contains("probe scored"));
            Assert.Contains(" info probe scored [", own);
        }
    }

    [Fact]
    public async Task A_search_shows_a_plugin_s_messages_on_the_console_at_the_chosen_verbosity_and_keeps_them_in_the_trial_log()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", """
            schemaVersion: 1
            name: ones
            task: {plugin: onemax, options: {length: 8}}
            search: {strategy: random, budget: 3}
            execution: {isolation: inProcess}   # in worker processes, the messages go to their logs (LocalWorkerTests)
            """);
        var sample = Path.Combine(AppContext.BaseDirectory, "test-plugins", "SemiNas.Samples.MinimalPlugin");

        var quiet = await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml", "--plugins", sample);
        Assert.True(quiet.ExitCode == 0, quiet.Error);
        Assert.DoesNotContain("ones, score", quiet.Error);
        var log = File.ReadAllText(folder.File(Path.Combine("experiments", "ones.trials", "2", PluginLog.TrialLogFile)));
        Assert.Contains(" dbug ", log);
        Assert.Contains("ones, score", log);

        folder.Write("d.yaml", File.ReadAllText(folder.File("c.yaml")).Replace("name: ones", "name: loud"));
        var loud = await SeminasProcess.RunAsync(folder.Path, "search", "d.yaml", "--plugins", sample, "--verbosity", "debug");
        Assert.True(loud.ExitCode == 0, loud.Error);
        Assert.Contains("trial 2: ", loud.Error);
        Assert.Contains("ones, score", loud.Error);
    }
}
