using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SemiNas.Contracts;
using SemiNas.Controller;
using SemiNas.Host.Benchmarks;
using SemiNas.Host.Configuration;
using SemiNas.Host.Experiments;
using System.Text.Json;

namespace SemiNas.Host.Cli;

internal static class BenchmarkCommand
{
    private sealed record Job(string Label, IStrategyFactory Factory, object Options, int Budget, int Seed);

    public static Command Create()
    {
        var config = new Argument<string>("config") { Description = "Benchmark YAML file (see configs/benchmarks)." };
        var seeds = new Option<int?>("--seeds") { Description = "Overrides seeds." };
        var seedOffset = new Option<int?>("--seed-offset") { Description = "Overrides seedOffset: seeds run from offset+1." };
        var output = new Option<string?>("--output") { Description = "Output folder (default benchmarks/<name>)." };
        var parallel = new Option<int?>("--parallel") { Description = "Overrides parallelism (runs at once)." };
        var plugins = CommonOptions.PluginPaths();
        var worker = new Option<string?>("--worker") { Description = "Internal: run share INDEX/COUNT of the runs and write them to --results.", Hidden = true };
        var resultsFile = new Option<string?>("--results") { Description = "Internal: where a worker writes its runs (JSON lines).", Hidden = true };
        var command = new Command("benchmark",
            "Runs strategies x seeds x budgets on a tabular task and writes summary.json, table.md, runs.csv and curve plots.")
        {
            config, seeds, seedOffset, output, parallel, plugins, worker, resultsFile,
        };
        command.SetAction((result, cancellationToken) => CommonOptions.Guard(async () =>
        {
            var path = result.GetValue(config)!;
            var (fullPath, text) = ConfigLoader.ReadFile(path);
            var benchmark = ConfigLoader.Parse<BenchmarkConfig>(text, path);
            if (result.GetValue(seeds) is { } s) benchmark.Seeds = s;
            if (result.GetValue(seedOffset) is { } o) benchmark.SeedOffset = o;
            if (result.GetValue(parallel) is { } p) benchmark.Parallelism = p;
            var directory = Path.GetDirectoryName(fullPath)!;

            var catalog = CommonOptions.LoadPlugins(
                (result.GetValue(plugins) ?? []).Concat(benchmark.PluginPaths.Select(x => Path.Combine(directory, x))));
            ITaskPlugin plugin;
            try
            {
                plugin = catalog.Get(benchmark.Task.Plugin);
            }
            catch (KeyNotFoundException e)
            {
                throw ConfigErrors.At(text, path, "task.plugin", e.Message);
            }
            var taskOptions = YamlBinder.Bind(plugin.OptionsType, benchmark.Task.Options, path, "task.options");
            using var task = plugin.CreateTask(taskOptions, new TaskCreationContext { ConfigDirectory = directory, Seed = 0 });
            if (task.Metrics.All(m => m.Name != benchmark.ReportMetric))
                throw ConfigErrors.At(text, path, "reportMetric",
                    $"the task has no metric '{benchmark.ReportMetric}'; its metrics are {string.Join(", ", task.Metrics.Select(m => m.Name))}.");

            var jobs = new List<Job>();
            for (var i = 0; i < benchmark.Runs.Count; i++)
            {
                var run = benchmark.Runs[i];
                IStrategyFactory factory;
                try
                {
                    factory = StrategyRegistry.Get(run.Strategy);
                }
                catch (KeyNotFoundException e)
                {
                    throw ConfigErrors.At(text, path, $"runs[{i}].strategy", e.Message);
                }
                var options = YamlBinder.Bind(factory.OptionsType, run.Options, path, $"runs[{i}].options");
                foreach (var budget in run.Budgets)
                    for (var seed = benchmark.SeedOffset + 1; seed <= benchmark.SeedOffset + benchmark.Seeds; seed++)
                        jobs.Add(new Job(run.Label ?? factory.Name, factory, options, budget, seed));
            }

            var optimum = await BenchmarkRun.FindOptimumAsync(task, benchmark.ReportMetric, cancellationToken);
            if (result.GetValue(worker) is { } share)
            {
                await RunShareAsync(share, result.GetValue(resultsFile)!, jobs, task, benchmark.ReportMetric, optimum, cancellationToken);
                return CommonOptions.ExitOk;
            }

            var parallelism = Math.Min(jobs.Count, benchmark.Parallelism > 0 ? benchmark.Parallelism : Environment.ProcessorCount);
            Console.WriteLine($"Benchmark '{benchmark.Name}': {jobs.Count} runs on {plugin.Name}, {parallelism} at a time" +
                (optimum is { } opt ? $"; optimum {benchmark.ReportMetric} {opt.ToString("0.####", CultureInfo.InvariantCulture)}." : "."));
            var results = parallelism == 1
                ? await RunInProcessAsync(jobs, task, benchmark.ReportMetric, optimum, cancellationToken)
                : await RunInWorkersAsync(WorkerArguments(result.Tokens.Select(t => t.Value)), parallelism, jobs.Count, cancellationToken);

            var groups = results.GroupBy(r => (r.Label, r.Budget)).Select(g => BenchmarkGroup.Of(g.ToList()))
                .OrderBy(g => g.Budget).ThenByDescending(g => g.Mean).ToList();
            var outputDirectory = result.GetValue(output) ?? Path.Combine("benchmarks", benchmark.Name);
            BenchmarkReport.Write(outputDirectory, benchmark, task.Objective.Metric, optimum, groups, results);
            Console.WriteLine();
            Console.Write(BenchmarkReport.Table(benchmark, optimum, groups));
            Console.WriteLine($"\nWrote summary.json, table.md, runs.csv and curves-*.png to {outputDirectory}.");
            return CommonOptions.ExitOk;
        }));
        return command;
    }

    // Runs share "INDEX/COUNT" of the jobs one after the other, appending each result as a JSON line.
    private static async Task RunShareAsync(string share, string path, List<Job> jobs, ISearchTask task, string reportMetric,
        double? optimum, CancellationToken cancellationToken)
    {
        var parts = share.Split('/');
        var (index, count) = (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
        TorchSharp.torch.set_num_threads(1);
        await using var writer = new StreamWriter(path, append: false) { AutoFlush = true };
        for (var i = index; i < jobs.Count; i += count)
        {
            var job = jobs[i];
            var run = await BenchmarkRun.RunAsync(job.Label, job.Factory, job.Options, task, job.Budget, job.Seed, reportMetric, optimum, cancellationToken);
            await writer.WriteLineAsync(JsonSerializer.Serialize(new IndexedResult(i, run)));
        }
    }

    private static async Task<BenchmarkRunResult[]> RunInProcessAsync(List<Job> jobs, ISearchTask task, string reportMetric,
        double? optimum, CancellationToken cancellationToken)
    {
        var results = new BenchmarkRunResult[jobs.Count];
        var progress = new Progress(jobs.Count);
        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i];
            results[i] = await BenchmarkRun.RunAsync(job.Label, job.Factory, job.Options, task, job.Budget, job.Seed, reportMetric, optimum, cancellationToken);
            progress.Report(i + 1, results[i]);
        }
        return results;
    }

    /// <summary>
    /// Seeds run in parallel in separate processes, each on one thread: libtorch is not reliably reentrant across
    /// threads of one process here (an intermittent failure inside Adam was seen), and one process per core
    /// also makes every run's floating-point arithmetic, and so its result, independent of the others.
    /// </summary>
    private static async Task<BenchmarkRunResult[]> RunInWorkersAsync(List<string> arguments, int workers, int jobCount,
        CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("seminas-benchmark-");
        try
        {
            var files = Enumerable.Range(0, workers).Select(i => Path.Combine(folder.FullName, $"worker-{i}.jsonl")).ToList();
            var processes = files.Select((file, i) => StartWorker(arguments, $"{i}/{workers}", file)).ToList();
            var progress = new Progress(jobCount);
            using var kill = cancellationToken.Register(() => processes.ForEach(p => p.Kill(entireProcessTree: true)));
            while (processes.Any(p => !p.HasExited))
            {
                await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None);
                var lines = files.Sum(f => File.Exists(f) ? ReadLinesShared(f).Count : 0);
                progress.Report(lines, null);
            }
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var p in processes.Where(p => p.ExitCode != 0))
                throw new InvalidOperationException($"a benchmark worker failed (exit {p.ExitCode}): {await p.StandardError.ReadToEndAsync(CancellationToken.None)}");
            var results = new BenchmarkRunResult[jobCount];
            foreach (var line in files.SelectMany(ReadLinesShared))
            {
                var indexed = JsonSerializer.Deserialize<IndexedResult>(line)!;
                results[indexed.Index] = indexed.Run;
            }
            if (results.Any(r => r is null)) throw new InvalidOperationException("a benchmark worker ended without all its runs.");
            return results;
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static List<string> ReadLinesShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
            if (line.EndsWith('}')) lines.Add(line);
        return lines;
    }

    // The command line of this benchmark without the options a worker must not inherit.
    private static List<string> WorkerArguments(IEnumerable<string> tokens)
    {
        var result = new List<string>();
        var skipValue = false;
        foreach (var token in tokens)
        {
            if (skipValue)
            {
                skipValue = false;
                continue;
            }
            if (token is "--output" or "--parallel" or "--worker" or "--results")
            {
                skipValue = true;
                continue;
            }
            result.Add(token);
        }
        return result;
    }

    private static Process StartWorker(List<string> arguments, string share, string resultsFile)
    {
        // Started the way this process was: through `dotnet seminas.dll` or the seminas executable.
        var host = Environment.ProcessPath!;
        var start = new ProcessStartInfo(host) { UseShellExecute = false, RedirectStandardOutput = false, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(BenchmarkCommand).Assembly.Location);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.ArgumentList.Add("--worker");
        start.ArgumentList.Add(share);
        start.ArgumentList.Add("--results");
        start.ArgumentList.Add(resultsFile);
        return Process.Start(start) ?? throw new InvalidOperationException("could not start a benchmark worker");
    }

    private sealed record IndexedResult(int Index, BenchmarkRunResult Run);

    /// <summary>A line every few seconds: runs done, elapsed time and ETA.</summary>
    private sealed class Progress(int total)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan? _last;
        private int _reported;

        public void Report(int done, BenchmarkRunResult? last)
        {
            if (done == _reported || (_last is { } last0 && _clock.Elapsed - last0 < TimeSpan.FromSeconds(2) && done < total)) return;
            _reported = done;
            _last = _clock.Elapsed;
            var eta = done == 0 ? "?" : TimeSpan.FromSeconds(_clock.Elapsed.TotalSeconds / done * (total - done)).ToString(@"hh\:mm\:ss");
            var detail = last is null ? "" : $" (last: {last.Label} budget {last.Budget} seed {last.Seed}: {last.FinalReport.ToString("0.###", CultureInfo.InvariantCulture)})";
            Console.WriteLine($"  {done}/{total} runs done, {_clock.Elapsed:hh\\:mm\\:ss} elapsed, ETA {eta}{detail}");
        }
    }
}
