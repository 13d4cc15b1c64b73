using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Storage;

namespace SemiNas.Host.Reporting;

/// <summary>
/// A PNG of a search: every complete trial's objective and the best feasible one so far against the trial number;
/// trials that violate a constraint are drawn as grey crosses and failed ones as red marks on the lower edge, so
/// that none disappears from the picture.
/// </summary>
public static class ProgressPlot
{
    /// <summary>Draws the plot; returns how many trials it drew in each kind (feasible, infeasible, failed).</summary>
    public static (int Feasible, int Infeasible, int Failed) Save(string path, ExperimentRecord experiment, IReadOnlyList<TrialRecord> trials,
        int width = 900, int height = 550)
    {
        var scored = trials.Where(t => t is { State: TrialState.Complete, Feasible: true, Objective: not null }).OrderBy(t => t.Number).ToList();
        var objective = experiment.Objective;
        var numbers = scored.Select(t => (double)t.Number).ToArray();
        var values = scored.Select(t => t.Objective!.Value).ToArray();
        var best = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
            best[i] = i == 0 || objective.IsBetter(values[i], best[i - 1]) ? values[i] : best[i - 1];

        var plot = new ScottPlot.Plot();
        var points = plot.Add.ScatterPoints(numbers, values);
        points.LegendText = "feasible trial";
        points.MarkerSize = 4;
        var infeasible = trials.Where(t => t is { State: TrialState.Complete, Feasible: false, Objective: not null }).ToList();
        if (infeasible.Count > 0)
        {
            var crosses = plot.Add.ScatterPoints(infeasible.Select(t => (double)t.Number).ToArray(), infeasible.Select(t => t.Objective!.Value).ToArray());
            crosses.LegendText = $"infeasible ({infeasible.Count}, outside a constraint)";
            crosses.MarkerShape = ScottPlot.MarkerShape.Cross;
            crosses.MarkerSize = 7;
            crosses.Color = ScottPlot.Colors.Gray;
        }
        var failed = trials.Where(t => t.State == TrialState.Failed).ToList();
        var shown = values.Concat(infeasible.Select(t => t.Objective!.Value)).ToList();
        if (failed.Count > 0)
        {
            var edge = shown.Count == 0 ? 0 : objective.Goal == MetricGoal.Maximize ? shown.Min() : shown.Max();
            var marks = plot.Add.ScatterPoints(failed.Select(t => (double)t.Number).ToArray(), failed.Select(_ => edge).ToArray());
            marks.LegendText = $"failed ({failed.Count}, no objective)";
            marks.MarkerShape = ScottPlot.MarkerShape.FilledTriangleUp;
            marks.MarkerSize = 7;
            marks.Color = ScottPlot.Colors.Red;
        }
        var line = plot.Add.ScatterLine(numbers, best);
        line.LegendText = "best feasible so far";
        line.LineWidth = 2;
        line.ConnectStyle = ScottPlot.ConnectStyle.StepHorizontal;
        plot.Title($"{experiment.Name}: {experiment.Strategy} on {experiment.Plugin}");
        plot.XLabel("trial");
        plot.YLabel(objective.Metric);
        plot.ShowLegend(objective.Goal == MetricGoal.Maximize ? ScottPlot.Alignment.LowerRight : ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, width, height);
        return (scored.Count, infeasible.Count, failed.Count);
    }
}
