using System.Diagnostics;
using System.Globalization;
using SemiNas.Core;
using SemiNas.Host.Configuration;
using SemiNas.Host.Experiments;
using SemiNas.Host.Plugins;
using SemiNas.Storage;

namespace SemiNas.Host.Benchmarks;

/// <summary>One search's wall time with a given number of worker processes.</summary>
/// <param name="WallSeconds">From the first claim to the last result, by the store's clock.</param>
/// <param name="IdealSeconds">Trials × seconds per evaluation / workers: the linear speed-up with no overhead.</param>
/// <param name="ProcessSeconds">From starting the workers to the last process's exit: start-up and shut-down included.</param>
public sealed record WorkersTiming(string Location, int Trials, double EvaluationSeconds, int Workers, double WallSeconds, double IdealSeconds, double ProcessSeconds)
{
    public double Efficiency => IdealSeconds / WallSeconds;
}

/// <summary>
/// The scale-out arrangement timed end to end: a NAS-Bench-201 random search whose every evaluation takes
/// <c>simulatedSeconds</c> of wall time, proposed by <c>seminas search --workers 0</c> and evaluated by N
/// <c>seminas worker</c> processes, as docs/scale-out.md runs them. What it measures beyond the evaluations is the
/// arrangement's overhead: claims and results through the store, the workers' polling when nothing waits, and the
/// proposer keeping one trial more waiting than workers are busy.
/// </summary>
public static class WorkersBench
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);

    public static async Task<WorkersTiming> RunAsync(string location, int trials, double seconds, int workers, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("seminas-bench-workers-");
        try
        {
            var name = $"bench-workers-{workers}-{DateTimeOffset.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid():N}"[..44];
            var configPath = Path.Combine(folder.FullName, name + ".yaml");
            await File.WriteAllTextAsync(configPath, Config(name, trials, seconds), cancellationToken);
            var experimentId = CreateExperiment(configPath, location);

            var processes = new List<Child>();
            try
            {
                // The workers first, each ready (its banner printed) before anything is proposed, so that the clock
                // measures the search and not how long N processes take to start on this machine.
                var (childLocation, environment) = ExperimentStores.ForChildProcess(location);
                var started = Stopwatch.StartNew();
                for (var w = 0; w < workers; w++) processes.Add(Child.Start(folder.FullName, environment, "worker", childLocation, "--experiment", name));
                foreach (var worker in processes) await worker.Ready.WaitAsync(Limit, cancellationToken);
                processes.Add(Child.Start(folder.FullName, environment, "search", configPath, "--storage", childLocation, "--workers", "0"));
                foreach (var process in processes) await process.ExitAsync(Limit, cancellationToken);
                started.Stop();

                using var store = ExperimentStores.OpenReadOnly(location);
                var recorded = store.LoadTrials(experimentId);
                var complete = recorded.Count(t => t.State == TrialState.Complete);
                if (complete != trials) throw new InvalidOperationException($"{store.Location}: {complete} of {trials} trials were recorded complete.");
                var first = store.LoadAttempts(experimentId).Min(a => a.StartedAt);
                var last = recorded.Max(t => t.FinishedAt!.Value);
                return new WorkersTiming(store.Location, trials, seconds, workers, (last - first).TotalSeconds, trials * seconds / workers,
                    started.Elapsed.TotalSeconds);
            }
            finally
            {
                foreach (var process in processes) process.Dispose();
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static string Config(string name, int trials, double seconds) => string.Create(CultureInfo.InvariantCulture, $"""
        # seminas bench workers: every evaluation is a table lookup made to take {seconds} s of wall time.
        schemaVersion: 1
        name: {name}
        seed: 1
        task:
          plugin: nasbench201
          options:
            dataset: cifar10-valid
            simulatedSeconds: {seconds}
        search:
          strategy: random
          budget: {trials}
        execution:
          workers: 1
          device: cpu
        """);

    /// <summary>
    /// Records the experiment as the proposer's first start would (same fields, from the same plan), so that workers
    /// can start before it: the proposer then finds it with its own fingerprint and goes on as on any resume.
    /// </summary>
    private static long CreateExperiment(string configPath, string location)
    {
        var loaded = ConfigLoader.Load(configPath);
        using var plan = ExperimentPlan.Create(loaded, PluginCatalog.Discover([]), location);
        using var store = ExperimentStores.Open(location);
        return store.CreateExperiment(plan.Search.NewExperiment()).Id;
    }

    /// <summary>A <c>seminas</c> process started the way this one was; its output is kept for an error message.</summary>
    private sealed class Child : IDisposable
    {
        private readonly Process _process;
        private readonly Queue<string> _lines = new();
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly string _command;

        private Child(Process process, string command)
        {
            _process = process;
            _command = command;
        }

        /// <summary>Done once a worker has printed its banner, after which it claims whatever waits.</summary>
        public Task Ready => _ready.Task;

        public static Child Start(string directory, IReadOnlyDictionary<string, string> environment, params string[] args)
        {
            var host = LocalWorkerProcesses.HostCommand();
            var start = new ProcessStartInfo(host[0])
            {
                UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory,
            };
            foreach (var (name, value) in environment) start.Environment[name] = value;
            foreach (var arg in host.Skip(1).Concat(args)) start.ArgumentList.Add(arg);
            var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start seminas {args[0]}");
            var child = new Child(process, $"seminas {args[0]} (pid {process.Id})");
            process.OutputDataReceived += (_, e) => child.Keep(e.Data);
            process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
            if (args[0] == "worker")
            {
                process.Exited += (_, _) => child._ready.TrySetException(child.Failure("ended before it was ready"));
                process.EnableRaisingEvents = true;
            }
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return child;
        }

        public async Task ExitAsync(TimeSpan limit, CancellationToken cancellationToken)
        {
            try
            {
                await _process.WaitForExitAsync(cancellationToken).WaitAsync(limit, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw Failure($"did not end within {limit.TotalMinutes} minutes");
            }
            _process.WaitForExit(); // the last lines of output
            if (_process.ExitCode != 0) throw Failure($"exited with {_process.ExitCode}");
        }

        private void Keep(string? line)
        {
            if (line is null) return;
            if (line.StartsWith("Worker ", StringComparison.Ordinal)) _ready.TrySetResult();
            lock (_lines)
            {
                _lines.Enqueue(line);
                if (_lines.Count > 20) _lines.Dequeue();
            }
        }

        private InvalidOperationException Failure(string what)
        {
            lock (_lines) return new InvalidOperationException($"{_command} {what}:\n  {string.Join("\n  ", _lines)}");
        }

        public void Dispose()
        {
            // A run that failed or was cancelled leaves nothing behind to load the machine.
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }
}
