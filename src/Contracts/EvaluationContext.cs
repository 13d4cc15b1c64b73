using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SemiNas.Contracts;

/// <summary>Where and how one evaluation runs.</summary>
public sealed class EvaluationContext
{
    /// <summary>The store's id of the trial being evaluated.</summary>
    public required long TrialId { get; init; }

    /// <summary>"cpu" or "cuda" (already resolved from the configuration's "auto").</summary>
    public required string Device { get; init; }

    /// <summary>A seed derived from the experiment seed and the trial, for reproducible evaluations.</summary>
    public required int Seed { get; init; }

    /// <summary>
    /// A folder owned by this trial for checkpoints and artefacts, inside <see cref="ExperimentDirectory"/>; it
    /// survives a restart of the search, so a resumed evaluation can pick up its checkpoint. Created by the plugin when
    /// needed, or by the host when the plugin first logs (the trial's <c>trial.log</c> is kept there).
    /// </summary>
    public required string WorkingDirectory { get; init; }

    /// <summary>
    /// A folder shared by every trial of the experiment, beside its store, for what outlives one trial (a weight-sharing
    /// supernet, data prepared once); it survives a restart of the search. The host creates it.
    /// </summary>
    public required string ExperimentDirectory { get; init; }

    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>Receives progress of a long evaluation (shown live by the host).</summary>
    public IProgress<EvaluationProgress>? Progress { get; init; }
}

/// <summary>
/// Progress of one evaluation: the fraction done (0..1), a short message and any metrics so far. The host keeps the
/// metrics of a search's trials in its store as intermediate values (training loss by step, say) for the dashboard and
/// <c>seminas export</c>, at <see cref="Step"/>.
/// </summary>
public sealed record EvaluationProgress(double Fraction, string? Message = null,
    IReadOnlyDictionary<string, double>? Metrics = null)
{
    /// <summary>
    /// The training step (or epoch) <see cref="Metrics"/> were measured at, as the plugin counts them; null: the host
    /// numbers the reports that carry metrics 1, 2, 3… after the last step it was given. A step reported again
    /// replaces that step's values of the same name (a resumed training). Since contract 2.1.
    /// </summary>
    public int? Step { get; init; }
}
