using Microsoft.Extensions.Logging;
using SemiNas.Contracts;

namespace SemiNas.Samples.MinimalPlugin;

/// <summary>
/// Score = number of 1 bits + a small deterministic pseudo-noise. The task holds no mutable state, which is what
/// makes it safe for the host to run several evaluations at once.
/// </summary>
public sealed class OneMaxTask(OneMaxOptions options, int seed) : ISearchTask
{
    public ISearchSpace Space { get; } = new OneMaxSpace(options.Length);

    public Objective Objective { get; } = new("score", MetricGoal.Maximize);

    public IReadOnlyList<MetricInfo> Metrics { get; } =
    [
        new("ones", "Number of 1 bits, known without evaluation", Cheap: true),
        new("score", "Number of 1 bits plus deterministic pseudo-noise"),
    ];

    // Cheap metrics let constraints such as `ones: {max: 12}` reject a candidate before it is evaluated.
    public IReadOnlyDictionary<string, double> CheapMetrics(Architecture architecture) =>
        new Dictionary<string, double> { ["ones"] = OneMaxSpace.CountOnes(architecture) };

    public async Task<IReadOnlyDictionary<string, double>> EvaluateAsync(
        Architecture architecture, EvaluationContext context, CancellationToken cancellationToken)
    {
        // A real task would train a model on context.Device here; this one only pretends to, in cancellable steps.
        const int steps = 10;
        for (var step = 1; step <= steps && options.DelayMs > 0; step++)
        {
            await Task.Delay(options.DelayMs / steps, cancellationToken);
            context.Progress?.Report(new EvaluationProgress((double)step / steps, $"step {step}/{steps}"));
        }
        cancellationToken.ThrowIfCancellationRequested();

        // Cheap metrics are already known to the host, so the result only needs the evaluated ones.
        var score = OneMaxSpace.CountOnes(architecture) + options.Noise * PseudoNoise(architecture);
        // Shown on the console with --verbosity debug, and kept in the trial's trial.log whatever the verbosity.
        context.Logger.LogDebug("{Architecture}: {Ones} ones, score {Score:F3}", architecture, OneMaxSpace.CountOnes(architecture), score);
        return new Dictionary<string, double> { ["score"] = score };
    }

    // Imitates training noise, yet stays a function of the experiment seed and the architecture alone, so that
    // results are reproducible. (string.GetHashCode differs between processes, hence FNV-1a by hand.)
    private double PseudoNoise(Architecture architecture)
    {
        var hash = 2166136261u ^ (uint)seed;
        foreach (var token in architecture.Tokens)
        {
            hash ^= (uint)token;
            hash *= 16777619u;
        }
        return hash / (double)uint.MaxValue;
    }

    public void Dispose()
    {
        // Nothing to release. A task holding a dataset, a table or a native handle frees it here.
    }
}
