using System.CommandLine;
using System.Text.Json;
using SemiNas.Host.Reporting;
using SemiNas.Storage;

namespace SemiNas.Host.Cli;

/// <summary><c>seminas experiments STORE</c>: what a store holds, one line per experiment.</summary>
internal static class ExperimentsCommand
{
    public static Command Create()
    {
        var storeArgument = CommonOptions.Store();
        var json = CommonOptions.Json();
        var command = new Command("experiments", "Lists the experiments in a store: plugin, strategy, trials finished of the budget, state and best objective.")
        {
            storeArgument, json,
        };
        command.SetAction(result => CommonOptions.Guard(() =>
        {
            using var store = ExperimentStores.OpenReadOnly(result.GetValue(storeArgument)!);
            var rows = store.ListExperiments().Select(e =>
            {
                var summary = TrialSummary.Of(store.LoadTrials(e.Id), e.Objective);
                return (Experiment: e, Summary: summary);
            }).ToList();
            CommonOptions.WarnDamagedRows(store);
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(rows.Select(r => new
                {
                    name = r.Experiment.Name,
                    plugin = r.Experiment.Plugin,
                    strategy = r.Experiment.Strategy,
                    budget = r.Experiment.Budget,
                    finishedTrials = r.Summary.Finished,
                    finished = r.Experiment.FinishedAt is not null,
                    forkOf = r.Experiment.ParentId is { } parent ? rows.FirstOrDefault(p => p.Experiment.Id == parent).Experiment?.Name : null,
                    objective = r.Experiment.Objective.Metric,
                    best = r.Summary.Best?.Objective,
                    createdAt = r.Experiment.CreatedAt,
                }), JsonOutput.Options));
                return CommonOptions.ExitOk;
            }
            if (rows.Count == 0)
            {
                Console.WriteLine($"{store.Location} holds no experiment yet.");
                return CommonOptions.ExitOk;
            }
            foreach (var (e, s) in rows)
            {
                var state = e.FinishedAt is null ? "not finished" : "finished";
                var best = s.Best is { Objective: { } value } ? $", best {e.Objective.Metric} {MetricFormat.Format(value)}" : "";
                Console.WriteLine($"{e.Name}: {e.Plugin}, {e.Strategy}, {s.Finished}/{e.Budget} trials, {state}{best}");
            }
            return CommonOptions.ExitOk;
        }));
        return command;
    }
}
