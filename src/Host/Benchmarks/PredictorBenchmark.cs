using System.Globalization;
using System.Text;
using System.Text.Json;
using SemiNas.Benchmarks;
using SemiNas.Contracts;
using SemiNas.Controller;
using SemiNas.Controller.Predictors;
using SemiNas.Controller.Strategies;
using SemiNas.Core;
using SemiNas.Core.Strategies;
using SemiNas.Host.Reporting;

namespace SemiNas.Host.Benchmarks;

/// <summary>One predictor trained once: its rank correlation on the held-out architectures.</summary>
public sealed record PredictorRunResult(string Label, int Labelled, int Seed, double KendallTau, double Spearman,
    int PseudoLabelled, int HeldOut, double Seconds);

/// <summary>Mean and spread of one variant at one labelled-set size over its seeds.</summary>
public sealed record PredictorGroup(string Label, int Labelled, int Runs, double TauMean, double TauStd, double RhoMean, double RhoStd,
    int PseudoLabelled, int HeldOut, double MeanSeconds);

/// <summary>The predictor-quality mode of <c>seminas benchmark</c> (<see cref="PredictorStudyConfig"/>).</summary>
public static class PredictorBenchmark
{
    public sealed record Variant(string Label, SemiNasOptions Options);

    /// <summary>
    /// Draws N architectures with <paramref name="seed"/>, evaluates them and the held-out ones through the task,
    /// trains the variant's predictor and measures its ranking. The same seed gives every variant the same data.
    /// </summary>
    public static async Task<PredictorRunResult> RunAsync(Variant variant, PredictorStudyConfig study, ISearchTask task,
        int labelledCount, int seed, CancellationToken cancellationToken)
    {
        var space = task.Space;
        var random = new SeededRandom(unchecked(seed * 7919 + labelledCount));
        var drawn = Draw(space, labelledCount, study.HeldOut, random);
        var labelled = await EvaluateAsync(task, drawn.Take(labelledCount), cancellationToken);
        var heldOut = await EvaluateAsync(task, drawn.Skip(labelledCount), cancellationToken);
        var quality = PredictorStudy.Run(variant.Options, space, task.Objective, labelled, heldOut, seed);
        return new PredictorRunResult(variant.Label, labelledCount, seed, quality.KendallTau, quality.Spearman,
            quality.PseudoLabelled, quality.HeldOut, quality.Seconds);
    }

    // The labelled architectures first, then the held-out ones: distinct by canonical key, in random order.
    private static List<Architecture> Draw(ISearchSpace space, int labelled, int heldOut, SeededRandom random)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        if (space is IEnumerableSearchSpace enumerable)
        {
            var all = enumerable.EnumerateAll().Where(a => keys.Add(space.CanonicalKey(a))).ToArray();
            random.Shuffle(all);
            var wanted = heldOut == 0 ? all.Length : labelled + heldOut;
            if (all.Length < labelled + 1 || (heldOut > 0 && all.Length < wanted))
                throw new InvalidOperationException($"the space has {all.Length} distinct architectures: too few for {labelled} labelled and {(heldOut == 0 ? "some" : heldOut)} held out.");
            return all.Take(wanted).ToList();
        }
        if (heldOut == 0) throw new InvalidOperationException("predictor.heldOut: 0 (all the rest) needs a space that can list its architectures; give a number.");
        var drawn = SpaceSampling.Draw(space, random, labelled + heldOut, a => space.IsValid(a, out _) && keys.Add(space.CanonicalKey(a)));
        if (drawn.Count < labelled + heldOut) throw new InvalidOperationException($"could not draw {labelled + heldOut} distinct architectures.");
        return drawn;
    }

    private static async Task<List<(Architecture, double)>> EvaluateAsync(ISearchTask task, IEnumerable<Architecture> architectures,
        CancellationToken cancellationToken)
    {
        var result = new List<(Architecture, double)>();
        foreach (var architecture in architectures)
        {
            var metrics = await task.EvaluateAsync(architecture, BenchmarkRun.LookupContext(0, 0), cancellationToken);
            result.Add((architecture, metrics[task.Objective.Metric]));
        }
        return result;
    }

    public static IReadOnlyList<PredictorGroup> Summarise(IEnumerable<PredictorRunResult> runs) =>
        runs.GroupBy(r => (r.Label, r.Labelled)).Select(g =>
        {
            var taus = g.Select(r => r.KendallTau).ToArray();
            var rhos = g.Select(r => r.Spearman).ToArray();
            return new PredictorGroup(g.Key.Label, g.Key.Labelled, taus.Length, taus.Average(), Statistics.SampleStd(taus),
                rhos.Average(), Statistics.SampleStd(rhos), (int)g.Average(r => r.PseudoLabelled), (int)g.Average(r => r.HeldOut),
                g.Average(r => r.Seconds));
        }).OrderBy(g => g.Labelled).ThenBy(g => g.Label, StringComparer.Ordinal).ToList();

    /// <summary>Writes summary.json, table.md, runs.csv and predictor.png.</summary>
    public static void Write(string directory, BenchmarkConfig config, string objectiveMetric,
        IReadOnlyList<PredictorGroup> groups, IReadOnlyList<PredictorRunResult> runs)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "summary.json"), JsonSerializer.Serialize(new
        {
            name = config.Name,
            description = config.Description,
            mode = "predictor",
            plugin = config.Task.Plugin,
            objective = objectiveMetric,
            seeds = config.Seeds,
            seedOffset = config.SeedOffset,
            groups = groups.Select(g => new
            {
                label = g.Label,
                labelled = g.Labelled,
                runs = g.Runs,
                kendallTau = g.TauMean,
                kendallTauStd = g.TauStd,
                spearman = g.RhoMean,
                spearmanStd = g.RhoStd,
                pseudoLabelled = g.PseudoLabelled,
                heldOut = g.HeldOut,
                meanSeconds = g.MeanSeconds,
            }),
        }, JsonOutput.Options));
        File.WriteAllText(Path.Combine(directory, "table.md"), Table(config, objectiveMetric, groups));
        CsvTable.Write(Path.Combine(directory, "runs.csv"),
            ["label", "labelled", "seed", "kendall_tau", "spearman", "pseudo_labelled", "held_out", "seconds"],
            runs.Select(r => new[] { r.Label, I(r.Labelled), I(r.Seed), D(r.KendallTau), D(r.Spearman), I(r.PseudoLabelled), I(r.HeldOut), D(r.Seconds) }));
        Plot(Path.Combine(directory, "predictor.png"), config, groups);
    }

    public static string Table(BenchmarkConfig config, string objectiveMetric, IReadOnlyList<PredictorGroup> groups)
    {
        var text = new StringBuilder();
        text.AppendLine($"Rank correlation of the predictor with the true {objectiveMetric} on held-out architectures, {config.Seeds} seeds.");
        text.AppendLine();
        text.AppendLine("| predictor | labelled N | pseudo-labelled M | held out | runs | Kendall τ | Spearman ρ | s / run |");
        text.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var g in groups)
            text.AppendLine($"| {g.Label} | {I(g.Labelled)} | {I(g.PseudoLabelled)} | {I(g.HeldOut)} | {I(g.Runs)} | {F(g.TauMean)} ± {F(g.TauStd)} | " +
                $"{F(g.RhoMean)} ± {F(g.RhoStd)} | {g.MeanSeconds.ToString("0.0", CultureInfo.InvariantCulture)} |");
        return text.ToString();
    }

    private static void Plot(string path, BenchmarkConfig config, IReadOnlyList<PredictorGroup> groups)
    {
        var plot = new ScottPlot.Plot();
        foreach (var variant in groups.GroupBy(g => g.Label))
        {
            var points = variant.OrderBy(g => g.Labelled).ToList();
            var xs = points.Select(g => (double)g.Labelled).ToArray();
            var line = plot.Add.ScatterLine(xs, points.Select(g => g.TauMean).ToArray());
            line.LegendText = variant.Key;
            line.LineWidth = 2;
            line.MarkerSize = 8;
            var errors = plot.Add.ErrorBar(xs, points.Select(g => g.TauMean).ToArray(), points.Select(g => g.TauStd).ToArray());
            errors.Color = line.Color;
        }
        plot.Title($"{config.Name}: Kendall τ on held-out architectures (± 1 std), {config.Seeds} seeds");
        plot.XLabel("labelled architectures N");
        plot.YLabel("Kendall τ");
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        plot.SavePng(path, 900, 560);
    }

    private static string F(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);

    private static string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}
