using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SemiNas.Contracts;

/// <summary>
/// Optional, on an <see cref="ISearchTask"/>: the task can train a chosen architecture with its final recipe
/// (full widths, full epochs; read from the task's own options) and score the trained model.
/// Used by <c>seminas train</c> and <c>seminas eval</c>, which call it once per process: the two never overlap.
/// </summary>
public interface ITrainableTask
{
    /// <summary>
    /// Trains <paramref name="architecture"/> and saves the model under <see cref="TrainingContext.OutputDirectory"/>.
    /// Must checkpoint there, so that a killed training resumes when called again with the same folder.
    /// Returns the final metrics.
    /// </summary>
    Task<IReadOnlyDictionary<string, double>> TrainAsync(
        Architecture architecture, TrainingContext context, CancellationToken cancellationToken);

    /// <summary>Scores the model that <see cref="TrainAsync"/> saved in <see cref="TrainingContext.OutputDirectory"/>.</summary>
    Task<IReadOnlyDictionary<string, double>> EvaluateTrainedAsync(
        Architecture architecture, TrainingContext context, CancellationToken cancellationToken);
}

/// <summary>Where and how a final training or evaluation runs.</summary>
public sealed class TrainingContext
{
    /// <summary>"cpu" or "cuda" (already resolved from the configuration's "auto").</summary>
    public required string Device { get; init; }

    public required int Seed { get; init; }

    /// <summary>The model's folder: weights, checkpoints and any files the evaluation writes.</summary>
    public required string OutputDirectory { get; init; }

    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>Receives progress (shown live by the host).</summary>
    public IProgress<EvaluationProgress>? Progress { get; init; }
}
