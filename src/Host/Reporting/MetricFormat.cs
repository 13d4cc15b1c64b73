using System.Globalization;
using SemiNas.Storage;

namespace SemiNas.Host.Reporting;

public static class MetricFormat
{
    /// <summary>Large counts (FLOPs, parameters) with thousands separators, other values with 7 significant digits.</summary>
    public static string Format(double value) =>
        Math.Abs(value) >= 1e5 && value == Math.Floor(value)
            ? value.ToString("#,0", CultureInfo.InvariantCulture)
            : value.ToString("G7", CultureInfo.InvariantCulture);

    /// <summary>A trial's cheap and evaluated metrics in one list, by name; an evaluated value wins over a cheap one.</summary>
    public static IEnumerable<KeyValuePair<string, double>> AllMetrics(TrialRecord trial)
    {
        var all = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, value) in trial.CheapMetrics) all[name] = value;
        foreach (var (name, value) in trial.Metrics) all[name] = value;
        return all;
    }

    /// <summary>Writes "  name = value" lines for every metric of a trial.</summary>
    public static void WriteMetrics(TextWriter output, TrialRecord trial)
    {
        foreach (var (name, value) in AllMetrics(trial)) output.WriteLine($"  {name} = {Format(value)}");
    }
}
