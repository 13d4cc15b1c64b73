using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Engine;
using SemiNas.Host.Configuration;
using SemiNas.Host.Plugins;
using YamlDotNet.RepresentationModel;

namespace SemiNas.Host.Experiments;

/// <summary>
/// A validated experiment ready to run: the configuration with its overrides applied, the plugin's task,
/// the strategy, the constraints and the fingerprint that identifies the experiment in its store.
/// </summary>
public sealed class ExperimentPlan : IDisposable
{
    private static readonly JsonSerializerOptions FingerprintJson = new()
    {
        WriteIndented = false,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private ExperimentPlan(LoadedConfig source, ITaskPlugin plugin, object taskOptions, ISearchTask task,
        IStrategyFactory strategy, object strategyOptions, string storePath)
    {
        Source = source;
        Plugin = plugin;
        TaskOptions = taskOptions;
        Task = task;
        Strategy = strategy;
        StrategyOptions = strategyOptions;
        StorePath = storePath;
        var configJson = BuildIdentity().ToJsonString(FingerprintJson);
        Search = new SearchDefinition
        {
            Name = Config.Name,
            PluginName = plugin.Name,
            Task = task,
            Strategy = strategy,
            StrategyOptions = strategyOptions,
            Constraints = ToConstraints(Config.Constraints),
            Seed = Config.Seed,
            Budget = Config.Search.Budget,
            ConfigJson = configJson,
            Fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(configJson))),
            ConfigText = source.Text,
            ConfigPath = source.FullPath,
        };
    }

    public LoadedConfig Source { get; }

    public ExperimentConfig Config => Source.Config;

    public ITaskPlugin Plugin { get; }

    public object TaskOptions { get; }

    public ISearchTask Task { get; }

    public IStrategyFactory Strategy { get; }

    public object StrategyOptions { get; }

    /// <summary>What the search loop runs: the task, the strategy, the constraints and the experiment's identity.</summary>
    public SearchDefinition Search { get; }

    public Constraints Constraints => Search.Constraints;

    public string StorePath { get; }

    /// <summary>
    /// Binds the plugin and strategy options and checks everything that can be checked before a search starts.
    /// Configuration mistakes are <see cref="ConfigException"/>s that point at the offending key.
    /// </summary>
    public static ExperimentPlan Create(LoadedConfig source, PluginCatalog catalog, string? storePathOverride = null,
        CancellationToken cancellationToken = default) =>
        Create(source, FindPlugin(catalog, source.Config.Task.Plugin, source.Text, source.DisplayPath), catalog, storePathOverride, cancellationToken);

    /// <summary>The plugin a file names at <c>task.plugin</c> (an experiment or a benchmark file).</summary>
    internal static ITaskPlugin FindPlugin(PluginCatalog catalog, string name, string text, string displayPath)
    {
        try
        {
            return catalog.Get(name);
        }
        catch (KeyNotFoundException e)
        {
            throw ConfigErrors.At(text, displayPath, "task.plugin", e.Message);
        }
    }

    /// <summary>
    /// The strategy a file names at <paramref name="keyPath"/><c>.strategy</c>, with its options from
    /// <paramref name="keyPath"/><c>.options</c> bound and validated: <c>search</c> in an experiment file, a run or a
    /// predictor variant in a benchmark file.
    /// </summary>
    internal static (IStrategyFactory Factory, object Options) BindStrategy(PluginCatalog catalog, string name, YamlMappingNode? options,
        string text, string displayPath, string keyPath)
    {
        IStrategyFactory factory;
        try
        {
            factory = catalog.GetStrategy(name);
        }
        catch (KeyNotFoundException e)
        {
            throw ConfigErrors.At(text, displayPath, $"{keyPath}.strategy", e.Message);
        }
        return (factory, YamlBinder.Bind(factory.OptionsType, options, displayPath, $"{keyPath}.options"));
    }

    /// <summary>The plugin's options bound from <c>task.options</c> and the task it creates from them.</summary>
    internal static (object Options, ISearchTask Task) BindTask(ITaskPlugin plugin, TaskConfig config, string text, string displayPath,
        string configDirectory, int seed, CancellationToken cancellationToken)
    {
        var options = YamlBinder.Bind(plugin.OptionsType, config.Options, displayPath, "task.options");
        return (options, CreateTask(plugin, options, text, displayPath, configDirectory, seed, cancellationToken));
    }

    /// <summary>For a plugin created in code: the strategy is one of the host's own.</summary>
    public static ExperimentPlan Create(LoadedConfig source, ITaskPlugin plugin, string? storePathOverride = null,
        CancellationToken cancellationToken = default) =>
        Create(source, plugin, PluginCatalog.FromAssemblies([]), storePathOverride, cancellationToken);

    private static ExperimentPlan Create(LoadedConfig source, ITaskPlugin plugin, PluginCatalog strategies,
        string? storePathOverride, CancellationToken cancellationToken)
    {
        var config = source.Config;
        var (strategy, strategyOptions) = BindStrategy(strategies, config.Search.Strategy, config.Search.Options, source.Text, source.DisplayPath, "search");
        var (taskOptions, task) = BindTask(plugin, config.Task, source.Text, source.DisplayPath, source.Directory, config.Seed, cancellationToken);
        try
        {
            CheckMetrics(source, task);
            var storePath = storePathOverride ?? config.Storage.Url ?? config.Storage.Path ?? Path.Combine("experiments", $"{config.Name}.sqlite");
            return new ExperimentPlan(source, plugin, taskOptions, task, strategy, strategyOptions, storePath);
        }
        catch
        {
            task.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Asks the plugin for its task. What goes wrong there is named with the plugin: a
    /// <see cref="TaskConfigurationException"/> is a configuration error at the option it names, anything else a
    /// failure of the plugin while creating its task.
    /// </summary>
    private static ISearchTask CreateTask(ITaskPlugin plugin, object options, string configText, string displayPath,
        string configDirectory, int seed, CancellationToken cancellationToken)
    {
        var context = new TaskCreationContext
        {
            ConfigDirectory = configDirectory,
            Seed = seed,
            Logger = HostLogging.ForPlugin(plugin.Name),
            CancellationToken = cancellationToken,
        };
        try
        {
            return plugin.CreateTask(options, context);
        }
        catch (TaskConfigurationException e)
        {
            var key = e.Option is { Length: > 0 } option ? $"task.options.{option}" : "task.options";
            throw ConfigErrors.At(configText, displayPath, key, $"plugin '{plugin.Name}': {e.Message}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new PluginFailureException(
                $"plugin '{plugin.Name}' failed while creating its task: {e.GetType().Name}: {e.Message}", e);
        }
    }

    /// <summary>Checks a <c>constraints</c> section (of an experiment or a benchmark file) against the task's metrics.</summary>
    internal static void CheckConstraints(IReadOnlyDictionary<string, BoundConfig> constraints, ISearchTask task, string text, string displayPath)
    {
        var metrics = task.Metrics.Select(m => m.Name).ToList();
        foreach (var (name, bound) in constraints)
        {
            if (!metrics.Contains(name))
                throw ConfigErrors.At(text, displayPath, $"constraints.{name}",
                    $"the task has no metric '{name}'; its metrics are {string.Join(", ", metrics)}.");
            if (bound.Min is null && bound.Max is null)
                throw ConfigErrors.At(text, displayPath, $"constraints.{name}", "give at least one of min and max.");
            if (bound.Min > bound.Max)
                throw ConfigErrors.At(text, displayPath, $"constraints.{name}", $"min {bound.Min} is larger than max {bound.Max}.");
        }
    }

    /// <summary>The bounds of a configuration's <c>constraints</c> section, as the search loop applies them.</summary>
    public static Constraints ToConstraints(IReadOnlyDictionary<string, BoundConfig> bounds) =>
        new(bounds.ToDictionary(b => b.Key, b => new MetricBound(b.Value.Min, b.Value.Max), StringComparer.Ordinal));

    /// <summary>
    /// Releases the task. A plugin that throws here is reported, not rethrown: by then the results are recorded, and a
    /// finished search must not end with an error because of the clean-up.
    /// </summary>
    public void Dispose()
    {
        try
        {
            Task.Dispose();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"warning: plugin '{Plugin.Name}' failed while releasing its task: {e.GetType().Name}: {e.Message}");
        }
    }

    private JsonObject BuildIdentity() => new()
    {
        ["schemaVersion"] = Config.SchemaVersion,
        ["name"] = Config.Name,
        ["seed"] = Config.Seed,
        ["task"] = new JsonObject
        {
            ["plugin"] = Plugin.Name,
            ["options"] = JsonSerializer.SerializeToNode(TaskOptions, TaskOptions.GetType(), FingerprintJson),
        },
        ["search"] = new JsonObject
        {
            ["strategy"] = Strategy.Name,
            ["budget"] = Config.Search.Budget,
            ["options"] = JsonSerializer.SerializeToNode(StrategyOptions, StrategyOptions.GetType(), FingerprintJson),
        },
        ["constraints"] = JsonSerializer.SerializeToNode(
            Config.Constraints.OrderBy(c => c.Key, StringComparer.Ordinal).ToDictionary(c => c.Key, c => c.Value), FingerprintJson),
    };

    private static void CheckMetrics(LoadedConfig source, ISearchTask task)
    {
        CheckConstraints(source.Config.Constraints, task, source.Text, source.DisplayPath);
        var metrics = task.Metrics.ToDictionary(m => m.Name, StringComparer.Ordinal);
        if (!metrics.TryGetValue(task.Objective.Metric, out var objective) || objective.Cheap)
            throw new InvalidOperationException(
                $"Plugin error: the objective '{task.Objective.Metric}' must be one of the task's evaluated metrics.");
    }
}
