namespace SemiNas.Contracts;

/// <summary>
/// One configured task: its search space, its metrics and how a candidate is evaluated.
/// Created by <see cref="ITaskPlugin.CreateTask"/> from the experiment's <c>task.options</c>.
/// </summary>
public interface ISearchTask : IDisposable
{
    ISearchSpace Space { get; }

    /// <summary>The metric the search optimises. It must be one of <see cref="Metrics"/> and not cheap.</summary>
    Objective Objective { get; }

    /// <summary>Every metric the task reports, cheap and evaluated.</summary>
    IReadOnlyList<MetricInfo> Metrics { get; }

    /// <summary>
    /// Metrics computed without training (FLOPs, parameters, ...). Must be fast and deterministic: the host
    /// calls it on every candidate before evaluation so that constraints can reject it for free.
    /// </summary>
    IReadOnlyDictionary<string, double> CheapMetrics(Architecture architecture);

    /// <summary>
    /// Evaluates a candidate (trains it, looks it up in a table, ...). Must honour <paramref name="cancellationToken"/>,
    /// may report progress through the context, and returns at least the objective metric.
    /// Throwing, or returning NaN for the objective, marks the trial FAILED with that reason.
    /// Unless <see cref="ConcurrentEvaluations"/> says otherwise, several evaluations run at once (execution.workers),
    /// so the implementation must be thread-safe.
    /// </summary>
    Task<IReadOnlyDictionary<string, double>> EvaluateAsync(
        Architecture architecture, EvaluationContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the host may run several evaluations of this task at once. True by default: up to
    /// <c>execution.workers</c> run together. A task whose evaluations share state that cannot be shared (one model
    /// that every evaluation trains, say) returns false, and the host then never overlaps two of its evaluations,
    /// whatever <c>execution.workers</c> says, instead of the plugin serialising them behind a lock of its own.
    /// </summary>
    bool ConcurrentEvaluations => true;
}
