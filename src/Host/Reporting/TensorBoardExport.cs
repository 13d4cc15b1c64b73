using System.Globalization;
using SemiNas.Core;
using SemiNas.Storage;
using static TorchSharp.torch.utils.tensorboard;

namespace SemiNas.Host.Reporting;

/// <summary>
/// Writes an experiment's trials as TensorBoard event files (TorchSharp's <c>SummaryWriter</c>), the trial number as
/// the step, so that <c>tensorboard --logdir</c> shows a search beside training runs. Tags:
/// <c>objective/METRIC</c> (every completed trial, infeasible ones too), <c>best_so_far/METRIC</c> (the best feasible
/// objective up to each finished trial), <c>metrics/NAME</c> (what the evaluation measured) and <c>cheap/NAME</c>
/// (what the space computes before it, e.g. FLOPs). The values a plugin reported while it evaluated a trial (training
/// loss by step, say) go to a run of their own per trial, <c>EXPERIMENT/trial-0007/</c>, tag <c>intermediate/NAME</c>
/// by the plugin's step, so that TensorBoard draws the trials' curves over each other.
/// </summary>
public static class TensorBoardExport
{
    private const string EventFilePrefix = "events.out.tfevents.";

    /// <summary>Writes <paramref name="directory"/>/<c>EXPERIMENT</c>/ (and a <c>trial-NNNN/</c> folder in it per trial with intermediate values) and returns that folder.</summary>
    public static string Write(string directory, ExperimentRecord experiment, IReadOnlyList<TrialRecord> trials,
        IReadOnlyList<IntermediateValue>? intermediateValues = null)
    {
        var run = Path.Combine(directory, RunName(experiment.Name));
        // TensorBoard reads every event file of a run: the event files of an earlier export of this experiment would
        // draw each point twice, so this export replaces them, its trials' too (and nothing else in the folders).
        if (Directory.Exists(run))
        {
            foreach (var old in Directory.EnumerateFiles(run, EventFilePrefix + "*")) File.Delete(old);
            foreach (var trialRun in Directory.EnumerateDirectories(run, TrialRunPrefix + "*"))
                foreach (var old in Directory.EnumerateFiles(trialRun, EventFilePrefix + "*")) File.Delete(old);
        }

        var writer = SummaryWriter(run);
        var objective = experiment.Objective;
        double? best = null;
        foreach (var trial in trials.Where(t => t.IsFinished).OrderBy(t => t.Number))
        {
            var step = trial.Number;
            // TensorBoard reads the wall time as seconds since 1970; SummaryWriter's own stamp is DateTime ticks.
            var wallTime = (trial.FinishedAt ?? trial.CreatedAt).ToUnixTimeSeconds();
            if (trial.State == TrialState.Complete && trial.Objective is { } value)
            {
                writer.add_scalar($"objective/{objective.Metric}", (float)value, step, wallTime);
                if (trial.Feasible && (best is null || objective.IsBetter(value, best.Value))) best = value;
            }
            if (best is { } b) writer.add_scalar($"best_so_far/{objective.Metric}", (float)b, step, wallTime);
            foreach (var (name, metric) in trial.Metrics.Where(m => double.IsFinite(m.Value)).OrderBy(m => m.Key, StringComparer.Ordinal))
                writer.add_scalar($"metrics/{name}", (float)metric, step, wallTime);
            foreach (var (name, metric) in trial.CheapMetrics.Where(m => double.IsFinite(m.Value)).OrderBy(m => m.Key, StringComparer.Ordinal))
                writer.add_scalar($"cheap/{name}", (float)metric, step, wallTime);
        }
        WriteIntermediateValues(run, intermediateValues ?? []);
        return run;
    }

    /// <summary>The folder of one trial's intermediate values: <c>trial-0007</c> (four digits or more, so that they sort).</summary>
    public static string TrialRunName(int trialNumber) => TrialRunPrefix + trialNumber.ToString("D4", CultureInfo.InvariantCulture);

    private const string TrialRunPrefix = "trial-";

    private static void WriteIntermediateValues(string run, IReadOnlyList<IntermediateValue> values)
    {
        foreach (var trial in values.Where(v => double.IsFinite(v.Value)).GroupBy(v => v.TrialNumber).OrderBy(g => g.Key))
        {
            var writer = SummaryWriter(Path.Combine(run, TrialRunName(trial.Key)));
            foreach (var value in trial.OrderBy(v => v.Step).ThenBy(v => v.Name, StringComparer.Ordinal))
                writer.add_scalar($"intermediate/{value.Name}", (float)value.Value, value.Step, value.RecordedAt.ToUnixTimeSeconds());
        }
    }

    private static string RunName(string experiment)
    {
        var invalid = Path.GetInvalidFileNameChars();
        return new string(experiment.Select(c => invalid.Contains(c) ? '_' : c).ToArray());
    }
}
