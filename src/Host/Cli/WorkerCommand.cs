using System.CommandLine;
using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Engine;
using SemiNas.Host.Configuration;
using SemiNas.Host.Experiments;
using SemiNas.Host.Plugins;
using SemiNas.Storage;

namespace SemiNas.Host.Cli;

/// <summary>
/// <c>seminas worker</c>: evaluates the trials that a <c>seminas search</c> elsewhere proposes, on this machine, from
/// the configuration the store holds. It refuses to run anything when it cannot rebuild that configuration exactly.
/// </summary>
internal static class WorkerCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    public static Command Create()
    {
        var storage = new Argument<string>("storage") { Description = "The experiment's store: a file path, sqlite:PATH or postgresql://USER@HOST:PORT/DATABASE." };
        var experimentOption = new Option<string?>("--experiment")
        {
            Description = "The experiment to work for (default: the only unfinished one in the store).",
        };
        var device = new Option<string?>("--device") { Description = "Device for this worker's evaluations (cpu, cuda, cuda:1); default: the experiment's execution.device." };
        var maxTrials = new Option<int?>("--max-trials") { Description = "Exit after evaluating this many trials." };
        var config = new Option<string?>("--config")
        {
            Description = "This machine's copy of the experiment file: its folder is where relative paths (data, pluginPaths) resolve. " +
                "Default: the stored text, resolved against the folder the file had where the search started.",
        };
        var plugins = CommonOptions.PluginPaths();
        // What `seminas search` gives the worker processes it starts itself (execution.isolation: process).
        var slots = new Option<int?>("--slots") { Description = "Evaluations at once in this worker (default: the experiment's execution.workers)." };
        var parent = new Option<int?>("--parent")
        {
            Description = "A process id: when that process is gone, the worker finishes the trials it holds, claims no more and exits.",
        };
        var poll = new Option<double?>("--poll-seconds") { Description = "How often an idle worker looks for waiting trials (default 1)." };
        var command = new Command("worker", "Evaluates waiting trials of an experiment in a shared store until it is finished; proposes nothing.")
        {
            storage, experimentOption, device, maxTrials, config, plugins, slots, parent, poll,
        };
        command.SetAction((result, cancellationToken) => CommonOptions.Guard(async () =>
        {
            if (result.GetValue(maxTrials) is < 1) throw new FormatException("--max-trials must be at least 1.");
            if (result.GetValue(slots) is < 1) throw new FormatException("--slots must be at least 1.");
            if (result.GetValue(poll) is { } p && !(p is >= 0.01 and <= 3600)) throw new FormatException("--poll-seconds must be between 0.01 and 3600.");
            var url = result.GetValue(storage)!;
            using var store = ExperimentStores.Open(url, mustExist: true);
            var experiment = PickUnfinished(store, result.GetValue(experimentOption));
            var source = StoredConfig(store, experiment, result.GetValue(config));
            var catalog = CommonOptions.LoadPlugins(result.GetValue(plugins) ?? [], source);
            using var plan = ExperimentPlan.Create(source, catalog, url, cancellationToken);
            if (plan.Search.Fingerprint != experiment.Fingerprint)
                throw new InvalidOperationException(
                    $"this machine does not reproduce experiment '{experiment.Name}' of {store.Location}, so it evaluates none of its trials. " +
                    $"Rebuilt from {source.DisplayPath} (relative paths resolved against {source.Directory}), these differ from the stored configuration:\n  " +
                    string.Join("\n  ", SearchDefinition.Differences(experiment.ConfigJson, plan.Search.ConfigJson)) +
                    "\nInstall the same plugin versions, or pass --config with this machine's copy of the experiment file.");

            var execution = plan.Config.Execution;
            if (execution.Threads is { } threads) TorchSharp.torch.set_num_threads(threads);
            var chosenDevice = result.GetValue(device);
            var settings = new RunSettings(
                result.GetValue(slots) ?? Math.Max(1, execution.Workers),
                chosenDevice is not null ? DeviceResolver.Resolve(chosenDevice, "--device") : DeviceResolver.Resolve(execution.Device),
                execution.TrialTimeoutSeconds is { } t ? TimeSpan.FromSeconds(t) : null,
                MaxAttempts: execution.MaxAttempts,
                Logging: HostLogging.Factory,
                // Without --device, the experiment's execution.devices, one per slot in turn.
                Devices: chosenDevice is null ? execution.Devices?.Select(d => DeviceResolver.Resolve(d, "execution.devices")).ToList() : null);
            Func<bool>? parentAlive = result.GetValue(parent) is { } parentId ? () => IsRunning(parentId) : null;
            ExperimentRunner.CheckInputs(plan.Search, Console.Error);

            var worker = new TrialWorker(plan.Search, store, settings, new WorkerProgress());
            Console.WriteLine($"Worker {ProcessOwner.Current} for experiment '{experiment.Name}' in {store.Location}: " +
                $"{worker.Slots} evaluation(s) at once on {string.Join(", ", Enumerable.Range(0, worker.Slots).Select(settings.DeviceOf).Distinct())}.");
            var run = await worker.RunAsync(experiment, result.GetValue(maxTrials),
                result.GetValue(poll) is { } seconds ? TimeSpan.FromSeconds(seconds) : PollInterval, cancellationToken, parentAlive);
            Console.WriteLine(run.Outcome switch
            {
                WorkerOutcome.Finished => $"Experiment '{experiment.Name}' is finished; this worker evaluated {run.Evaluated.Count} trial(s).",
                WorkerOutcome.MaxTrials => $"Evaluated {run.Evaluated.Count} trial(s) (--max-trials).",
                WorkerOutcome.ParentGone => $"The search that started this worker (--parent) is gone; it evaluated {run.Evaluated.Count} trial(s) and claims no more.",
                _ => $"Interrupted after {run.Evaluated.Count} trial(s); its trial in evaluation is waiting again.",
            });
            return run.Outcome == WorkerOutcome.Interrupted ? CommonOptions.ExitInterrupted : CommonOptions.ExitOk;
        }));
        return command;
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The named experiment, else the only unfinished one; otherwise the user must choose, from the list.</summary>
    private static ExperimentRecord PickUnfinished(IExperimentStore store, string? name)
    {
        var experiments = store.ListExperiments();
        if (name is not null) return CommonOptions.PickExperiment(store, name);
        var unfinished = experiments.Where(e => e.FinishedAt is null).ToList();
        if (unfinished.Count == 1) return unfinished[0];
        var listed = string.Join(", ", experiments.Select(e => $"{e.Name} ({(e.FinishedAt is null ? "unfinished" : "finished")})"));
        throw new KeyNotFoundException(unfinished.Count == 0
            ? $"{store.Location} holds no unfinished experiment{(experiments.Count > 0 ? $" ({listed})" : "")}; nothing to evaluate."
            : $"{store.Location} holds {unfinished.Count} unfinished experiments; choose one with --experiment: {listed}.");
    }

    /// <summary>
    /// The experiment's configuration as stored, or this machine's copy of it (<c>--config</c>). Relative paths in it
    /// resolve against the folder of the file: the copy's, else the folder the search was started from where that
    /// exists here (the same shared path on every machine), else the working directory.
    /// </summary>
    private static LoadedConfig StoredConfig(IExperimentStore store, ExperimentRecord experiment, string? configOverride)
    {
        if (configOverride is not null) return ConfigLoader.Load(configOverride);
        var display = experiment.ConfigPath ?? $"{store.Location} (experiment '{experiment.Name}')";
        var directory = Path.GetDirectoryName(experiment.ConfigPath) is { Length: > 0 } stored && Directory.Exists(stored)
            ? stored
            : Directory.GetCurrentDirectory();
        return new LoadedConfig
        {
            Config = ConfigLoader.Parse(experiment.ConfigText, display),
            FullPath = experiment.ConfigPath ?? Path.Combine(directory, $"{experiment.Name}.yaml"),
            Directory = directory,
            Text = experiment.ConfigText,
            DisplayPath = display,
        };
    }

    /// <summary>One line per result; the worker has no view of the whole search to draw.</summary>
    private sealed class WorkerProgress : ISearchObserver
    {
        public void Started(ExperimentRecord experiment, IReadOnlyList<TrialRecord> trials, int requeued)
        {
        }

        public void TrialProgress(TrialRecord trial, EvaluationProgress progress)
        {
        }

        public void TrialFinished(TrialRecord trial, IReadOnlyList<TrialRecord> trials) =>
            Console.WriteLine(trial.State == TrialState.Complete
                ? $"trial {trial.Number} complete: {trial.Objective?.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)} [{trial.Architecture}]"
                : $"trial {trial.Number} FAILED: {trial.Error?.Split('\n')[0]}");

        public void Ended(RunResult result)
        {
        }
    }
}
