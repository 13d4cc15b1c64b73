using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Engine;
using SemiNas.Host.Configuration;
using SemiNas.Host.Experiments;
using SemiNas.Host.Plugins;
using SemiNas.Host.Reporting;
using SemiNas.Storage;

namespace SemiNas.Host.Cli;

/// <summary>
/// `seminas train` and `seminas eval`: the final training of a searched architecture with the task's final
/// recipe, and the scoring of the trained model. Both need a task that implements <see cref="ITrainableTask"/>.
/// </summary>
internal static class TrainCommand
{
    public static Command CreateTrain() => Create("train",
        "Trains a trial's architecture with the task's final recipe (widths and epochs from task.options) and saves the model; resumes from its checkpoint when run again.",
        (task, architecture, context, token) => task.TrainAsync(architecture, context, token));

    public static Command CreateEval() => Create("eval",
        "Scores the model that `seminas train` saved for a trial (e.g. top-1/top-5 accuracy on the validation data).",
        (task, architecture, context, token) => task.EvaluateTrainedAsync(architecture, context, token));

    private static Command Create(string name, string description,
        Func<ITrainableTask, Architecture, TrainingContext, CancellationToken, Task<IReadOnlyDictionary<string, double>>> act)
    {
        var storeArgument = CommonOptions.Store();
        var experimentOption = CommonOptions.Experiment();
        var trialOption = new Option<string?>("--trial") { Description = "Trial number, or best (the best feasible trial; the default)." };
        var archOption = CommonOptions.Arch("An architecture of the experiment's search space to use instead of a trial's (e.g. a baseline)");
        var configOption = new Option<string?>("--config")
        {
            Description = "Experiment file to take task.options and execution from instead of the stored configuration (e.g. to change the final recipe); must name the same plugin.",
        };
        var outputOption = new Option<string?>("--output") { Description = "Model folder (default: <store folder>/<experiment>.final/<trial>, or .../arch-<tokens> with --arch; -seed<N> added with --seed)." };
        var seedOption = new Option<int?>("--seed")
        {
            Description = "Training seed instead of the experiment's, e.g. to repeat a final training with other initial weights and data order.",
        };
        var json = CommonOptions.Json();
        var plugins = CommonOptions.PluginPaths();
        var command = new Command(name, description) { storeArgument, experimentOption, trialOption, archOption, configOption, outputOption, seedOption, json, plugins };
        command.SetAction((result, cancellationToken) => CommonOptions.Guard(async () =>
        {
            using var store = ExperimentStores.OpenReadOnly(result.GetValue(storeArgument)!);
            var experiment = CommonOptions.PickExperiment(store, result.GetValue(experimentOption));
            var loaded = result.GetValue(configOption) is { } configPath ? ConfigLoader.Load(configPath) : StoredConfig(experiment);
            if (loaded.Config.Task.Plugin != experiment.Plugin)
                throw ConfigErrors.At(loaded, "task.plugin", $"the experiment was searched with plugin '{experiment.Plugin}', not '{loaded.Config.Task.Plugin}'.");

            var catalog = CommonOptions.LoadPlugins(result.GetValue(plugins) ?? [], loaded);
            using var plan = ExperimentPlan.Create(loaded, catalog, store.Location);
            if (plan.Task is not ITrainableTask trainable)
                throw new InvalidOperationException($"plugin '{experiment.Plugin}' cannot train a final model (its task does not implement ITrainableTask).");
            var target = PickTarget(store, experiment, plan.Task.Space, result.GetValue(trialOption), result.GetValue(archOption));
            if (plan.Config.Execution.Threads is { } threads) TorchSharp.torch.set_num_threads(threads);

            var seed = result.GetValue(seedOption);
            var output = Path.GetFullPath(result.GetValue(outputOption) ?? Path.Combine(store.ArtifactDirectory,
                $"{experiment.Name}.final", seed is { } s ? $"{target.Folder}-seed{s}" : target.Folder));
            Directory.CreateDirectory(output);
            using var log = new PluginLog(HostLogging.ForPlugin(plan.Plugin.Name), Path.Combine(output, $"{name}.log"));
            var asJson = result.GetValue(json);
            // With --json, standard output holds the JSON alone and the progress goes to standard error.
            var console = CommandConsole.ForCommand(name, onError: asJson);
            var context = new TrainingContext
            {
                Logger = log.Logger,
                Device = DeviceResolver.Resolve(plan.Config.Execution.Device),
                Seed = unchecked((seed ?? plan.Config.Seed) * 1_000_003 + (target.Trial ?? 0)),
                OutputDirectory = output,
                Progress = console.Stage(name == "train" ? "training" : "evaluation"),
            };
            var doing = name == "train" ? "Training" : "Evaluating";
            var clock = Stopwatch.StartNew();
            IReadOnlyDictionary<string, double> metrics;
            using (console)
            {
                // The first line starts the console (its live view, or the heartbeat in a log).
                console.WriteLine($"{doing} {target.Label} [{target.Architecture}] {plan.Task.Space.Describe(target.Architecture)} on {context.Device}; model folder {output}.");
                try
                {
                    metrics = await act(trainable, target.Architecture, context, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // The last stage ends as stopped, not done, before the note (or below, the error) is printed.
                    console.Finish(completed: false);
                    Console.WriteLine($"Interrupted; run the same command to resume from the last checkpoint in {output}.");
                    return CommonOptions.ExitInterrupted;
                }
                catch (Exception)
                {
                    console.Finish(completed: false);
                    throw;
                }
            }
            var file = Path.Combine(output, $"{name}-metrics.json");
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(metrics, JsonOutput.Options), CancellationToken.None);
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(new { trial = target.Trial, architecture = target.Architecture.ToString(), output, metrics }, JsonOutput.Options));
            }
            else
            {
                Console.WriteLine($"Done in {clock.Elapsed:hh\\:mm\\:ss}; metrics written to {file}:");
                foreach (var (key, value) in metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
                    Console.WriteLine($"  {key} = {value.ToString("0.####", CultureInfo.InvariantCulture)}");
            }
            return CommonOptions.ExitOk;
        }));
        return command;
    }

    /// <summary>What to train: a trial's architecture, or one given on the command line (no trial).</summary>
    private sealed record Target(Architecture Architecture, int? Trial, string Label, string Folder);

    private static Target PickTarget(IExperimentStore store, ExperimentRecord experiment, ISearchSpace space, string? trial, string? arch)
    {
        if (arch is null)
        {
            var record = PickTrial(store, experiment, trial ?? "best");
            var number = record.Number.ToString(CultureInfo.InvariantCulture);
            return new Target(record.Architecture, record.Number, $"trial {number}", number);
        }
        if (trial is not null) throw new ArgumentException("give --trial or --arch, not both.");
        var architecture = CommonOptions.ParseArchitecture(space, arch);
        if (!space.IsValid(architecture, out var reason))
            throw new ArgumentException($"--arch '{arch}' is not in the search space of experiment '{experiment.Name}': {reason}");
        return new Target(architecture, null, "architecture", "arch-" + string.Join('-', architecture.Tokens));
    }

    private static TrialRecord PickTrial(IExperimentStore store, ExperimentRecord experiment, string which)
    {
        var trials = store.LoadTrials(experiment.Id);
        if (which == "best")
            return TrialSummary.Of(trials, experiment.Objective).Best
                ?? throw new InvalidOperationException($"experiment '{experiment.Name}' has no complete feasible trial yet.");
        if (!int.TryParse(which, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            throw new FormatException($"--trial must be a trial number or 'best', not '{which}'.");
        var trial = trials.FirstOrDefault(t => t.Number == number)
            ?? throw new KeyNotFoundException($"experiment '{experiment.Name}' has no trial {number}; it has 1 to {trials.Count}.");
        return trial.State == TrialState.Complete ? trial
            : throw new InvalidOperationException($"trial {number} is {trial.State.ToString().ToUpperInvariant()}, not COMPLETE.");
    }

    // The configuration as stored with the experiment; relative paths resolve against where its file was.
    private static LoadedConfig StoredConfig(ExperimentRecord experiment)
    {
        var fullPath = experiment.ConfigPath ?? Path.GetFullPath($"{experiment.Name}.yaml");
        var display = $"{fullPath} (as stored with experiment '{experiment.Name}')";
        return new LoadedConfig
        {
            Config = ConfigLoader.Parse(experiment.ConfigText, display),
            FullPath = fullPath,
            Directory = Path.GetDirectoryName(fullPath)!,
            Text = experiment.ConfigText,
            DisplayPath = display,
        };
    }
}
