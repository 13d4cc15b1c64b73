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
        var arch = CommonOptions.Arch("The architecture to describe; without it, the task's objective, metrics and space are listed");
        var json = CommonOptions.Json();
        var plugins = CommonOptions.PluginPaths();
        var command = new Command("describe",
            "Shows the task's objective, metrics and space, or, with --arch, the validity, canonical key, readable form and cheap metrics of one architecture.")
        {
            config, arch, json, plugins,
        };
        command.SetAction((result, cancellationToken) => CommonOptions.Guard(() =>
        {
            var loaded = ConfigLoader.Load(result.GetValue(config)!);
            var catalog = CommonOptions.LoadPlugins(result.GetValue(plugins) ?? [], loaded);
            using var plan = ExperimentPlan.Create(loaded, catalog, cancellationToken: cancellationToken);
            var text = result.GetValue(arch);
            var exit = text is null
                ? DescribeTask(plan, result.GetValue(json))
                : DescribeArchitecture(plan, CommonOptions.ParseArchitecture(plan.Task.Space, text), result.GetValue(json));
            return Task.FromResult(exit);
        }));
        return command;
    }

    /// <summary>What a configuration's metric names (reportMetric, constraints) can refer to.</summary>
    private static int DescribeTask(ExperimentPlan plan, bool json)
    {
        var task = plan.Task;
        var space = task.Space;
        var cheap = task.Metrics.Where(m => m.Cheap).Select(m => m.Name).ToList();
        var evaluated = task.Metrics.Where(m => !m.Cheap).Select(m => m.Name).ToList();
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                plugin = plan.Plugin.Name,
                objective = new { metric = task.Objective.Metric, goal = task.Objective.Goal.ToString().ToLowerInvariant() },
                metrics = task.Metrics.Select(m => new { name = m.Name, description = m.Description, cheap = m.Cheap }),
                evaluatedMetrics = evaluated,
                cheapMetrics = cheap,
                space = new
                {
                    length = space.Length,
                    vocabularySize = space.VocabularySize,
                    allowedTokens = space.AllowedTokens,
                    enumerable = space is IEnumerableSearchSpace,
                    notation = space is IArchitectureNotation,
                },
            }, JsonOutput.Options));
            return CommonOptions.ExitOk;
        }
        Console.WriteLine($"task: {plan.Plugin.Name} ({plan.Plugin.Description})");
        Console.WriteLine($"  objective: {task.Objective.Metric} ({task.Objective.Goal.ToString().ToLowerInvariant()})");
        Console.WriteLine($"  evaluated metrics (reportMetric, constraints on results):");
        foreach (var m in task.Metrics.Where(m => !m.Cheap)) Console.WriteLine($"    {m.Name,-28} {m.Description}");
        Console.WriteLine(cheap.Count == 0 ? "  cheap metrics: none" : "  cheap metrics (known before evaluation; constraints reject candidates for free):");
        foreach (var m in task.Metrics.Where(m => m.Cheap)) Console.WriteLine($"    {m.Name,-28} {m.Description}");
        Console.WriteLine($"  space: {space.Length} positions, tokens 1..{space.VocabularySize - 1}" +
            (space is IEnumerableSearchSpace ? ", enumerable" : "") + (space is IArchitectureNotation ? ", has its own notation for --arch" : ""));
        return CommonOptions.ExitOk;
    }

    private static int DescribeArchitecture(ExperimentPlan plan, Architecture architecture, bool json)
    {
        var space = plan.Task.Space;
        var evaluable = space.IsValid(architecture, out var reason);
        var valid = evaluable;
        string? notEvaluableReason = null;
        // A cell outside a benchmark's slice is a valid architecture with no result: the search never proposes it,
        // but it has a canonical key and a readable form all the same.
        if (!evaluable && space is IPartlyEvaluableSpace whole && whole.IsInSpace(architecture, out _))
            (valid, notEvaluableReason, reason) = (true, reason, null);
        var key = valid ? space.CanonicalKey(architecture) : null;
        var readable = valid ? space.Describe(architecture) : null;
        // Cheap metrics may come from the same record (NAS-Bench-101's parameter counts), so only evaluable ones have them.
        var cheap = evaluable ? plan.Task.CheapMetrics(architecture) : new Dictionary<string, double>();
        var violation = evaluable ? plan.Constraints.FindViolation(cheap) : null;
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                tokens = architecture.ToString(),
                valid,
                reason,
                canonicalKey = key,
                description = readable,
                evaluable,
                notEvaluableReason,
                cheapMetrics = cheap,
                // Unknown without cheap metrics, as for a cell outside a slice; an invalid architecture is never within them.
                withinConstraints = valid && !evaluable ? (bool?)null : evaluable && violation is null,
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
            if (!evaluable)
            {
                Console.WriteLine($"  no result:     {notEvaluableReason}");
            }
            else
            {
                foreach (var (name, value) in cheap.OrderBy(m => m.Key, StringComparer.Ordinal))
                    Console.WriteLine($"  {name} = {MetricFormat.Format(value)}");
                Console.WriteLine(violation is null ? "  within the constraints" : $"  outside the constraints: {violation}");
            }
        }
        return valid ? CommonOptions.ExitOk : CommonOptions.ExitError;
    }
}
