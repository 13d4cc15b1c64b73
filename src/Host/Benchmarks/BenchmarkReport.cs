using System.Globalization;
using System.Text;
using System.Text.Json;
using SemiNas.Benchmarks;
using SemiNas.Host.Reporting;

namespace SemiNas.Host.Benchmarks;

/// <summary>Mean, spread and oracle statistics of one label at one budget over its seeds.</summary>
/// <param name="CurveMean">Mean report metric of the pick (best so far by the objective) after 1, 2, … queries.</param>
/// <param name="ObjectiveCurveMean">Mean best objective so far after 1, 2, … queries.</param>
public sealed record BenchmarkGroup(
    string Label, string Strategy, int Budget, int Runs, double Mean, double Std, double Min, double Median, double Max,
    double OracleShare, double? MeanQueriesToOracle, double MeanSeconds, double[] CurveMean, double[] CurveStd,
    double[] ObjectiveCurveMean, double[] ObjectiveCurveStd)
{
    public static BenchmarkGroup Of(IReadOnlyList<BenchmarkRunResult> runs)
    {
        var first = runs[0];
        var finals = runs.Select(r => r.FinalReport).Order().ToArray();
        var reached = runs.Where(r => r.QueriesToOracle is not null).Select(r => (double)r.QueriesToOracle!.Value).ToList();
        var (curveMean, curveStd) = MeanCurve(runs.Select(r => r.Curve).ToList());
        var (objectiveMean, objectiveStd) = MeanCurve(runs.Select(r => r.ObjectiveCurve).ToList());
        return new BenchmarkGroup(first.Label, first.Strategy, first.Budget, runs.Count, finals.Average(), Statistics.SampleStd(finals),
            finals[0], Statistics.Median(finals), finals[^1], runs.Count(r => r.PickIsOracle) / (double)runs.Count,
            reached.Count > 0 ? reached.Average() : null, runs.Average(r => r.Seconds), curveMean, curveStd, objectiveMean, objectiveStd);
    }

    private static (double[] Mean, double[] Std) MeanCurve(IReadOnlyList<double[]> curves)
    {
        var length = curves.Max(c => c.Length);
        var mean = new double[length];
        var std = new double[length];
        for (var q = 0; q < length; q++)
        {
            // A run that ended early (exhausted space) keeps its last value.
            var values = curves.Select(c => c.Length == 0 ? double.NaN : c[Math.Min(q, c.Length - 1)]).ToArray();
            mean[q] = values.Average();
            std[q] = Statistics.SampleStd(values);
        }
        return (mean, std);
    }
}

internal static class Statistics
{
    public static double SampleStd(double[] values)
    {
        if (values.Length < 2) return 0;
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    }

    public static double Median(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

/// <summary>Writes a benchmark's summary.json, table.md, runs.csv and one curves PNG per budget.</summary>
public static class BenchmarkReport
{
    public static IReadOnlyList<string> Write(string directory, BenchmarkConfig config, string objectiveMetric, BenchmarkReference? reference,
        IReadOnlyList<BenchmarkGroup> groups, IReadOnlyList<BenchmarkRunResult> runs)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        string Path(string name)
        {
            var path = System.IO.Path.Combine(directory, name);
            written.Add(path);
            return path;
        }

        File.WriteAllText(Path("summary.json"), JsonSerializer.Serialize(new
        {
            name = config.Name,
            description = config.Description,
            plugin = config.Task.Plugin,
            objective = objectiveMetric,
            reportMetric = config.ReportMetric,
            oracle = reference?.Oracle,
            oracleObjective = reference?.OracleObjective,
            oracleArchitecture = reference?.OracleDescription,
            bestReportInSpace = reference?.BestReportInSpace,
            seeds = config.Seeds,
            seedOffset = config.SeedOffset,
            groups = groups.Select(g => new
            {
                label = g.Label,
                strategy = g.Strategy,
                budget = g.Budget,
                runs = g.Runs,
                mean = g.Mean,
                std = g.Std,
                min = g.Min,
                median = g.Median,
                max = g.Max,
                oracleShare = g.OracleShare,
                meanQueriesToOracle = g.MeanQueriesToOracle,
                meanSeconds = g.MeanSeconds,
                curveMean = g.CurveMean,
                objectiveCurveMean = g.ObjectiveCurveMean,
            }),
        }, JsonOutput.Options));

        File.WriteAllText(Path("table.md"), Table(config, objectiveMetric, reference, groups));

        CsvTable.Write(Path("runs.csv"),
            ["label", "strategy", "budget", "seed", "queries", "final_objective", "final_report", "pick_is_oracle", "queries_to_oracle", "seconds"],
            runs.Select(r => new[] { r.Label, r.Strategy, I(r.Budget), I(r.Seed), I(r.Queries), D(r.FinalObjective), D(r.FinalReport),
                r.PickIsOracle ? "true" : "false", r.QueriesToOracle is { } q ? I(q) : "", D(r.Seconds) }));

        // One colour per label in every figure, in the order the file lists the runs, so plots read side by side.
        var labels = groups.Select(g => g.Label).Distinct().ToList();
        foreach (var budget in groups.Select(g => g.Budget).Distinct().Order())
        {
            var atBudget = groups.Where(g => g.Budget == budget).ToList();
            PlotCurves(Path($"curves-{budget}.png"), labels, atBudget, g => (g.CurveMean, g.CurveStd),
                $"{config.Name}: {config.ReportMetric} of the pick (best so far by {objectiveMetric}), mean ± 1 std over {atBudget[0].Runs} seeds",
                config.ReportMetric, reference is null ? [] :
                [
                    (reference.Oracle, $"oracle ({config.ReportMetric} of the best by {objectiveMetric})", ScottPlot.LinePattern.Dashed),
                    (reference.BestReportInSpace, $"best {config.ReportMetric} in the table", ScottPlot.LinePattern.Dotted),
                ]);
            PlotCurves(Path($"objective-{budget}.png"), labels, atBudget, g => (g.ObjectiveCurveMean, g.ObjectiveCurveStd),
                $"{config.Name}: best {objectiveMetric} so far, mean ± 1 std over {atBudget[0].Runs} seeds",
                objectiveMetric, reference is null ? [] : [(reference.OracleObjective, $"best {objectiveMetric} in the table", ScottPlot.LinePattern.Dashed)]);
        }
        return written;
    }

    public static string Table(BenchmarkConfig config, string objectiveMetric, BenchmarkReference? reference, IReadOnlyList<BenchmarkGroup> groups)
    {
        var text = new StringBuilder();
        text.AppendLine($"{config.ReportMetric} of each run's pick (its best architecture by {objectiveMetric}), {config.Seeds} seeds" +
            (reference is { } r
                ? $"; oracle {D4(r.Oracle)} ({config.ReportMetric} of the table's best architecture by {objectiveMetric}), " +
                  $"best {config.ReportMetric} in the table {D4(r.BestReportInSpace)}"
                : "") + ".");
        text.AppendLine();
        text.AppendLine("| strategy | budget | runs | mean ± std | min | median | max | pick is the oracle | mean queries to the oracle | s / run |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var g in groups)
            text.AppendLine($"| {g.Label} | {g.Budget} | {g.Runs} | {F(g.Mean)} ± {F(g.Std)} | {F(g.Min)} | {F(g.Median)} | {F(g.Max)} | " +
                $"{g.OracleShare:P0} | {(g.MeanQueriesToOracle is { } q ? q.ToString("0.0", CultureInfo.InvariantCulture) : "–")} | {g.MeanSeconds.ToString("0.00", CultureInfo.InvariantCulture)} |");
        return text.ToString();
    }

    private static void PlotCurves(string path, List<string> labels, IReadOnlyList<BenchmarkGroup> groups,
        Func<BenchmarkGroup, (double[] Mean, double[] Std)> curve, string title, string yLabel,
        IReadOnlyList<(double Value, string Label, ScottPlot.LinePattern Pattern)> references)
    {
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        foreach (var g in groups)
        {
            var (mean, std) = curve(g);
            var xs = Enumerable.Range(1, mean.Length).Select(q => (double)q).ToArray();
            var line = plot.Add.ScatterLine(xs, mean);
            line.LegendText = g.Label;
            line.LineWidth = 2;
            line.Color = palette.GetColor(labels.IndexOf(g.Label));
            var band = plot.Add.FillY(xs, mean.Zip(std, (m, s) => m - s).ToArray(), mean.Zip(std, (m, s) => m + s).ToArray());
            band.FillColor = line.Color.WithAlpha(0.15);
            band.LineWidth = 0;
        }
        foreach (var (value, label, pattern) in references.Where(r => double.IsFinite(r.Value)))
        {
            var reference = plot.Add.HorizontalLine(value);
            reference.LegendText = label;
            reference.LinePattern = pattern;
            reference.Color = ScottPlot.Colors.Gray;
        }
        plot.Title(title, size: 13);
        plot.XLabel("queries");
        plot.YLabel(yLabel);
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        // The first queries are far below the rest; start the axis after them so the differences that matter show.
        var low = groups.Select(g => curve(g).Mean).Where(m => m.Length > 0).Min(m => m[Math.Min(9, m.Length - 1)]);
        var high = references.Select(r => r.Value).Where(double.IsFinite).DefaultIfEmpty(groups.Max(g => curve(g).Mean.DefaultIfEmpty(low).Max())).Max();
        if (double.IsFinite(low) && high > low) plot.Axes.SetLimitsY(low - (high - low) * 0.3, high + (high - low) * 0.1);
        plot.SavePng(path, 1000, 600);
    }

    private static string D4(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);

    private static string F(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);

    private static string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}
