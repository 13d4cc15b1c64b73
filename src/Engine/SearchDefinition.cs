using System.Text.Json.Nodes;
using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Storage;

namespace SemiNas.Engine;

/// <summary>
/// What one search needs and nothing else: the task, the strategy and its options, the constraints, the seed and
/// budget, and the identity under which the store keeps the experiment. <c>seminas search</c> builds it from an
/// experiment file, <c>seminas benchmark</c> once per run.
/// </summary>
public sealed class SearchDefinition
{
    public required string Name { get; init; }

    /// <summary>The plugin that made <see cref="Task"/>, to name it when one of its hooks fails.</summary>
    public required string PluginName { get; init; }

    public required ISearchTask Task { get; init; }

    public required IStrategyFactory Strategy { get; init; }

    public required object StrategyOptions { get; init; }

    public Constraints Constraints { get; init; } = Constraints.None;

    public required int Seed { get; init; }

    public required int Budget { get; init; }

    /// <summary>Everything that decides the results, as JSON: stored, and compared key by key when it changes.</summary>
    public required string ConfigJson { get; init; }

    /// <summary>Identifies the experiment in its store: a changed configuration is refused unless forked.</summary>
    public required string Fingerprint { get; init; }

    /// <summary>The configuration as the user wrote it, kept in the store for reference.</summary>
    public string ConfigText { get; init; } = "";

    public string? ConfigPath { get; init; }

    /// <summary>
    /// The store's record of this search's experiment, as its first run creates it: under <see cref="Name"/>, or as a
    /// fork of <paramref name="parentId"/> under <paramref name="name"/>. A record made otherwise (before its proposer
    /// starts, say) must be this one, or the proposer refuses it as a changed configuration.
    /// </summary>
    public NewExperiment NewExperiment(string? name = null, long? parentId = null) => new(
        name ?? Name, PluginName, Strategy.Name, Budget, Task.Objective, ConfigText, ConfigJson, Fingerprint, parentId, ConfigPath);

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
                $"plugin '{PluginName}' failed in CheapMetrics for [{architecture}]: {e.GetType().Name}: {e.Message}", e);
        }
    }

    /// <summary>
    /// What the strategy is built from: the same admissibility the runner checks its proposals against, and where its
    /// diagnostics go (none by default).
    /// </summary>
    public StrategyContext StrategyContext(Action<StrategyDiagnostics>? reportDiagnostics = null) => new()
    {
        Space = Task.Space,
        Objective = Task.Objective,
        Seed = Seed,
        IsAdmissible = IsAdmissible,
        ReportDiagnostics = reportDiagnostics,
    };

    /// <summary>The key paths whose values differ between two configurations' JSON, for a clear refusal message.</summary>
    public static IReadOnlyList<string> Differences(string storedJson, string currentJson)
    {
        var before = Flatten(JsonNode.Parse(storedJson));
        var after = Flatten(JsonNode.Parse(currentJson));
        return before.Keys.Union(after.Keys).Order(StringComparer.Ordinal)
            .Where(key => before.GetValueOrDefault(key) != after.GetValueOrDefault(key))
            .Select(key => $"{key}: {before.GetValueOrDefault(key) ?? "(absent)"} -> {after.GetValueOrDefault(key) ?? "(absent)"}")
            .ToList();
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
