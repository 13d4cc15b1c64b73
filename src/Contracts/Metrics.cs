namespace SemiNas.Contracts;

public enum MetricGoal
{
    Maximize,
    Minimize,
}

/// <summary>A metric a task reports. Cheap metrics are known without training and can reject a candidate early.</summary>
/// <param name="Name">Key in the metric dictionaries, e.g. "valid_accuracy" or "flops".</param>
/// <param name="Description">What the number is, with its unit.</param>
/// <param name="Cheap">True when <see cref="ISearchTask.CheapMetrics"/> computes it without evaluation.</param>
public sealed record MetricInfo(string Name, string Description, bool Cheap = false);

/// <summary>The metric the search optimises and in which direction.</summary>
public sealed record Objective(string Metric, MetricGoal Goal = MetricGoal.Maximize)
{
    /// <summary>True when <paramref name="a"/> is strictly better than <paramref name="b"/>.</summary>
    public bool IsBetter(double a, double b) => Goal == MetricGoal.Maximize ? a > b : a < b;
}
