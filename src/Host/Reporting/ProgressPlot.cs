using SemiNas.Contracts;
using SemiNas.Storage;

namespace SemiNas.Host.Reporting;

/// <summary>A PNG of a search: every complete trial's objective, and the best so far, against the trial number.</summary>
public static class ProgressPlot
{
    public static void Save(string path, ExperimentRecord experiment, IReadOnlyList<TrialRecord> trials, int width = 900, int height = 550)
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
        points.LegendText = "trial";
        points.MarkerSize = 4;
        var line = plot.Add.ScatterLine(numbers, best);
        line.LegendText = "best so far";
        line.LineWidth = 2;
        line.ConnectStyle = ScottPlot.ConnectStyle.StepHorizontal;
        plot.Title($"{experiment.Name}: {experiment.Strategy} on {experiment.Plugin}");
        plot.XLabel("trial");
        plot.YLabel(objective.Metric);
        plot.ShowLegend(objective.Goal == MetricGoal.Maximize ? ScottPlot.Alignment.LowerRight : ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, width, height);
    }
}
