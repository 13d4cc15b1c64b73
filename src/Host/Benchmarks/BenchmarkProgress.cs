using System.Diagnostics;

namespace SemiNas.Host.Benchmarks;

/// <summary>
/// A line every few seconds while a benchmark runs: jobs done, elapsed time and ETA.
/// </summary>
/// <remarks>
/// Kinds of job differ in cost by orders of magnitude (a random search takes milliseconds, a SemiNAS run a minute),
/// and the fast ones come first: an ETA from the mean time of all finished jobs said "2 minutes" for an hour of
/// SemiNAS runs. So each pending job is estimated by the mean time of finished jobs of its kind (its key without the
/// last "|" part, the seed: "seminas|200"), or of all finished jobs while its kind has none yet.
/// </remarks>
internal sealed class BenchmarkProgress(IReadOnlyList<string> pendingKeys, int workers)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan? _last;
    private int _reported;

    public void Report(IReadOnlyCollection<FinishedJob> finished, string? last)
    {
        var done = finished.Count;
        if (done == _reported || (_last is { } last0 && _clock.Elapsed - last0 < TimeSpan.FromSeconds(2) && done < pendingKeys.Count)) return;
        _reported = done;
        _last = _clock.Elapsed;
        var eta = Eta(pendingKeys, finished, workers) is { } e ? e.ToString(@"hh\:mm\:ss") : "?";
        Console.WriteLine($"  {done}/{pendingKeys.Count} runs done, {_clock.Elapsed:hh\\:mm\\:ss} elapsed, ETA {eta}{(last is null ? "" : $" (last: {last})")}");
    }

    /// <summary>The time the jobs not yet finished will take on <paramref name="workers"/> workers; null before any job finished.</summary>
    public static TimeSpan? Eta(IEnumerable<string> pendingKeys, IReadOnlyCollection<FinishedJob> finished, int workers)
    {
        if (finished.Count == 0) return null;
        var overall = finished.Average(f => f.Seconds);
        var byKind = finished.GroupBy(f => Kind(f.Key), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Average(f => f.Seconds), StringComparer.Ordinal);
        var done = finished.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        var seconds = pendingKeys.Where(k => !done.Contains(k)).Sum(k => byKind.GetValueOrDefault(Kind(k), overall));
        return TimeSpan.FromSeconds(Math.Round(seconds / Math.Max(1, workers)));
    }

    private static string Kind(string key) => key.LastIndexOf('|') is var bar and >= 0 ? key[..bar] : "";
}

/// <summary>A job that finished, and the seconds it took.</summary>
internal readonly record struct FinishedJob(string Key, double Seconds);
