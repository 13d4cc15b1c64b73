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
            Description = "csv (a row per trial), json (an object per trial, with its attempts and intermediate values), intermediate-csv " +
                "(the values plugins reported while evaluating, e.g. training loss: a row per trial, step and name), or tensorboard (event " +
                "files of the objective, the best so far and every metric by trial number, and the intermediate values by step, a folder per trial).",
            Required = true,
        };
        format.AcceptOnlyFromAmong("csv", "json", "intermediate-csv", "tensorboard");
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
            var values = store.LoadIntermediateValues(experiment.Id);
            CommonOptions.WarnDamagedRows(store);
            var path = result.GetValue(output);
            if (result.GetValue(format) == "tensorboard")
            {
                if (path is null) throw new FormatException("--format tensorboard writes a folder of event files: give it with --output DIR.");
                var run = TensorBoardExport.Write(path, experiment, trials, values);
                var withValues = values.Select(v => v.TrialNumber).Distinct().Count();
                Console.Error.WriteLine($"Wrote {trials.Count(t => t.IsFinished)} finished trials to {run}" +
                    (withValues > 0 ? $" and the intermediate values of {withValues} trials to {Path.Combine(run, "trial-*")}" : "") +
                    $"; view them with: tensorboard --logdir {path}");
                return CommonOptions.ExitOk;
            }
            using var stream = path is null ? Console.OpenStandardOutput() : File.Create(path);
            if (result.GetValue(format) == "json")
            {
                TrialExport.WriteJson(stream, trials, attempts, values);
                stream.WriteByte((byte)'\n');
            }
            else if (result.GetValue(format) == "intermediate-csv")
            {
                using var writer = new StreamWriter(stream);
                TrialExport.WriteIntermediateCsv(writer, values);
            }
            else
            {
                using var writer = new StreamWriter(stream);
                TrialExport.WriteCsv(writer, trials);
            }
            if (path is not null)
                Console.Error.WriteLine(result.GetValue(format) == "intermediate-csv"
                    ? $"Wrote {values.Count} intermediate values of {values.Select(v => v.TrialNumber).Distinct().Count()} trials to {path}."
                    : $"Wrote {trials.Count} trials to {path}.");
            return CommonOptions.ExitOk;
        }));
        return command;
    }
}
