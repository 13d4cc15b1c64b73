using System.Globalization;
using System.Text;
using System.Text.Json;
using SemiNas.Host.Reporting;

namespace SemiNas.Host.Benchmarks;

/// <summary>Mean, spread and optimum statistics of one label at one budget over its seeds.</summary>
public sealed record BenchmarkGroup(
    string Label, string Strategy, int Budget, int Runs, double Mean, double Std, double Min, double Median, double Max,
    double OptimumShare, double? MeanQueriesToOptimum, double MeanSeconds, double[] CurveMean, double[] CurveStd)
{
    public static BenchmarkGroup Of(IReadOnlyList<BenchmarkRunResult> runs)
    {
        var first = runs[0];
        var finals = runs.Select(r => r.FinalReport).Order().ToArray();
        var reached = runs.Where(r => r.QueriesToOptimum is not null).Select(r => (double)r.QueriesToOptimum!.Value).ToList();
        var length = runs.Max(r => r.Curve.Length);
        var curveMean = new double[length];
        var curveStd = new double[length];
        for (var q = 0; q < length; q++)
        {
            // A run that ended early (exhausted space) keeps its last value.
            var values = runs.Select(r => r.Curve.Length == 0 ? double.NaN : r.Curve[Math.Min(q, r.Curve.Length - 1)]).ToArray();
            curveMean[q] = values.Average();
            curveStd[q] = Statistics.SampleStd(values);
        }
        return new BenchmarkGroup(first.Label, first.Strategy, first.Budget, runs.Count, finals.Average(), Statistics.SampleStd(finals),
            finals[0], Statistics.Median(finals), finals[^1], runs.Count(r => r.FoundOptimum) / (double)runs.Count,
            reached.Count > 0 ? reached.Average() : null, runs.Average(r => r.Seconds), curveMean, curveStd);
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
    public static IReadOnlyList<string> Write(string directory, BenchmarkConfig config, string objectiveMetric, double? optimum,
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
            optimum,
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
                optimumShare = g.OptimumShare,
                meanQueriesToOptimum = g.MeanQueriesToOptimum,
                meanSeconds = g.MeanSeconds,
                curveMean = g.CurveMean,
            }),
        }, JsonOutput.Options));

        File.WriteAllText(Path("table.md"), Table(config, optimum, groups));

        var csv = new StringBuilder("label,strategy,budget,seed,queries,final_objective,final_report,found_optimum,queries_to_optimum,seconds\n");
        foreach (var r in runs)
            csv.AppendLine(string.Join(',', r.Label, r.Strategy, I(r.Budget), I(r.Seed), I(r.Queries), D(r.FinalObjective), D(r.FinalReport),
                r.FoundOptimum ? "true" : "false", r.QueriesToOptimum is { } q ? I(q) : "", D(r.Seconds)));
        File.WriteAllText(Path("runs.csv"), csv.ToString());

        foreach (var budget in groups.Select(g => g.Budget).Distinct().Order())
            PlotCurves(Path($"curves-{budget}.png"), config, optimum, groups.Where(g => g.Budget == budget).ToList());
        return written;
    }

    public static string Table(BenchmarkConfig config, double? optimum, IReadOnlyList<BenchmarkGroup> groups)
    {
        var text = new StringBuilder();
        text.AppendLine($"{config.ReportMetric} of the best architecture by the objective, {config.Seeds} seeds" +
            (optimum is { } o ? $"; optimum {D(o)}" : "") + ".");
        text.AppendLine();
        text.AppendLine("| strategy | budget | runs | mean ± std | min | median | max | found optimum | mean queries to optimum | s / run |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var g in groups)
            text.AppendLine($"| {g.Label} | {g.Budget} | {g.Runs} | {F(g.Mean)} ± {F(g.Std)} | {F(g.Min)} | {F(g.Median)} | {F(g.Max)} | " +
                $"{g.OptimumShare:P0} | {(g.MeanQueriesToOptimum is { } q ? q.ToString("0.0", CultureInfo.InvariantCulture) : "–")} | {g.MeanSeconds.ToString("0.00", CultureInfo.InvariantCulture)} |");
        return text.ToString();
    }

    private static void PlotCurves(string path, BenchmarkConfig config, double? optimum, IReadOnlyList<BenchmarkGroup> groups)
    {
        var plot = new ScottPlot.Plot();
        foreach (var g in groups)
        {
            var xs = Enumerable.Range(1, g.CurveMean.Length).Select(q => (double)q).ToArray();
            var upper = g.CurveMean.Zip(g.CurveStd, (m, s) => m + s).ToArray();
            var lower = g.CurveMean.Zip(g.CurveStd, (m, s) => m - s).ToArray();
            var line = plot.Add.ScatterLine(xs, g.CurveMean);
            line.LegendText = g.Label;
            line.LineWidth = 2;
            var band = plot.Add.FillY(xs, lower, upper);
            band.FillColor = line.Color.WithAlpha(0.15);
            band.LineWidth = 0;
        }
        if (optimum is { } o)
        {
            var top = plot.Add.HorizontalLine(o);
            top.LegendText = "optimum";
            top.LinePattern = ScottPlot.LinePattern.Dashed;
            top.Color = ScottPlot.Colors.Gray;
        }
        plot.Title($"{config.Name}: mean best-so-far {config.ReportMetric} (± 1 std), {groups[0].Runs} seeds");
        plot.XLabel("queries");
        plot.YLabel(config.ReportMetric);
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        var low = groups.Min(g => g.CurveMean.Length > 10 ? g.CurveMean[Math.Min(9, g.CurveMean.Length - 1)] : g.CurveMean.FirstOrDefault());
        if (optimum is { } top2 && double.IsFinite(low)) plot.Axes.SetLimitsY(low - 1, top2 + 0.3);
        plot.SavePng(path, 1000, 600);
    }

    private static string F(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);

    private static string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}
