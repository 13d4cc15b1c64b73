using System.CommandLine;
using SemiNas.Contracts;
using SemiNas.Engine;
using SemiNas.Host.Configuration;
using SemiNas.Host.Experiments;
using SemiNas.Host.Plugins;
using SemiNas.Host.Reporting;
using SemiNas.Storage;

namespace SemiNas.Host.Cli;

internal static class SearchCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var storage = new Option<string?>("--storage") { Description = "Store: a file path, sqlite:PATH or postgresql://USER@HOST:PORT/DATABASE; overrides storage.url." };
        var seed = new Option<int?>("--seed") { Description = "Overrides seed (a different seed is a different experiment)." };
        var workers = new Option<int?>("--workers") { Description = "Overrides execution.workers; 0 only proposes, for `seminas worker` processes to evaluate." };
        var budget = new Option<int?>("--budget")
        {
            Description = "A new budget for the experiment in the store: more trials for a finished or running search, which goes on from its saved strategy state. The file's search.budget still sets the first run's.",
        };
        var fork = new Option<bool>("--fork")
        {
            Description = "When the store holds this experiment with another configuration, start a new experiment beside it instead of refusing.",
        };
        var plugins = CommonOptions.PluginPaths();
        var command = new Command("search", "Runs (or resumes) the search an experiment file describes.")
        {
            config, storage, seed, workers, budget, fork, plugins,
        };
        command.SetAction((result, cancellationToken) => CommonOptions.Guard(async () =>
        {
            var loaded = ConfigLoader.Load(result.GetValue(config)!);
            if (result.GetValue(seed) is { } s) loaded.Config.Seed = s;
            if (result.GetValue(workers) is { } w)
            {
                if (w < 0) throw new FormatException("--workers must be 0 (only propose; `seminas worker` evaluates) or more.");
                loaded.Config.Execution.Workers = w;
            }
            var catalog = CommonOptions.LoadPlugins(result.GetValue(plugins) ?? [], loaded);
            using var plan = ExperimentPlan.Create(loaded, catalog, result.GetValue(storage));
            var execution = plan.Config.Execution;
            if (execution.Threads is { } threads) TorchSharp.torch.set_num_threads(threads);
            var devices = execution.Devices?.Select(d => DeviceResolver.Resolve(d, $"{loaded.DisplayPath}: execution.devices")).ToList();
            var settings = new RunSettings(
                execution.Workers,
                devices?[0] ?? DeviceResolver.Resolve(execution.Device),
                execution.TrialTimeoutSeconds is { } t ? TimeSpan.FromSeconds(t) : null,
                result.GetValue(fork),
                result.GetValue(budget) is { } b ? (b >= 1 ? b : throw new FormatException("--budget must be at least 1.")) : null,
                execution.MaxAttempts,
                HostLogging.Factory,
                devices,
                execution.FeedWorkers);

            using var store = ExperimentStores.Open(plan.StorePath);
            using var progress = new ConsoleProgress(Console.Out, !Console.IsOutputRedirected, plan.Task.Objective, store);
            var inProcess = InProcess(execution, plan, loaded.DisplayPath, seedOverridden: result.GetValue(seed) is not null);
            using var processes = inProcess ? null : new LocalWorkerProcesses(store, plan.StorePath,
                plan.Task.ConcurrentEvaluations ? execution.Workers : 1,
                devices ?? [settings.Device],
                WorkerArguments(loaded, result.GetValue(plugins) ?? []),
                execution.MaxAttempts, Console.Error);
            var runner = new ExperimentRunner(plan.Search, store, settings, progress, processes);
            if (processes is not null)
                Console.Error.WriteLine($"note: {processes.Count} `seminas worker` process(es) evaluate the trials (execution.isolation: " +
                    $"{ConfigNames.EnumValueName(typeof(Isolation), execution.Isolation.ToString())}); their logs are in " +
                    $"{Path.Combine(store.ArtifactDirectory, $"{plan.Search.Name}.trials", "workers")}.");
            else if (runner.Workers == 0)
                Console.Error.WriteLine($"note: this search only proposes; start `seminas worker {store.Location}` to evaluate its trials.");
            if (runner.Workers < settings.Workers && execution.Workers > 1 && !plan.Task.ConcurrentEvaluations)
                Console.Error.WriteLine($"note: plugin '{plan.Plugin.Name}' runs one evaluation at a time (its task does not allow " +
                    $"overlapping evaluations), so execution.workers {settings.Workers} is reduced to 1.");
            var run = await runner.RunAsync(cancellationToken);
            PrintResult(run, plan, store.Location);
            return run.Outcome == RunOutcome.Interrupted ? CommonOptions.ExitInterrupted : CommonOptions.ExitOk;
        }));
        return command;
    }

    /// <summary>
    /// Whether the search evaluates in its own process (execution.isolation), rather than in local worker processes:
    /// inProcess, or auto for a task that asks for it (table lookups); never when it only proposes.
    /// </summary>
    private static bool InProcess(ExecutionConfig execution, ExperimentPlan plan, string file, bool seedOverridden)
    {
        if (execution.Workers == 0) return true;
        var placement = plan.Task as IInProcessEvaluation;
        switch (execution.Isolation)
        {
            case Isolation.InProcess:
                return true;
            case Isolation.Process when placement is { Required: true }:
                throw new ConfigException(file, 0, 0, "execution.isolation",
                    $"'process' is not possible for plugin '{plan.Plugin.Name}' with these options: {placement.Reason}. Use auto or inProcess.");
            case Isolation.Auto when placement is { Preferred: true }:
                return true;
        }
        if (seedOverridden)
        {
            // A worker rebuilds the experiment from its file, which has the other seed.
            Console.Error.WriteLine("note: --seed changes the experiment's file, so its trials are evaluated in this process, not in worker processes.");
            return true;
        }
        return false;
    }

    /// <summary>What a local worker needs besides the store to rebuild this experiment: the same file and plugin folders.</summary>
    private static List<string> WorkerArguments(LoadedConfig loaded, IEnumerable<string> pluginPaths)
    {
        // Their console is their log file: it gets what this search's console would (--verbosity).
        var arguments = new List<string> { "--config", loaded.FullPath, "--verbosity", HostLogging.Minimum.ToString() };
        foreach (var path in pluginPaths) arguments.AddRange(["--plugins", Path.GetFullPath(path)]);
        return arguments;
    }

    private static void PrintResult(RunResult run, ExperimentPlan plan, string storePath)
    {
        var summary = TrialSummary.Of(run.Trials, run.Experiment.Objective);
        switch (run.Outcome)
        {
            case RunOutcome.AlreadyFinished:
                Console.WriteLine($"Experiment '{run.Experiment.Name}' already finished: {summary.Finished} of {run.Experiment.Budget} trials are recorded in {storePath}.");
                break;
            case RunOutcome.Interrupted:
                Console.WriteLine($"Interrupted: {summary.Finished} of {run.Experiment.Budget} trials are recorded in {storePath}. Run the same command to resume.");
                break;
            default:
                Console.WriteLine($"Finished: {summary.Complete} complete, {summary.Failed} failed, stored in {storePath}.");
                break;
        }
        if (summary.Best is { } best)
        {
            Console.WriteLine($"Best trial {best.Number}: [{best.Architecture}] {best.Description}");
            MetricFormat.WriteMetrics(Console.Out, best);
        }
    }
}
