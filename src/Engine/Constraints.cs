using System.Globalization;

namespace SemiNas.Engine;

/// <summary>Inclusive bounds on one metric; either may be absent.</summary>
public sealed record MetricBound(double? Min, double? Max);

/// <summary>Bounds on metrics (the configuration's <c>constraints</c> section).</summary>
public sealed class Constraints(IReadOnlyDictionary<string, MetricBound> bounds)
{
    public static Constraints None { get; } = new(new Dictionary<string, MetricBound>());

    public IReadOnlyDictionary<string, MetricBound> Bounds { get; } = bounds;

    /// <summary>The first violated bound among the given metrics, or null when all hold. Absent metrics are skipped.</summary>
    public string? FindViolation(IReadOnlyDictionary<string, double> metrics)
    {
        foreach (var (metric, bound) in Bounds)
        {
            if (!metrics.TryGetValue(metric, out var value)) continue;
            if (bound.Min is { } min && value < min) return $"{metric} = {Format(value)} is below the minimum {Format(min)}";
            if (bound.Max is { } max && value > max) return $"{metric} = {Format(value)} is above the maximum {Format(max)}";
        }
        return null;
    }

    private static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
