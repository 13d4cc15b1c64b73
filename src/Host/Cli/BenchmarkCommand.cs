using System.CommandLine;
using System.Globalization;
using SemiNas.Benchmarks;
using SemiNas.Contracts;
using SemiNas.Controller;
using SemiNas.Controller.Strategies;
using SemiNas.Core;
using SemiNas.Core.Strategies;
using SemiNas.Host.Benchmarks;
using SemiNas.Host.Configuration;
using SemiNas.Host.Experiments;
using SemiNas.Host.Plugins;
using YamlDotNet.RepresentationModel;

namespace SemiNas.Host.Cli;

internal static class BenchmarkCommand
{
    private sealed record Job(int Entry, string Label, IStrategyFactory Factory, object Options, int[] Budgets, int Seed)
    {
        public int Budget => Budgets.Max();
    }

    public static Command Create()
    {
        var config = new Argument<string>("config") { Description = "Benchmark YAML file (see configs/benchmarks)." };
        var seeds = new Option<int?>("--seeds") { Description = "Overrides seeds." };
        var seedOffset = new Option<int?>("--seed-offset") { Description = "Overrides seedOffset: seeds run from offset+1." };
        var output = new Option<string?>("--output") { Description = "Output folder (default benchmarks/<name>)." };
        var parallel = new Option<int?>("--parallel") { Description = "Overrides parallelism (runs at once)." };
        var plugins = CommonOptions.PluginPaths();
        var worker = new Option<string?>("--worker") { Description = "Internal: run the jobs listed in this file and write them to --results.", Hidden = true };
        var resultsFile = new Option<string?>("--results") { Description = "Internal: where a worker writes its runs (JSON lines).", Hidden = true };
        var check = new Option<bool>("--check") { Description = "Checks the file (plugin, options, metric) and says what would run, without running it." };
        var command = new Command("benchmark",
            "Runs strategies x seeds x budgets on a tabular task, or a predictor-quality study, and writes summary.json, table.md, runs.csv and plots.")
        {
            config, seeds, seedOffset, output, parallel, plugins, worker, resultsFile, check,
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
            var plugin = ExperimentPlan.FindPlugin(catalog, benchmark.Task.Plugin, text, path);
            var (taskOptions, task) = ExperimentPlan.BindTask(plugin, benchmark.Task, text, path, directory, seed: 0, cancellationToken);
            using var disposeTask = task;
            // One libtorch thread per run, in process or in a worker: results depend on the thread count (float
            // summation order), so a run gives the same numbers however the benchmark is spread over cores.
            TorchSharp.torch.set_num_threads(1);
            var seedList = Enumerable.Range(benchmark.SeedOffset + 1, benchmark.Seeds).ToList();
            var outputDirectory = result.GetValue(output) ?? Path.Combine("benchmarks", benchmark.Name);
            var runner = new JobRunner(result.GetValue(worker), result.GetValue(resultsFile),
                Math.Max(1, benchmark.Parallelism > 0 ? benchmark.Parallelism : Environment.ProcessorCount),
                WorkerArguments(result.Tokens.Select(t => t.Value)));

            if (benchmark.Predictor is { } study)
            {
                var variants = study.Variants.Select((v, i) => new PredictorBenchmark.Variant(v.Label,
                    BindSemiNasOptions(catalog, v.Strategy, v.Options, text, path, $"predictor.variants[{i}]"))).ToList();
                // Seed innermost: workers take every k-th job, so each gets its share of every (costly or cheap) variant.
                var studyJobs = (from n in study.Labelled from variant in variants from seed in seedList select (variant, n, seed)).ToList();
                if (!runner.IsWorker)
                    Console.WriteLine($"Predictor study '{benchmark.Name}': {studyJobs.Count} trainings on {plugin.Name}, {Math.Min(runner.Parallelism, studyJobs.Count)} at a time.");
                if (result.GetValue(check)) return CommonOptions.ExitOk;
                var studyFingerprint = Fingerprint(benchmark.Task.Plugin, taskOptions, study.HeldOut, variants.Select(v => new { v.Label, v.Options }));
                var studyResults = await runner.RunAsync(studyJobs.Select(j => $"{variants.IndexOf(j.variant)}|{j.variant.Label}|{j.n}|{j.seed}").ToList(), outputDirectory, studyFingerprint,
                    (i, token) => PredictorBenchmark.RunAsync(studyJobs[i].variant, study, task, studyJobs[i].n, studyJobs[i].seed, token),
                    r => $"{r.Label} N {r.Labelled} seed {r.Seed}: tau {r.KendallTau.ToString("0.###", CultureInfo.InvariantCulture)}",
                    cancellationToken);
                if (runner.IsWorker) return CommonOptions.ExitOk;
                var studyGroups = PredictorBenchmark.Summarise(studyResults);
                PredictorBenchmark.Write(outputDirectory, benchmark, task.Objective.Metric, studyGroups, studyResults);
                Console.WriteLine();
                Console.Write(PredictorBenchmark.Table(benchmark, task.Objective.Metric, studyGroups));
                Console.WriteLine($"\nWrote summary.json, table.md, runs.csv and predictor.png to {outputDirectory}.");
                return CommonOptions.ExitOk;
            }

            if (task.Metrics.All(m => m.Name != benchmark.ReportMetric))
                throw ConfigErrors.At(text, path, "reportMetric",
                    $"the task has no metric '{benchmark.ReportMetric}'; its metrics are {string.Join(", ", task.Metrics.Select(m => m.Name))}.");
            var jobs = new List<Job>();
            for (var i = 0; i < benchmark.Runs.Count; i++)
            {
                var run = benchmark.Runs[i];
                var (factory, options) = ExperimentPlan.BindStrategy(catalog, run.Strategy, run.Options, text, path, $"runs[{i}]");
                // One run per seed at the largest budget; the smaller budgets are its prefixes (BenchmarkRunResult.AtBudget).
                jobs.AddRange(seedList.Select(seed => new Job(i, run.Label ?? factory.Name, factory, options, run.Budgets.ToArray(), seed)));
            }

            ExperimentPlan.CheckConstraints(benchmark.Constraints, task, text, path);
            var reference = await BenchmarkRun.FindReferenceAsync(task, benchmark.ReportMetric, cancellationToken);
            var target = new BenchmarkRun.Target(task, plugin.Name, ExperimentPlan.ToConstraints(benchmark.Constraints), benchmark.ReportMetric, reference);
            if (!runner.IsWorker)
                Console.WriteLine($"Benchmark '{benchmark.Name}': {jobs.Count} runs on {plugin.Name}, {Math.Min(runner.Parallelism, jobs.Count)} at a time" +
                    (reference is { } r ? $"; oracle {benchmark.ReportMetric} {r.Oracle.ToString("0.####", CultureInfo.InvariantCulture)} " +
                        $"(best by {task.Objective.Metric}: {r.OracleDescription}), best in the table {r.BestReportInSpace.ToString("0.####", CultureInfo.InvariantCulture)}." : "."));
            if (result.GetValue(check)) return CommonOptions.ExitOk;
            // "oracle": runs record when their pick became the oracle; journals from before that are not reused.
            var fingerprint = Fingerprint("oracle", benchmark.Task.Plugin, taskOptions, benchmark.ReportMetric,
                benchmark.Runs.Select((r, i) => new { r.Label, r.Strategy, r.Budgets, Options = jobs.First(j => j.Entry == i).Options }),
                benchmark.Constraints.OrderBy(c => c.Key, StringComparer.Ordinal).ToList());
            var results = await runner.RunAsync(jobs.Select(j => $"{j.Entry}|{j.Label}|{j.Budget}|{j.Seed}").ToList(), outputDirectory, fingerprint,
                (i, token) => BenchmarkRun.RunAsync(jobs[i].Label, jobs[i].Factory, jobs[i].Options, target, jobs[i].Budget, jobs[i].Seed, token),
                r => $"{r.Label} budget {r.Budget} seed {r.Seed}: {r.FinalReport.ToString("0.###", CultureInfo.InvariantCulture)}",
                cancellationToken);
            if (runner.IsWorker) return CommonOptions.ExitOk;

            results = results.SelectMany((r, i) => jobs[i].Budgets.Distinct().Select(r.AtBudget)).ToArray();
            var groups = results.GroupBy(r => (r.Label, r.Budget)).Select(g => BenchmarkGroup.Of(g.ToList()))
                .OrderBy(g => g.Budget).ThenByDescending(g => g.Mean).ToList();
            BenchmarkReport.Write(outputDirectory, benchmark, task.Objective.Metric, reference, groups, results);
            Console.WriteLine();
            Console.Write(BenchmarkReport.Table(benchmark, task.Objective.Metric, reference, groups));
            Console.WriteLine($"\nWrote summary.json, table.md, runs.csv, curves-*.png and objective-*.png to {outputDirectory}.");
            return CommonOptions.ExitOk;
        }));
        return command;
    }

    /// <summary>What the journal's results depend on: a new fingerprint means the runs so far no longer apply.</summary>
    private static string Fingerprint(params object[] parts) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(parts.Select(p => (object?)p).ToArray()))))[..16];

    private static SemiNasOptions BindSemiNasOptions(PluginCatalog catalog, string strategy, YamlMappingNode? options, string text, string path, string keyPath)
    {
        var (_, bound) = ExperimentPlan.BindStrategy(catalog, strategy, options, text, path, keyPath);
        return bound as SemiNasOptions
            ?? throw ConfigErrors.At(text, path, $"{keyPath}.strategy", $"'{strategy}' has no predictor; use seminas or nao.");
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
}
