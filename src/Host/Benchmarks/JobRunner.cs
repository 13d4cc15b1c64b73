using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace SemiNas.Host.Benchmarks;

/// <summary>
/// Runs a benchmark's independent jobs, in this process or spread over worker processes, and keeps every finished
/// job in a journal (<c>journal/*.jsonl</c> in the output folder): a benchmark that is killed, or run again with more
/// seeds, runs only the jobs it does not have yet. A changed configuration (another <c>fingerprint</c>) starts over.
/// </summary>
/// <remarks>
/// Workers re-run the same command with <c>--worker JOBS --results FILE</c>: JOBS lists the job numbers they own,
/// FILE (in the journal) receives one JSON line per finished job. Seeds run in separate processes, each on one
/// libtorch thread, rather than in threads of one process: libtorch was not reliably reentrant across threads here
/// (an intermittent failure inside Adam was seen), and one process per core also makes every run's floating-point
/// arithmetic, and so its result, independent of the others.
/// </remarks>
public sealed class JobRunner(string? workerJobs, string? resultsFile, int parallelism, IReadOnlyList<string> workerArguments)
{
    public bool IsWorker => workerJobs is not null;

    public int Parallelism => parallelism;

    /// <summary>
    /// The result of every job, from the journal or from running it. <paramref name="keys"/> name the jobs
    /// (e.g. "seminas|100|7"), so a journal stays valid when the job list grows. In a worker, runs its jobs only
    /// and returns an empty array.
    /// </summary>
    public async Task<T[]> RunAsync<T>(IReadOnlyList<string> keys, string outputDirectory, string fingerprint,
        Func<int, CancellationToken, Task<T>> run, Func<T, string> describe, CancellationToken cancellationToken)
    {
        if (workerJobs is not null)
        {
            await RunWorkerAsync(keys, run, cancellationToken);
            return [];
        }

        var journal = Journal.Open(Path.Combine(outputDirectory, "journal"), fingerprint);
        var done = journal.Load<T>();
        var results = new T[keys.Count];
        var pending = new List<int>();
        for (var i = 0; i < keys.Count; i++)
        {
            if (done.TryGetValue(keys[i], out var result)) results[i] = result;
            else pending.Add(i);
        }
        if (pending.Count < keys.Count)
            Console.WriteLine($"  {keys.Count - pending.Count} of {keys.Count} runs are already in {journal.Directory}; running the other {pending.Count}.");
        if (pending.Count == 0) return results;

        var workers = Math.Min(parallelism, pending.Count);
        var fresh = workers <= 1
            ? await RunInProcessAsync(pending, keys, journal, run, describe, cancellationToken)
            : await RunInWorkersAsync(pending, keys, journal, workers, describe, cancellationToken);
        foreach (var (index, result) in fresh) results[index] = result;
        return results;
    }

    private async Task RunWorkerAsync<T>(IReadOnlyList<string> keys, Func<int, CancellationToken, Task<T>> run, CancellationToken cancellationToken)
    {
        var jobs = (await File.ReadAllLinesAsync(workerJobs!, cancellationToken)).Select(l => int.Parse(l, CultureInfo.InvariantCulture));
        await using var writer = new StreamWriter(resultsFile!, append: true) { AutoFlush = true };
        foreach (var index in jobs)
            await writer.WriteLineAsync(Journal.Line(keys[index], await run(index, cancellationToken)));
    }

    private static async Task<List<(int, T)>> RunInProcessAsync<T>(List<int> pending, IReadOnlyList<string> keys, Journal journal,
        Func<int, CancellationToken, Task<T>> run, Func<T, string> describe, CancellationToken cancellationToken)
    {
        var results = new List<(int, T)>();
        var progress = new Progress(pending.Count);
        await using var writer = new StreamWriter(journal.NewFile("run"), append: false) { AutoFlush = true };
        foreach (var index in pending)
        {
            var result = await run(index, cancellationToken);
            await writer.WriteLineAsync(Journal.Line(keys[index], result));
            results.Add((index, result));
            progress.Report(results.Count, describe(result));
        }
        return results;
    }

    private async Task<List<(int, T)>> RunInWorkersAsync<T>(List<int> pending, IReadOnlyList<string> keys, Journal journal, int workers,
        Func<T, string> describe, CancellationToken cancellationToken)
    {
        var files = new List<string>();
        var processes = new List<Process>();
        for (var w = 0; w < workers; w++)
        {
            var results = journal.NewFile($"worker{w}");
            var jobs = Path.ChangeExtension(results, ".jobs");
            await File.WriteAllLinesAsync(jobs, pending.Where((_, k) => k % workers == w).Select(i => i.ToString(CultureInfo.InvariantCulture)), CancellationToken.None);
            files.Add(results);
            processes.Add(StartWorker(jobs, results));
        }
        var progress = new Progress(pending.Count);
        using var kill = cancellationToken.Register(() => processes.ForEach(p => p.Kill(entireProcessTree: true)));
        while (processes.Any(p => !p.HasExited))
        {
            await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None);
            var lines = files.Where(File.Exists).Select(Journal.ReadCompleteLines).ToList();
            var last = lines.Where(l => l.Count > 0).Select(l => l[^1]).LastOrDefault();
            progress.Report(lines.Sum(l => l.Count), last is null ? null : describe(Journal.Parse<T>(last).Result));
        }
        cancellationToken.ThrowIfCancellationRequested();
        foreach (var p in processes.Where(p => p.ExitCode != 0))
            throw new InvalidOperationException($"a benchmark worker failed (exit {p.ExitCode}): {await p.StandardError.ReadToEndAsync(CancellationToken.None)}");
        foreach (var file in files) File.Delete(Path.ChangeExtension(file, ".jobs"));

        var byKey = files.SelectMany(Journal.ReadCompleteLines).Select(Journal.Parse<T>).ToDictionary(e => e.Key, e => e.Result);
        var missing = pending.Where(i => !byKey.ContainsKey(keys[i])).ToList();
        if (missing.Count > 0) throw new InvalidOperationException($"benchmark workers ended without {missing.Count} of their runs.");
        return pending.Select(i => (i, byKey[keys[i]])).ToList();
    }

    private Process StartWorker(string jobs, string results)
    {
        // Started the way this process was: through `dotnet seminas.dll` or the seminas executable.
        var host = Environment.ProcessPath!;
        var start = new ProcessStartInfo(host) { UseShellExecute = false, RedirectStandardOutput = false, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(JobRunner).Assembly.Location);
        foreach (var argument in workerArguments) start.ArgumentList.Add(argument);
        foreach (var argument in new[] { "--worker", jobs, "--results", results }) start.ArgumentList.Add(argument);
        return Process.Start(start) ?? throw new InvalidOperationException("could not start a benchmark worker");
    }

    /// <summary>A folder of JSON-lines files of finished jobs, valid for one configuration fingerprint.</summary>
    private sealed class Journal
    {
        private Journal(string directory) => Directory = directory;

        public string Directory { get; }

        public static Journal Open(string directory, string fingerprint)
        {
            var stamp = Path.Combine(directory, "fingerprint");
            if (System.IO.Directory.Exists(directory) && (!File.Exists(stamp) || File.ReadAllText(stamp).Trim() != fingerprint))
            {
                Console.WriteLine($"  The configuration changed since the runs in {directory}; starting over.");
                System.IO.Directory.Delete(directory, recursive: true);
            }
            System.IO.Directory.CreateDirectory(directory);
            File.WriteAllText(stamp, fingerprint);
            return new Journal(directory);
        }

        public string NewFile(string prefix) =>
            Path.Combine(Directory, $"{prefix}-{DateTime.UtcNow:yyyyMMddTHHmmss}-{Environment.ProcessId}.jsonl");

        public Dictionary<string, T> Load<T>()
        {
            var entries = new Dictionary<string, T>(StringComparer.Ordinal);
            foreach (var line in System.IO.Directory.EnumerateFiles(Directory, "*.jsonl").Order(StringComparer.Ordinal).SelectMany(ReadCompleteLines))
            {
                try
                {
                    var entry = Parse<T>(line);
                    entries.TryAdd(entry.Key, entry.Result);
                }
                catch (JsonException)
                {
                    // The end of a file cut short by a kill: that job runs again.
                }
            }
            return entries;
        }

        public static string Line<T>(string key, T result) => JsonSerializer.Serialize(new Entry<T>(key, result));

        public static Entry<T> Parse<T>(string line) => JsonSerializer.Deserialize<Entry<T>>(line)!;

        public static List<string> ReadCompleteLines(string path)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var lines = new List<string>();
            while (reader.ReadLine() is { } line)
                if (line.EndsWith('}')) lines.Add(line); // a line cut by a kill, or still being written, is not a result
            return lines;
        }
    }

    private sealed record Entry<T>(string Key, T Result);

    /// <summary>A line every few seconds: jobs done, elapsed time and ETA.</summary>
    private sealed class Progress(int total)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan? _last;
        private int _reported;

        public void Report(int done, string? last)
        {
            if (done == _reported || (_last is { } last0 && _clock.Elapsed - last0 < TimeSpan.FromSeconds(2) && done < total)) return;
            _reported = done;
            _last = _clock.Elapsed;
            var eta = done == 0 ? "?" : TimeSpan.FromSeconds(_clock.Elapsed.TotalSeconds / done * (total - done)).ToString(@"hh\:mm\:ss");
            Console.WriteLine($"  {done}/{total} runs done, {_clock.Elapsed:hh\\:mm\\:ss} elapsed, ETA {eta}{(last is null ? "" : $" (last: {last})")}");
        }
    }
}
