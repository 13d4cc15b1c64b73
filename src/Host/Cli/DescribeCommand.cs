using System.CommandLine;
using System.Text.Json;
using SemiNas.Contracts;
using SemiNas.Host.Configuration;
using SemiNas.Host.Experiments;
using SemiNas.Host.Reporting;

namespace SemiNas.Host.Cli;

internal static class DescribeCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var arch = new Option<string>("--arch") { Description = "The architecture's tokens, e.g. \"4 4 2 4 1 4\".", Required = true };
        var json = CommonOptions.Json();
        var plugins = CommonOptions.PluginPaths();
        var command = new Command("describe", "Shows validity, canonical key, readable form and cheap metrics of one architecture.")
        {
            config, arch, json, plugins,
        };
        command.SetAction(result => CommonOptions.Guard(() =>
        {
            var loaded = ConfigLoader.Load(result.GetValue(config)!);
            var catalog = CommonOptions.LoadPlugins(result.GetValue(plugins) ?? [], loaded);
            using var plan = ExperimentPlan.Create(loaded, catalog);
            var architecture = Architecture.Parse(result.GetValue(arch)!);
            var space = plan.Task.Space;
            var valid = space.IsValid(architecture, out var reason);
            var key = valid ? space.CanonicalKey(architecture) : null;
            var readable = valid ? space.Describe(architecture) : null;
            var cheap = valid ? plan.Task.CheapMetrics(architecture) : new Dictionary<string, double>();
            var violation = valid ? plan.Constraints.FindViolation(cheap) : null;
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    tokens = architecture.ToString(),
                    valid,
                    reason,
                    canonicalKey = key,
                    description = readable,
                    cheapMetrics = cheap,
                    withinConstraints = valid && violation is null,
                    constraintViolation = violation,
                }, JsonOutput.Options));
            }
            else if (!valid)
            {
                Console.WriteLine($"[{architecture}] is not valid: {reason}");
            }
            else
            {
                Console.WriteLine($"[{architecture}] valid");
                Console.WriteLine($"  canonical key: {key}");
                Console.WriteLine($"  description:   {readable}");
                foreach (var (name, value) in cheap.OrderBy(m => m.Key, StringComparer.Ordinal))
                    Console.WriteLine($"  {name} = {MetricFormat.Format(value)}");
                Console.WriteLine(violation is null ? "  within the constraints" : $"  outside the constraints: {violation}");
            }
            return valid ? CommonOptions.ExitOk : CommonOptions.ExitError;
        }));
        return command;
    }
}
