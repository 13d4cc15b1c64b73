using System.Diagnostics;
using SemiNas.Contracts;
using SemiNas.Controller;

namespace SemiNas.Host.Benchmarks;

/// <summary>One strategy, one budget, one seed: the result a benchmark table averages.</summary>
/// <param name="Curve">Report metric of the best architecture by the objective after 1, 2, … queries.</param>
/// <param name="ObjectiveCurve">The best objective after 1, 2, … queries.</param>
/// <param name="SecondsCurve">Seconds since the start of the run after 1, 2, … queries.</param>
public sealed record BenchmarkRunResult(
    string Label, string Strategy, int Budget, int Seed, int Queries, double FinalObjective, double FinalReport,
    bool FoundOptimum, int? QueriesToOptimum, double Seconds, double[] Curve, double[] ObjectiveCurve, double[] SecondsCurve)
{
    /// <summary>
    /// The same run stopped after <paramref name="budget"/> queries. Exact, because strategies are not told the
    /// budget (<see cref="StrategyContext"/>): a shorter run would have proposed the same first queries.
    /// </summary>
    public BenchmarkRunResult AtBudget(int budget)
    {
        if (budget > Budget) throw new ArgumentOutOfRangeException(nameof(budget), $"the run had a budget of {Budget}");
        var queries = Math.Min(budget, Queries);
        var reached = QueriesToOptimum is { } q && q <= queries ? QueriesToOptimum : null;
        return this with
        {
            Budget = budget,
            Queries = queries,
            FinalObjective = queries == 0 ? double.NaN : ObjectiveCurve[queries - 1],
            FinalReport = queries == 0 ? double.NaN : Curve[queries - 1],
            FoundOptimum = reached is not null,
            QueriesToOptimum = reached,
            Seconds = queries == 0 ? 0 : SecondsCurve[queries - 1],
            Curve = Curve[..queries],
            ObjectiveCurve = ObjectiveCurve[..queries],
            SecondsCurve = SecondsCurve[..queries],
        };
    }
}

/// <summary>
/// Runs a strategy against a task in memory, one evaluation at a time, without a store: a benchmark repeats
/// thousands of cheap table lookups, and what it measures is the sequence of proposals, not durability.
/// </summary>
public static class BenchmarkRun
{
    public static async Task<BenchmarkRunResult> RunAsync(
        string label, IStrategyFactory factory, object options, ISearchTask task, int budget, int seed,
        string reportMetric, double? optimum, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var objective = task.Objective;
        var strategy = factory.Create(options, new StrategyContext
        {
            Space = task.Space,
            Objective = objective,
            Seed = seed,
            IsAdmissible = a => task.Space.IsValid(a, out _),
        });
        using var disposeStrategy = strategy as IDisposable;
        var history = new SearchHistory();
        var curve = new List<double>(budget);
        var objectiveCurve = new List<double>(budget);
        var secondsCurve = new List<double>(budget);
        double bestObjective = double.NaN, bestReport = double.NaN;
        int? toOptimum = null;
        while (curve.Count < budget)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = strategy.Propose(1, history, cancellationToken);
            if (batch.Count == 0) break;
            var architecture = batch[0];
            var context = LookupContext(curve.Count + 1, seed);
            var metrics = await task.EvaluateAsync(architecture, context, cancellationToken);
            var value = metrics[objective.Metric];
            history.Add(new TrialView(curve.Count + 1, architecture, task.Space.CanonicalKey(architecture), TrialStatus.Complete, value, true));
            if (double.IsNaN(bestObjective) || objective.IsBetter(value, bestObjective))
            {
                bestObjective = value;
                bestReport = metrics.TryGetValue(reportMetric, out var report) ? report : double.NaN;
            }
            curve.Add(bestReport);
            objectiveCurve.Add(bestObjective);
            secondsCurve.Add(clock.Elapsed.TotalSeconds);
            if (toOptimum is null && optimum is { } o && Math.Abs(bestReport - o) < 1e-9) toOptimum = curve.Count;
        }
        return new BenchmarkRunResult(label, factory.Name, budget, seed, curve.Count, bestObjective, bestReport,
            toOptimum is not null, toOptimum, clock.Elapsed.TotalSeconds, curve.ToArray(), objectiveCurve.ToArray(), secondsCurve.ToArray());
    }

    /// <summary>The best report-metric value in the whole space, when the space can be listed.</summary>
    public static async Task<double?> FindOptimumAsync(ISearchTask task, string reportMetric, CancellationToken cancellationToken)
    {
        if (task.Space is not IEnumerableSearchSpace space) return null;
        double? best = null;
        var goal = task.Objective;
        foreach (var architecture in space.EnumerateAll())
        {
            var context = LookupContext(0, 0);
            var metrics = await task.EvaluateAsync(architecture, context, cancellationToken);
            if (metrics.TryGetValue(reportMetric, out var value) && (best is null || goal.IsBetter(value, best.Value))) best = value;
        }
        return best;
    }

    /// <summary>The context of one evaluation in a benchmark: a tabular task looks up, so nothing is written anywhere.</summary>
    internal static EvaluationContext LookupContext(long trialId, int seed) =>
        new() { TrialId = trialId, Device = "cpu", Seed = seed, WorkingDirectory = Path.GetTempPath() };
}
