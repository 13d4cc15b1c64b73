using SemiNas.Engine;
using SemiNas.Host.Configuration;
using SemiNas.Host.Experiments;
using SemiNas.Host.Reporting;
using SemiNas.Storage;

namespace SemiNas.Host.Tests.Reliability;

/// <summary>A task's input check (IStartupCheck) that fails: the error must say which plugin and which file, since the
/// plugin's own message (a missing file) names neither.</summary>
public class StartupCheckTests
{
    [Fact]
    public async Task A_failing_input_check_stops_the_search_naming_the_plugin_and_the_file_before_any_trial()
    {
        using var folder = new TempFolder();
        var fault = ConfigNames.EnumValueName(typeof(MisbehavingPlugin.Fault), nameof(MisbehavingPlugin.Fault.ThrowingCheckInputs));
        var path = folder.Write("c.yaml", $$$"""
            schemaVersion: 1
            name: checked
            task: {plugin: misbehaving, options: {fault: {{{fault}}}}}
            search: {strategy: random, budget: 4}
            """);
        using var plan = ExperimentPlan.Create(ConfigLoader.Load(path), new MisbehavingPlugin(), folder.File("s.sqlite"));
        using var store = ExperimentStore.Open(plan.StorePath);
        var runner = new ExperimentRunner(plan.Search, store, new RunSettings(1, "cpu", null), new ConsoleProgress(new StringWriter(), false, plan.Task.Objective));

        var error = await Assert.ThrowsAsync<PluginFailureException>(() => runner.RunAsync(CancellationToken.None));

        Assert.Equal($"plugin 'misbehaving' found its inputs unusable for {path}: FileNotFoundException: the data file /nowhere/data.bin does not exist",
            error.Message);
        var experiment = store.FindExperiment("checked")!;
        Assert.Null(experiment.FinishedAt); // the same command resumes once the data is there
        Assert.Empty(store.LoadTrials(experiment.Id));
    }
}
