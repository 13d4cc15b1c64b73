using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SemiNas.Host.Benchmarks;
using SemiNas.Host.Reporting;

namespace SemiNas.Host.Cli;

/// <summary>`seminas bench controller`: speed of the SemiNAS controller against the official code's figures; `seminas bench store`: the store's cost per trial;
/// `seminas bench workers`: a search's wall time with 1, 2, 4, 8 worker processes against the linear speed-up.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var json = CommonOptions.Json();
        var threads = new Option<int>("--threads") { Description = "libtorch threads (the reference used 2).", DefaultValueFactory = _ => 2 };
        var repetitions = new Option<int>("--repetitions") { Description = "Timed repetitions after one warm-up; the median is reported.", DefaultValueFactory = _ => 3 };
        var controller = new Command("controller", "Times one training epoch, pseudo-labelling and one generation sweep of the NAS-Bench-101 controller.")
        {
            json, threads, repetitions,
        };
        controller.SetAction(result => CommonOptions.Guard(() =>
        {
            TorchSharp.torch.set_num_threads(result.GetValue(threads));
            var timings = ControllerBench.Run(result.GetValue(repetitions));
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(timings.Select(t => new
                {
                    name = t.Name, medianSeconds = t.MedianSeconds, samples = t.Samples, referenceSeconds = t.ReferenceSeconds, speedup = t.Speedup,
                    referenceSource = "the official code, PyTorch 1.13.1, 2 threads, measured once on another 2-core machine: the ratio is indicative",
                }), JsonOutput.Options));
            }
            else
            {
                Console.WriteLine($"SemiNAS controller, NAS-Bench-101 setting (V 7, L 27, H 64, MLP 2x16), {result.GetValue(threads)} thread(s), median of {result.GetValue(repetitions)}:");
                foreach (var t in timings)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {t.Name,-32} {t.MedianSeconds,8:0.000} s   official PyTorch code {t.ReferenceSeconds,7:0.000} s   {t.Speedup,5:0.0}x"));
                // The references are constants measured once, elsewhere: a ratio across machines is a hint, not a result.
                Console.WriteLine("The official code's times are fixed references, measured with PyTorch 1.13.1 on 2 threads of another " +
                    "2-core machine (docs/benchmarks.md); ratios against them are indicative only. Compare on one machine by running both there.");
            }
            return CommonOptions.ExitOk;
        }));
        return new Command("bench", "Micro-benchmarks of SemiNas's own components.") { controller, Store(), Workers() };
    }

    /// <summary>`seminas bench store [URL...]`: the store's cost per trial, against SQLite measured in the same run.</summary>
    private static Command Store()
    {
        var urls = new Argument<string[]>("stores")
        {
            Description = "Stores to measure besides a new SQLite file in the temporary folder (e.g. postgresql://USER@HOST/DATABASE; use a scratch database, each run adds an experiment to it).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var trials = new Option<int>("--trials") { Description = "Trials per measurement.", DefaultValueFactory = _ => 1000 };
        var workers = new Option<int[]>("--workers")
        {
            Description = "Worker threads, each with its own connection, claiming at once; one measurement per count.",
            DefaultValueFactory = _ => [1],
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("store", "Times claiming a trial and recording its result (evaluations that cost nothing), per trial.")
        {
            urls, trials, workers,
        };
        command.SetAction(result => CommonOptions.Guard(() =>
        {
            var count = result.GetValue(trials);
            if (count < 1) throw new FormatException("--trials must be at least 1.");
            var folder = Directory.CreateTempSubdirectory("seminas-bench-store-");
            try
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{count} trials, zero-cost evaluations; ms per trial (proposals added in batches of 10; claim and record):"));
                foreach (var n in result.GetValue(workers) ?? [1])
                {
                    if (n < 1) throw new FormatException("--workers must be at least 1.");
                    // A new file for each count, so that no measurement reads a file grown by the one before.
                    var sqlite = StoreBench.Run(Path.Combine(folder.FullName, $"bench-{n}.sqlite"), count, n);
                    Print(sqlite, sqlite);
                    foreach (var url in result.GetValue(urls) ?? []) Print(StoreBench.Run(url, count, n), sqlite);
                }
            }
            finally
            {
                folder.Delete(recursive: true);
            }
            return CommonOptions.ExitOk;
        }));
        return command;
    }

    /// <summary>`seminas bench workers [URL...]`: a search's wall time with N worker processes, against N times faster.</summary>
    private static Command Workers()
    {
        var urls = new Argument<string[]>("stores")
        {
            Description = "Stores to measure besides a new SQLite file in the temporary folder (e.g. postgresql://USER@HOST/DATABASE; use a scratch database, each run adds an experiment to it).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var trials = new Option<int>("--trials") { Description = "Trials per search (its budget).", DefaultValueFactory = _ => 32 };
        var seconds = new Option<double>("--seconds") { Description = "Wall time of each evaluation (nasbench201's simulatedSeconds).", DefaultValueFactory = _ => 0.5 };
        var workers = new Option<int[]>("--workers")
        {
            Description = "`seminas worker` processes; one search per count and store.",
            DefaultValueFactory = _ => [1, 2, 4, 8],
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("workers",
            "Times a search whose evaluations take --seconds each, proposed by `search --workers 0` and evaluated by N `seminas worker` processes, against the ideal linear speed-up.")
        {
            urls, trials, seconds, workers,
        };
        command.SetAction((result, cancellationToken) => CommonOptions.Guard(async () =>
        {
            var count = result.GetValue(trials);
            var each = result.GetValue(seconds);
            if (count < 1) throw new FormatException("--trials must be at least 1.");
            if (!(each > 0 && each <= 3600)) throw new FormatException("--seconds must be more than 0 and at most 3600.");
            var counts = result.GetValue(workers) ?? [1, 2, 4, 8];
            if (counts.Any(n => n < 1)) throw new FormatException("--workers must be at least 1.");
            var folder = Directory.CreateTempSubdirectory("seminas-bench-workers-");
            try
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{count} trials of {each} s each (nasbench201 simulatedSeconds), one `search --workers 0` and N `seminas worker` processes; ") +
                    "wall: first claim to last result; ideal: trials x seconds / N; processes: workers started to last exit.");
                Console.WriteLine($"  {"workers",7}  {"wall s",8}  {"ideal s",8}  {"efficiency",10}  {"processes s",11}  store");
                // Null: SQLite, a new file for each count, so that no measurement reads a file grown by the one before.
                foreach (var url in new string?[] { null }.Concat(result.GetValue(urls) ?? []))
                {
                    foreach (var n in counts)
                    {
                        var timing = await WorkersBench.RunAsync(url ?? Path.Combine(folder.FullName, $"bench-{n}.sqlite"), count, each, n, cancellationToken);
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"  {n,7}  {timing.WallSeconds,8:0.00}  {timing.IdealSeconds,8:0.00}  {timing.Efficiency,10:0%}  {timing.ProcessSeconds,11:0.00}  ") +
                            (url is null ? "SQLite (temporary file)" : timing.Location));
                    }
                }
            }
            finally
            {
                folder.Delete(recursive: true);
            }
            return CommonOptions.ExitOk;
        }));
        return command;
    }

    private static void Print(StoreTiming timing, StoreTiming sqlite) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {timing.Workers,2} worker(s)  add {timing.AddMillisecondsPerTrial,7:0.000}  claim+record {timing.ClaimAndRecordMillisecondsPerTrial,7:0.000}  " +
            $"({timing.ClaimAndRecordMillisecondsPerTrial / sqlite.ClaimAndRecordMillisecondsPerTrial:0.00}x SQLite)  {(ReferenceEquals(timing, sqlite) ? "SQLite (temporary file)" : timing.Location)}"));
}
