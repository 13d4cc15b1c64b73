using System.CommandLine;
using System.Text.Json;
using SemiNas.Host.Reporting;
using SemiNas.Storage;

namespace SemiNas.Host.Cli;

internal static class StatusCommand
{
    public static Command Create()
    {
        var storeArgument = CommonOptions.Store();
        var experimentOption = CommonOptions.Experiment();
        var json = CommonOptions.Json();
        var command = new Command("status", "Shows trial counts per state and the best trial of an experiment.")
        {
            storeArgument, experimentOption, json,
        };
        command.SetAction(result => CommonOptions.Guard(() =>
        {
            using var store = ExperimentStores.OpenReadOnly(result.GetValue(storeArgument)!);
            var experiment = CommonOptions.PickExperiment(store, result.GetValue(experimentOption));
            var trials = store.LoadTrials(experiment.Id);
            var attempts = store.LoadAttempts(experiment.Id);
            CommonOptions.WarnDamagedRows(store);
            var summary = TrialSummary.Of(trials, experiment.Objective);
            var numbers = trials.ToDictionary(t => t.Id, t => t.Number);
            var running = attempts.Where(a => a.End is null && numbers.ContainsKey(a.TrialId))
                .Select(a => new RunningTrial(numbers[a.TrialId], a.Owner, a.LeaseUntil)).ToList();
            var crashed = attempts.Count(a => a.End == AttemptEnd.LeaseExpired);
            if (result.GetValue(json)) PrintJson(experiment, summary, running, crashed);
            else PrintText(experiment, summary, running, crashed);
            return CommonOptions.ExitOk;
        }));
        return command;
    }

    /// <summary>A trial in evaluation: who runs it and until when its lease holds without a heartbeat.</summary>
    private sealed record RunningTrial(int Number, string Owner, DateTimeOffset LeaseUntil);

    private static void PrintText(ExperimentRecord experiment, TrialSummary s, IReadOnlyList<RunningTrial> running, int crashed)
    {
        var state = experiment.FinishedAt is null ? "not finished" : $"finished {experiment.FinishedAt:u}";
        Console.WriteLine($"Experiment '{experiment.Name}': plugin {experiment.Plugin}, strategy {experiment.Strategy}, budget {experiment.Budget}, {state}.");
        Console.WriteLine($"Trials: {s.Complete} complete ({s.Infeasible} infeasible), {s.Failed} failed, {s.Running} running, {s.Waiting} waiting.");
        if (running.Count > 0)
            Console.WriteLine("Running: " + string.Join(", ", running.Select(r => $"trial {r.Number} in {r.Owner} (lease until {r.LeaseUntil:u})")) + ".");
        if (crashed > 0)
            Console.WriteLine($"Attempts that ended with their process (killed, out of memory, crashed): {crashed}; see `seminas export --format json` for each one's reason.");
        if (s.Best is { } best)
        {
            Console.WriteLine($"Best trial {best.Number} ({experiment.Objective.Goal.ToString().ToLowerInvariant()} {experiment.Objective.Metric}): [{best.Architecture}] {best.Description}");
            MetricFormat.WriteMetrics(Console.Out, best);
        }
    }

    private static void PrintJson(ExperimentRecord experiment, TrialSummary s, IReadOnlyList<RunningTrial> running, int crashed)
    {
        var document = new
        {
            experiment = experiment.Name,
            plugin = experiment.Plugin,
            strategy = experiment.Strategy,
            budget = experiment.Budget,
            objective = new { metric = experiment.Objective.Metric, goal = experiment.Objective.Goal.ToString().ToLowerInvariant() },
            finished = experiment.FinishedAt is not null,
            trials = new { waiting = s.Waiting, running = s.Running, complete = s.Complete, failed = s.Failed, infeasible = s.Infeasible },
            running = running.Select(r => new { number = r.Number, owner = r.Owner, leaseUntil = r.LeaseUntil }),
            attemptsEndedWithTheirProcess = crashed,
            best = s.Best is { } b
                ? new
                {
                    number = b.Number,
                    tokens = b.Architecture.ToString(),
                    canonicalKey = b.CanonicalKey,
                    description = b.Description,
                    metrics = b.Metrics,
                    cheapMetrics = b.CheapMetrics,
                }
                : null,
        };
        Console.WriteLine(JsonSerializer.Serialize(document, JsonOutput.Options));
    }
}
