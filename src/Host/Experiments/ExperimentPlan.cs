using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SemiNas.Contracts;
using SemiNas.Controller;
using SemiNas.Core;
using SemiNas.Host.Configuration;
using SemiNas.Host.Plugins;

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
        Constraints = new Constraints(Config.Constraints);
        ConfigJson = BuildIdentity().ToJsonString(FingerprintJson);
        Fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ConfigJson)));
    }

    public LoadedConfig Source { get; }

    public ExperimentConfig Config => Source.Config;

    public ITaskPlugin Plugin { get; }

    public object TaskOptions { get; }

    public ISearchTask Task { get; }

    public IStrategyFactory Strategy { get; }

    public object StrategyOptions { get; }

    public Constraints Constraints { get; }

    public string StorePath { get; }

    /// <summary>Everything that decides the experiment's results, as JSON (workers and storage excluded).</summary>
    public string ConfigJson { get; }

    public string Fingerprint { get; }

    /// <summary>
    /// Binds the plugin and strategy options and checks everything that can be checked before a search starts.
    /// Configuration mistakes are <see cref="ConfigException"/>s that point at the offending key.
    /// </summary>
    public static ExperimentPlan Create(LoadedConfig source, PluginCatalog catalog, string? storePathOverride = null,
        CancellationToken cancellationToken = default)
    {
        ITaskPlugin plugin;
        try
        {
            plugin = catalog.Get(source.Config.Task.Plugin);
        }
        catch (KeyNotFoundException e)
        {
            throw ConfigErrors.At(source, "task.plugin", e.Message);
        }
        return Create(source, plugin, catalog, storePathOverride, cancellationToken);
    }

    /// <summary>For a plugin created in code: the strategy is one of the host's own.</summary>
    public static ExperimentPlan Create(LoadedConfig source, ITaskPlugin plugin, string? storePathOverride = null,
        CancellationToken cancellationToken = default) =>
        Create(source, plugin, PluginCatalog.FromAssemblies([]), storePathOverride, cancellationToken);

    private static ExperimentPlan Create(LoadedConfig source, ITaskPlugin plugin, PluginCatalog strategies,
        string? storePathOverride, CancellationToken cancellationToken)
    {
        var config = source.Config;
        IStrategyFactory strategy;
        try
        {
            strategy = strategies.GetStrategy(config.Search.Strategy);
        }
        catch (KeyNotFoundException e)
        {
            throw ConfigErrors.At(source, "search.strategy", e.Message);
        }

        var taskOptions = YamlBinder.Bind(plugin.OptionsType, config.Task.Options, source.DisplayPath, "task.options");
        var strategyOptions = YamlBinder.Bind(strategy.OptionsType, config.Search.Options, source.DisplayPath, "search.options");
        var task = CreateTask(plugin, taskOptions, source.Text, source.DisplayPath, source.Directory, config.Seed, cancellationToken);
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
    internal static ISearchTask CreateTask(ITaskPlugin plugin, object options, string configText, string displayPath,
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

    /// <summary>The configuration's key paths whose values differ from another plan's, for a clear refusal message.</summary>
    public static IReadOnlyList<string> Differences(string storedJson, string currentJson)
    {
        var before = Flatten(JsonNode.Parse(storedJson));
        var after = Flatten(JsonNode.Parse(currentJson));
        return before.Keys.Union(after.Keys).Order(StringComparer.Ordinal)
            .Where(key => before.GetValueOrDefault(key) != after.GetValueOrDefault(key))
            .Select(key => $"{key}: {before.GetValueOrDefault(key) ?? "(absent)"} -> {after.GetValueOrDefault(key) ?? "(absent)"}")
            .ToList();
    }

    /// <summary>True when the architecture is valid and within the constraints on cheap metrics.</summary>
    public bool IsAdmissible(Architecture architecture) =>
        Task.Space.IsValid(architecture, out _) && Constraints.FindViolation(CheapMetrics(architecture)) is null;

    /// <summary>The task's cheap metrics; a plugin that throws here is named with the architecture it failed on.</summary>
    public IReadOnlyDictionary<string, double> CheapMetrics(Architecture architecture)
    {
        try
        {
            return Task.CheapMetrics(architecture);
        }
        catch (Exception e)
        {
            throw new PluginFailureException(
                $"plugin '{Plugin.Name}' failed in CheapMetrics for [{architecture}]: {e.GetType().Name}: {e.Message}", e);
        }
    }

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
        var metrics = task.Metrics.ToDictionary(m => m.Name, StringComparer.Ordinal);
        foreach (var (name, bound) in source.Config.Constraints)
        {
            if (!metrics.ContainsKey(name))
                throw ConfigErrors.At(source, $"constraints.{name}",
                    $"the task has no metric '{name}'; its metrics are {string.Join(", ", metrics.Keys)}.");
            if (bound.Min is null && bound.Max is null)
                throw ConfigErrors.At(source, $"constraints.{name}", "give at least one of min and max.");
            if (bound.Min > bound.Max)
                throw ConfigErrors.At(source, $"constraints.{name}", $"min {bound.Min} is larger than max {bound.Max}.");
        }
        if (!metrics.TryGetValue(task.Objective.Metric, out var objective) || objective.Cheap)
            throw new InvalidOperationException(
                $"Plugin error: the objective '{task.Objective.Metric}' must be one of the task's evaluated metrics.");
    }

    private static Dictionary<string, string?> Flatten(JsonNode? node, string prefix = "", Dictionary<string, string?>? into = null)
    {
        into ??= new Dictionary<string, string?>(StringComparer.Ordinal);
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj) Flatten(value, prefix.Length == 0 ? key : $"{prefix}.{key}", into);
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++) Flatten(array[i], $"{prefix}[{i}]", into);
                break;
            default:
                into[prefix] = node?.ToJsonString();
                break;
        }
        return into;
    }
}
