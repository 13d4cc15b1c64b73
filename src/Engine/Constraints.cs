using System.Globalization;
using SemiNas.Host.Configuration;

namespace SemiNas.Host.Experiments;

/// <summary>Bounds on metrics from the configuration's <c>constraints</c> section.</summary>
public sealed class Constraints(IReadOnlyDictionary<string, BoundConfig> bounds)
{
    public IReadOnlyDictionary<string, BoundConfig> Bounds { get; } = bounds;

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
