using System.CommandLine;
using SemiNas.Host.Reporting;
using SemiNas.Storage;

namespace SemiNas.Host.Cli;

internal static class ExportCommand
{
    public static Command Create()
    {
        var storeArgument = CommonOptions.Store();
        var experimentOption = CommonOptions.Experiment();
        var format = new Option<string>("--format")
        {
            Description = "csv, json, or tensorboard (event files of the objective, the best so far and every metric, by trial number).",
            Required = true,
        };
        format.AcceptOnlyFromAmong("csv", "json", "tensorboard");
        var output = new Option<string?>("--output") { Description = "File to write (default: standard output); for tensorboard, the log folder." };
        var command = new Command("export", "Exports every trial of an experiment: id, state, tokens, canonical key, metrics, timings; or TensorBoard event files.")
        {
            storeArgument, experimentOption, format, output,
        };
        command.SetAction(result => CommonOptions.Guard(() =>
        {
            using var store = ExperimentStores.OpenReadOnly(result.GetValue(storeArgument)!);
            var experiment = CommonOptions.PickExperiment(store, result.GetValue(experimentOption));
            var trials = store.LoadTrials(experiment.Id);
            var attempts = store.LoadAttempts(experiment.Id);
            CommonOptions.WarnDamagedRows(store);
            var path = result.GetValue(output);
            if (result.GetValue(format) == "tensorboard")
            {
                if (path is null) throw new FormatException("--format tensorboard writes a folder of event files: give it with --output DIR.");
                var run = TensorBoardExport.Write(path, experiment, trials);
                Console.Error.WriteLine($"Wrote {trials.Count(t => t.IsFinished)} finished trials to {run}; view them with: tensorboard --logdir {path}");
                return CommonOptions.ExitOk;
            }
            using var stream = path is null ? Console.OpenStandardOutput() : File.Create(path);
            if (result.GetValue(format) == "json")
            {
                TrialExport.WriteJson(stream, trials, attempts);
                stream.WriteByte((byte)'\n');
            }
            else
            {
                using var writer = new StreamWriter(stream);
                TrialExport.WriteCsv(writer, trials);
            }
            if (path is not null) Console.Error.WriteLine($"Wrote {trials.Count} trials to {path}.");
            return CommonOptions.ExitOk;
        }));
        return command;
    }
}
