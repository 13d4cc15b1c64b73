using System.Diagnostics;
using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Engine;
using SemiNas.Storage;

namespace SemiNas.Benchmarks;

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
/// One benchmark run: the search loop of <c>seminas search</c> (<see cref="ExperimentRunner"/>) with one worker and an
/// in-memory store, so a benchmark honours constraints and failures exactly as a search does; its curves are read off
/// the recorded trials.
/// </summary>
public static class BenchmarkRun
{
    /// <summary>What a run searches: the task, the plugin that made it, and the constraints every proposal keeps.</summary>
    public sealed record Target(ISearchTask Task, string PluginName, Constraints Constraints, string ReportMetric, BenchmarkReference? Reference);

    public static async Task<BenchmarkRunResult> RunAsync(
        string label, IStrategyFactory factory, object options, Target target, int budget, int seed, CancellationToken cancellationToken)
    {
        var search = new SearchDefinition
        {
            Name = $"{label}-{seed}",
            PluginName = target.PluginName,
            Task = target.Task,
            Strategy = factory,
            StrategyOptions = options,
            Constraints = target.Constraints,
            Seed = seed,
            Budget = budget,
            // One run per store, so its identity only has to be unique there.
            ConfigJson = "{}",
            Fingerprint = "benchmark",
        };
        using var store = new InMemoryExperimentStore(Path.GetTempPath());
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var run = await new ExperimentRunner(search, store, new RunSettings(Workers: 1, Device: "cpu", TrialTimeout: null), SilentObserver.Instance)
            .RunAsync(cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        return Result(label, factory.Name, budget, seed, target, run.Trials, started, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// The curves of a run from its trials in the order they finished: every finished trial is a query; the pick after
    /// each is the best complete, feasible trial by the objective so far (failed and infeasible ones never are).
    /// </summary>
    private static BenchmarkRunResult Result(string label, string strategy, int budget, int seed, Target target,
        IReadOnlyList<TrialRecord> trials, DateTimeOffset started, double seconds)
    {
        var objective = target.Task.Objective;
        var finished = trials.Where(t => t.IsFinished).OrderBy(t => t.FinishedAt).ThenBy(t => t.Number).ToList();
        var curve = new double[finished.Count];
        var objectiveCurve = new double[finished.Count];
        var secondsCurve = new double[finished.Count];
        double bestObjective = double.NaN, bestReport = double.NaN;
        int? toOracle = null;
        for (var i = 0; i < finished.Count; i++)
        {
            if (finished[i] is { State: TrialState.Complete, Feasible: true, Objective: { } value } trial &&
                (double.IsNaN(bestObjective) || objective.IsBetter(value, bestObjective)))
            {
                bestObjective = value;
                bestReport = trial.Metrics.GetValueOrDefault(target.ReportMetric, double.NaN);
                // The oracle has the table's best objective, so once it is the pick nothing replaces it.
                if (value == target.Reference?.OracleObjective) toOracle = i + 1;
            }
            curve[i] = bestReport;
            objectiveCurve[i] = bestObjective;
            secondsCurve[i] = (finished[i].FinishedAt!.Value - started).TotalSeconds;
        }
        return new BenchmarkRunResult(label, strategy, budget, seed, finished.Count, bestObjective, bestReport,
            toOracle, seconds, curve, objectiveCurve, secondsCurve);
    }

    private sealed class SilentObserver : ISearchObserver
    {
        public static SilentObserver Instance { get; } = new();

        public void Started(ExperimentRecord experiment, IReadOnlyList<TrialRecord> trials, int requeued)
        {
        }

        public void TrialProgress(TrialRecord trial, EvaluationProgress progress)
        {
        }

        public void TrialFinished(TrialRecord trial, IReadOnlyList<TrialRecord> trials)
        {
        }

        public void Ended(RunResult result)
        {
        }
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
    public static EvaluationContext LookupContext(long trialId, int seed) =>
        new() { TrialId = trialId, Device = "cpu", Seed = seed, WorkingDirectory = Path.GetTempPath(), ExperimentDirectory = Path.GetTempPath() };
}
