using System.Diagnostics;

namespace SemiNas.Host.Benchmarks;

/// <summary>
/// What a running benchmark prints: a line when runs finish (at most one every 2 s) naming the run that finished
/// last, and a heartbeat every 10 s while none does, so a long SemiNAS run never leaves the console silent.
/// </summary>
/// <remarks>
/// Kinds of job differ in cost by orders of magnitude (a random search takes milliseconds, a SemiNAS run a minute),
/// and the fast ones come first: an ETA from the mean time of all finished jobs said "2 minutes" for an hour of
/// SemiNAS runs. So each pending job is estimated by the mean time of finished jobs of its kind (its key without the
/// last "|" part, the seed: "seminas|200"); while a kind has none finished, its runs cannot be priced, and the ETA is
/// printed as a lower bound that names them.
/// </remarks>
internal sealed class BenchmarkProgress(IReadOnlyList<string> pendingKeys, int workers, TextWriter? output = null, TimeSpan? heartbeat = null)
{
    private static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(2);
    private readonly TextWriter _output = output ?? Console.Out;
    private readonly TimeSpan _heartbeat = heartbeat ?? TimeSpan.FromSeconds(10);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private IReadOnlyCollection<FinishedJob> _finished = [];
    private string? _lastRun;
    private TimeSpan? _lastLine;
    private int _reported = -1;

    /// <param name="finished">Every job finished so far.</param>
    /// <param name="last">The run that finished most recently, described for the line; null when none is new.</param>
    public void Report(IReadOnlyCollection<FinishedJob> finished, string? last)
    {
        lock (_lock)
        {
            _finished = finished;
            if (last is not null) _lastRun = last;
            var now = _clock.Elapsed;
            var sinceLine = _lastLine is { } line ? now - line : TimeSpan.MaxValue;
            var isNew = finished.Count != _reported;
            var complete = finished.Count >= pendingKeys.Count;
            if (isNew ? sinceLine < MinInterval && !complete : sinceLine < _heartbeat) return;
            _reported = finished.Count;
            _lastLine = now;
            _output.WriteLine(Line(now, isNew));
        }
    }

    /// <summary>Prints the heartbeat when it is due; the benchmark calls it every second or two while runs are under way.</summary>
    public void Heartbeat() => Report(Volatile.Read(ref _finished), last: null);

    /// <summary>Calls <see cref="Heartbeat"/> every 2 s until disposed: for jobs run in this process, which report only as they end.</summary>
    public IDisposable StartHeartbeat() => new Timer(_ => Heartbeat(), null, MinInterval, MinInterval);

    private string Line(TimeSpan now, bool isNew)
    {
        var running = Math.Min(workers, pendingKeys.Count - _finished.Count);
        var eta = Eta(pendingKeys, _finished, workers) switch
        {
            null => "ETA ? (no run finished yet)",
            ({ } known, { Count: 0 }) => $"ETA {known:hh\\:mm\\:ss}",
            ({ } known, var unpriced) => $"ETA more than {known:hh\\:mm\\:ss} (no {string.Join(", ", unpriced)} run finished yet)",
        };
        var last = isNew && _lastRun is not null ? $" (last: {_lastRun})" : $"; {running} running";
        return $"  {_finished.Count}/{pendingKeys.Count} runs done, {now:hh\\:mm\\:ss} elapsed, {eta}{last}";
    }

    /// <summary>
    /// The time the jobs not yet finished will take on <paramref name="workers"/> workers, priced by kind, and the kinds
    /// that cannot be priced yet (none of theirs finished; they count as zero in <c>Known</c>); null before any job finished.
    /// </summary>
    public static (TimeSpan Known, IReadOnlyList<string> Unpriced)? Eta(IEnumerable<string> pendingKeys, IReadOnlyCollection<FinishedJob> finished, int workers)
    {
        if (finished.Count == 0) return null;
        var byKind = finished.GroupBy(f => Kind(f.Key), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Average(f => f.Seconds), StringComparer.Ordinal);
        var done = finished.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        var left = pendingKeys.Where(k => !done.Contains(k)).ToList();
        var seconds = left.Sum(k => byKind.GetValueOrDefault(Kind(k)));
        var unpriced = left.Select(Kind).Where(k => !byKind.ContainsKey(k)).Distinct(StringComparer.Ordinal).Select(Readable).ToList();
        return (TimeSpan.FromSeconds(Math.Round(seconds / Math.Max(1, workers))), unpriced);
    }

    private static string Kind(string key) => key.LastIndexOf('|') is var bar and >= 0 ? key[..bar] : "";

    // "3|seminas|200" (entry, label, budget) reads as "seminas 200".
    private static string Readable(string kind) => string.Join(' ', kind.Split('|').Skip(1));
}

/// <summary>A job that finished, and the seconds it took.</summary>
internal readonly record struct FinishedJob(string Key, double Seconds);
