using System.Diagnostics;
using SemiNas.Contracts;
using SemiNas.Controller;
using SemiNas.Core;

namespace SemiNas.Host.Benchmarks;

/// <summary>
/// What the runs of a benchmark are measured against, from the whole table: the <b>oracle</b> is the best architecture
/// by the objective (what a search on the objective should end up picking) with its report metric; the best report
/// metric anywhere in the table is kept beside it, because on tables where validation and test disagree it cannot be
/// reached by searching on the objective.
/// </summary>
/// <remarks>A run's pick is the oracle when its objective is the table's best: with tied best values, any of them.</remarks>
public sealed record BenchmarkReference(double Oracle, double OracleObjective, string OracleDescription, double BestReportInSpace);

/// <summary>One strategy, one budget, one seed: the result a benchmark table averages.</summary>
/// <param name="FinalReport">The report metric of the run's pick: its best architecture by the objective.</param>
/// <param name="QueriesToOracle">Queries until the pick was the oracle (it stays the pick from then on), if ever.</param>
/// <param name="Curve">Report metric of the best architecture by the objective after 1, 2, … queries.</param>
/// <param name="ObjectiveCurve">The best objective after 1, 2, … queries.</param>
/// <param name="SecondsCurve">Seconds since the start of the run after 1, 2, … queries.</param>
public sealed record BenchmarkRunResult(
    string Label, string Strategy, int Budget, int Seed, int Queries, double FinalObjective, double FinalReport,
    int? QueriesToOracle, double Seconds, double[] Curve, double[] ObjectiveCurve, double[] SecondsCurve)
{
    /// <summary>Whether the run's pick is the oracle (at the run's budget).</summary>
    public bool PickIsOracle => QueriesToOracle is not null;

    /// <summary>
    /// The same run stopped after <paramref name="budget"/> queries. Exact, because strategies are not told the
    /// budget (<see cref="StrategyContext"/>): a shorter run would have proposed the same first queries.
    /// </summary>
    public BenchmarkRunResult AtBudget(int budget)
    {
        if (budget > Budget) throw new ArgumentOutOfRangeException(nameof(budget), $"the run had a budget of {Budget}");
        var queries = Math.Min(budget, Queries);
        var reached = QueriesToOracle is { } q && q <= queries ? QueriesToOracle : null;
        return this with
        {
            Budget = budget,
            Queries = queries,
            FinalObjective = queries == 0 ? double.NaN : ObjectiveCurve[queries - 1],
            FinalReport = queries == 0 ? double.NaN : Curve[queries - 1],
            QueriesToOracle = reached,
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
        string reportMetric, BenchmarkReference? reference, CancellationToken cancellationToken)
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
        int? toOracle = null;
        while (curve.Count < budget)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = await strategy.ProposeAsync(1, history, cancellationToken);
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
                // The oracle has the table's best objective, so once it is the pick nothing replaces it.
                if (value == reference?.OracleObjective) toOracle = curve.Count + 1;
            }
            curve.Add(bestReport);
            objectiveCurve.Add(bestObjective);
            secondsCurve.Add(clock.Elapsed.TotalSeconds);
        }
        return new BenchmarkRunResult(label, factory.Name, budget, seed, curve.Count, bestObjective, bestReport,
            toOracle, clock.Elapsed.TotalSeconds, curve.ToArray(), objectiveCurve.ToArray(), secondsCurve.ToArray());
    }

    /// <summary>The oracle and the best report metric of the whole space, when the space can be listed.</summary>
    public static async Task<BenchmarkReference?> FindReferenceAsync(ISearchTask task, string reportMetric, CancellationToken cancellationToken)
    {
        if (task.Space is not IEnumerableSearchSpace space) return null;
        var goal = task.Objective;
        double? bestReport = null, bestObjective = null, oracle = null;
        var oracleDescription = "";
        foreach (var architecture in space.EnumerateAll())
        {
            var metrics = await task.EvaluateAsync(architecture, LookupContext(0, 0), cancellationToken);
            if (metrics.TryGetValue(reportMetric, out var report) && (bestReport is null || goal.IsBetter(report, bestReport.Value)))
                bestReport = report;
            var value = metrics[goal.Metric];
            if (bestObjective is null || goal.IsBetter(value, bestObjective.Value))
                (bestObjective, oracle, oracleDescription) = (value, metrics.GetValueOrDefault(reportMetric, double.NaN), space.Describe(architecture));
        }
        return bestObjective is null ? null
            : new BenchmarkReference(oracle!.Value, bestObjective.Value, oracleDescription, BestReportInSpace: bestReport ?? double.NaN);
    }

    /// <summary>The context of one evaluation in a benchmark: a tabular task looks up, so nothing is written anywhere.</summary>
    internal static EvaluationContext LookupContext(long trialId, int seed) =>
        new() { TrialId = trialId, Device = "cpu", Seed = seed, WorkingDirectory = Path.GetTempPath(), ExperimentDirectory = Path.GetTempPath() };
}
