using System.CommandLine;
using SemiNas.Host.Reporting;
using SemiNas.Storage;

namespace SemiNas.Host.Cli;

internal static class PlotCommand
{
    public static Command Create()
    {
        var storeArgument = CommonOptions.Store();
        var experimentOption = CommonOptions.Experiment();
        var output = new Option<string>("--output") { Description = "PNG file to write.", Required = true };
        var command = new Command("plot", "Draws each trial's objective and the best so far against the trial number, as a PNG.")
        {
            storeArgument, experimentOption, output,
        };
        command.SetAction(result => CommonOptions.Guard(() =>
        {
            using var store = ExperimentStores.OpenReadOnly(result.GetValue(storeArgument)!);
            var experiment = CommonOptions.PickExperiment(store, result.GetValue(experimentOption));
            var path = result.GetValue(output)!;
            var (feasible, infeasible, failed) = ProgressPlot.Save(path, experiment, store.LoadTrials(experiment.Id));
            CommonOptions.WarnDamagedRows(store);
            Console.WriteLine($"Wrote {path}: {feasible} feasible, {infeasible} infeasible and {failed} failed trials.");
            return CommonOptions.ExitOk;
        }));
        return command;
    }
}
