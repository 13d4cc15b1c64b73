namespace SemiNas.Core;

/// <summary>
/// What a strategy tells people watching a search about one of its iterations, by name: for SemiNAS, say, the
/// predictor's rank correlation on the batch it proposed, the pseudo-labels it trained on, the step sizes it reached.
/// Kept by the store beside the trials and shown on the dashboard; never read back by the strategy.
/// </summary>
/// <param name="Iteration">The strategy's own count of its iterations, from 1.</param>
public sealed record StrategyDiagnostics(int Iteration, IReadOnlyDictionary<string, double> Values);
