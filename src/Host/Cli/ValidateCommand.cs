using System.CommandLine;
using SemiNas.Host.Configuration;
using SemiNas.Host.Experiments;
using SemiNas.Storage;

namespace SemiNas.Host.Cli;

internal static class ValidateCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var plugins = CommonOptions.PluginPaths();
        var command = new Command("validate", "Checks an experiment file: keys, types, plugin and strategy options, constraints.")
        {
            config, plugins,
        };
        command.SetAction(result => CommonOptions.Guard(() =>
        {
            var loaded = ConfigLoader.Load(result.GetValue(config)!);
            var catalog = CommonOptions.LoadPlugins(result.GetValue(plugins) ?? [], loaded);
            using var plan = ExperimentPlan.Create(loaded, catalog);
            var c = plan.Config;
            Console.WriteLine($"{loaded.FullPath}: OK");
            Console.WriteLine($"  experiment {c.Name}, seed {c.Seed}");
            Console.WriteLine($"  task {plan.Plugin.Name} {plan.Plugin.Version}: {plan.Task.Objective.Goal.ToString().ToLowerInvariant()} {plan.Task.Objective.Metric}, {plan.Task.Space.Length} tokens per architecture");
            Console.WriteLine($"  search {plan.Strategy.Name}, budget {c.Search.Budget} trials, {c.Execution.Workers} worker(s), device {c.Execution.Device.ToString().ToLowerInvariant()}");
            foreach (var (metric, bound) in c.Constraints)
                Console.WriteLine($"  constraint {metric}: {(bound.Min is { } min ? $"min {min} " : "")}{(bound.Max is { } max ? $"max {max}" : "")}");
            Console.WriteLine($"  store {ExperimentStores.Display(plan.StorePath)}");
            return CommonOptions.ExitOk;
        }));
        return command;
    }
}
