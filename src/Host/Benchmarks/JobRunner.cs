using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SemiNas.Host.Experiments;

namespace SemiNas.Host.Benchmarks;

/// <summary>
/// Runs a benchmark's independent jobs, in this process or spread over worker processes, and keeps every finished
/// job in a journal (<c>journal/*.jsonl</c> in the output folder): a benchmark that is killed, or run again with more
/// seeds, runs only the jobs it does not have yet. A changed configuration (another <c>fingerprint</c>) starts over.
/// </summary>
/// <remarks>
/// Workers re-run the same command with <c>--worker JOBS --results FILE</c>: JOBS lists the job numbers they own,
/// FILE (in the journal) receives one JSON line per finished job. Seeds run in separate processes, each on one
/// libtorch thread, rather than in threads of one process: one process per core makes every run's floating-point
/// arithmetic, and so its result, independent of the others, and a native crash costs one run, not the benchmark
/// (a failed worker's remaining jobs go to a new worker).
/// </remarks>
public sealed class JobRunner(string? workerJobs, string? resultsFile, int parallelism, IReadOnlyList<string> workerArguments)
{
    public bool IsWorker => workerJobs is not null;

    public int Parallelism => parallelism;

    /// <summary>
    /// The result of every job, from the journal or from running it. <paramref name="keys"/> name the jobs
    /// (e.g. "seminas|100|7", the seed last: the rest is the job's kind, for the ETA), so a journal stays valid when the
    /// job list grows. In a worker, runs its jobs only and returns an empty array.
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
        {
            var clock = Stopwatch.StartNew();
            var result = await run(index, cancellationToken);
            await writer.WriteLineAsync(Journal.Line(keys[index], result, clock.Elapsed.TotalSeconds));
        }
    }

    private static async Task<List<(int, T)>> RunInProcessAsync<T>(List<int> pending, IReadOnlyList<string> keys, Journal journal,
        Func<int, CancellationToken, Task<T>> run, Func<T, string> describe, CancellationToken cancellationToken)
    {
        var results = new List<(int, T)>();
        var finished = new List<FinishedJob>();
        var progress = new BenchmarkProgress(pending.Select(i => keys[i]).ToList(), workers: 1);
        using var heartbeat = progress.StartHeartbeat();
        await using var writer = new StreamWriter(journal.NewFile("run"), append: false) { AutoFlush = true };
        foreach (var index in pending)
        {
            var clock = Stopwatch.StartNew();
            var result = await run(index, cancellationToken);
            var seconds = clock.Elapsed.TotalSeconds;
            await writer.WriteLineAsync(Journal.Line(keys[index], result, seconds));
            results.Add((index, result));
            finished.Add(new FinishedJob(keys[index], seconds));
            // A copy: the heartbeat's timer reads what it was given last while this list grows.
            progress.Report(finished.ToArray(), describe(result));
        }
        return results;
    }

    private async Task<List<(int, T)>> RunInWorkersAsync<T>(List<int> pending, IReadOnlyList<string> keys, Journal journal, int workers,
        Func<T, string> describe, CancellationToken cancellationToken)
    {
        var running = new List<Worker>();
        for (var w = 0; w < workers; w++)
            running.Add(await StartWorkerAsync(journal, $"worker{w}", pending.Where((_, k) => k % workers == w).ToList()));
        var files = running.Select(w => w.Results).ToList();
        var progress = new BenchmarkProgress(pending.Select(i => keys[i]).ToList(), workers);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var restarts = 0;
        using var kill = cancellationToken.Register(() => running.ForEach(w => w.Process.Kill(entireProcessTree: true)));
        do
        {
            await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None);
            // A worker that died (a native crash, say) loses only the run it was in: another takes over the rest.
            var failures = cancellationToken.IsCancellationRequested ? [] : running.Where(w => w.Process.HasExited && w.Process.ExitCode != 0).ToList();
            foreach (var failed in failures)
            {
                var reported = Journal.ReadCompleteLines(failed.Results).Select(l => Journal.Parse<T>(l).Key).ToHashSet(StringComparer.Ordinal);
                var left = failed.Jobs.Where(i => !reported.Contains(keys[i])).ToList();
                if (++restarts > MaxWorkerRestarts)
                    throw new InvalidOperationException($"a benchmark worker failed (exit {failed.Process.ExitCode}), the {MaxWorkerRestarts + 1}th to fail: {failed.Errors}");
                var errors = failed.Errors;
                Console.Error.WriteLine($"  warning: a benchmark worker failed (exit {failed.Process.ExitCode}) with {left.Count} runs left; " +
                    "another worker takes them over." + (errors.Length > 0 ? $" Its last error output:{Environment.NewLine}{errors}" : ""));
                running.Remove(failed);
                File.Delete(failed.JobsFile);
                if (left.Count == 0) continue;
                var replacement = await StartWorkerAsync(journal, $"worker{workers + restarts - 1}", left);
                running.Add(replacement);
                files.Add(replacement.Results);
            }
            var entries = files.SelectMany(f => Journal.ReadCompleteLines(f).Select(Journal.Parse<T>)).ToList();
            // "last" is a run that finished since the previous look, not whichever worker's file was read last.
            var last = entries.Where(e => seen.Add(e.Key)).LastOrDefault();
            progress.Report([.. entries.Select(e => new FinishedJob(e.Key, e.Seconds))], last is null ? null : describe(last.Result));
        }
        while (running.Any(w => !w.Process.HasExited));
        cancellationToken.ThrowIfCancellationRequested();
        foreach (var w in running.Where(w => w.Process.ExitCode != 0))
            throw new InvalidOperationException($"a benchmark worker failed (exit {w.Process.ExitCode}): {w.Errors}");
        foreach (var w in running) File.Delete(w.JobsFile);

        var byKey = files.SelectMany(Journal.ReadCompleteLines).Select(Journal.Parse<T>)
            .GroupBy(e => e.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Result, StringComparer.Ordinal);
        var missing = pending.Where(i => !byKey.ContainsKey(keys[i])).ToList();
        if (missing.Count > 0) throw new InvalidOperationException($"benchmark workers ended without {missing.Count} of their runs.");
        return pending.Select(i => (i, byKey[keys[i]])).ToList();
    }

    /// <summary>Workers that may fail, one after another, before the benchmark gives up.</summary>
    private const int MaxWorkerRestarts = 3;

    private async Task<Worker> StartWorkerAsync(Journal journal, string name, IReadOnlyList<int> jobs)
    {
        var results = journal.NewFile(name);
        var jobsFile = Path.ChangeExtension(results, ".jobs");
        await File.WriteAllLinesAsync(jobsFile, jobs.Select(i => i.ToString(CultureInfo.InvariantCulture)), CancellationToken.None);
        // Started the way this process was: through `dotnet seminas.dll` or the seminas executable.
        var host = LocalWorkerProcesses.HostCommand();
        var start = new ProcessStartInfo(host[0]) { UseShellExecute = false, RedirectStandardOutput = false, RedirectStandardError = true };
        foreach (var argument in host.Skip(1).Concat(workerArguments)) start.ArgumentList.Add(argument);
        foreach (var argument in new[] { "--worker", jobsFile, "--results", results }) start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start a benchmark worker");
        var worker = new Worker(process, jobs, jobsFile, results);
        // Read as it comes, so that a chatty worker never blocks on a full pipe; the last lines are kept for the report.
        process.ErrorDataReceived += (_, e) => worker.AddError(e.Data);
        process.BeginErrorReadLine();
        return worker;
    }

    private sealed class Worker(Process process, IReadOnlyList<int> jobs, string jobsFile, string results)
    {
        private readonly Queue<string> _errors = new();

        public Process Process { get; } = process;

        public IReadOnlyList<int> Jobs { get; } = jobs;

        public string JobsFile { get; } = jobsFile;

        public string Results { get; } = results;

        public string Errors
        {
            get
            {
                lock (_errors) return string.Join(Environment.NewLine, _errors);
            }
        }

        public void AddError(string? line)
        {
            if (line is null) return;
            lock (_errors)
            {
                _errors.Enqueue(line);
                if (_errors.Count > 20) _errors.Dequeue();
            }
        }
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

        public static string Line<T>(string key, T result, double seconds) => JsonSerializer.Serialize(new Entry<T>(key, result, seconds));

        public static Entry<T> Parse<T>(string line) => JsonSerializer.Deserialize<Entry<T>>(line)!;

        /// <summary>The complete result lines of a worker's file; none when the worker died before creating it.</summary>
        public static List<string> ReadCompleteLines(string path)
        {
            if (!File.Exists(path)) return [];
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var lines = new List<string>();
            while (reader.ReadLine() is { } line)
                if (line.EndsWith('}')) lines.Add(line); // a line cut by a kill, or still being written, is not a result
            return lines;
        }
    }

    /// <summary>A finished job: its key, its result and the seconds it took (0 in journals written before they were kept).</summary>
    private sealed record Entry<T>(string Key, T Result, double Seconds = 0);
}
