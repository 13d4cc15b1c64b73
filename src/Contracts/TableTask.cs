namespace SemiNas.Contracts;

/// <summary>
/// A base for tasks whose evaluation is a lookup in a table of recorded results (NAS-Bench-style benchmarks): the
/// author supplies the space, the metrics and <see cref="Lookup"/>; evaluation, cancellation and the error for an
/// architecture the table lacks are done here. Keep the table immutable after construction: lookups run on several
/// threads at once.
/// </summary>
public abstract class TableTask : ISearchTask, IInProcessEvaluation
{
    private static readonly IReadOnlyDictionary<string, double> None = new Dictionary<string, double>();

    public abstract ISearchSpace Space { get; }

    public abstract Objective Objective { get; }

    public abstract IReadOnlyList<MetricInfo> Metrics { get; }

    /// <summary>The recorded metrics of an architecture, or null when the table has no row for it.</summary>
    protected abstract IReadOnlyDictionary<string, double>? Lookup(Architecture architecture);

    /// <summary>None by default; override to give constraints something to bound (parameters, FLOPs).</summary>
    public virtual IReadOnlyDictionary<string, double> CheapMetrics(Architecture architecture) => None;

    public Task<IReadOnlyDictionary<string, double>> EvaluateAsync(
        Architecture architecture, EvaluationContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var metrics = Lookup(architecture)
            ?? throw new KeyNotFoundException($"the table has no result for {Space.Describe(architecture)} ({architecture}).");
        return Task.FromResult(metrics);
    }

    /// <summary>Lookups cannot crash the process and cost less than a worker process's round trip.</summary>
    public virtual string Reason => "table lookups";

    public virtual void Dispose() => GC.SuppressFinalize(this);
}
