using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Storage;

namespace SemiNas.Dashboard;

/// <summary>
/// The JSON document the page draws: one entry per source (a store or a benchmark's summary.json). The dashboard
/// serves it at /api/data; the report inlines it. Non-finite numbers become null (JSON has no NaN).
/// </summary>
public static class DashboardData
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    /// <summary>Reads every input: a store (.sqlite or postgresql://), a summary.json, or a benchmark output folder holding one.</summary>
    public static JsonObject Build(IEnumerable<string> inputs, bool live, DateTimeOffset now)
    {
        var sources = new JsonArray();
        foreach (var input in inputs) sources.Add(ReadSource(input, now));
        return new JsonObject
        {
            ["generatedAt"] = now.ToString("O", CultureInfo.InvariantCulture),
            ["live"] = live,
            ["sources"] = sources,
        };
    }

    public static string Serialize(JsonObject data) => data.ToJsonString(Json);

    private static JsonObject ReadSource(string input, DateTimeOffset now)
    {
        if (ExperimentStores.IsDatabaseUrl(input)) return FromStore(StoreReadModel.Read(input), now);
        if (Directory.Exists(input))
        {
            var summary = Path.Combine(input, "summary.json");
            if (!File.Exists(summary))
                throw new FileNotFoundException($"{input} is a folder without a summary.json (give a store or a benchmark output folder).");
            return FromBenchmark(summary);
        }
        if (!File.Exists(input)) throw new FileNotFoundException($"{input}: no such store or summary.json.");
        return StoreReadModel.LooksLikeStore(input) ? FromStore(StoreReadModel.Read(input), now) : FromBenchmark(input);
    }

    public static JsonObject FromStore(StoreSnapshot snapshot, DateTimeOffset now)
    {
        var experiments = new JsonArray();
        foreach (var e in snapshot.Experiments) experiments.Add(WithDiagnostics(FromExperiment(e.Experiment, e.Trials, e.Attempts, now, e.IntermediateValues), e.Diagnostics));
        return new JsonObject
        {
            ["kind"] = "store",
            ["path"] = snapshot.Path,
            ["experiments"] = experiments,
            ["damagedRows"] = new JsonArray(snapshot.DamagedRows.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
        };
    }

    public static JsonObject FromExperiment(ExperimentRecord experiment, IReadOnlyList<TrialRecord> trials, IReadOnlyList<TrialAttempt> attempts,
        DateTimeOffset now, IReadOnlyList<IntermediateValue>? intermediateValues = null)
    {
        int waiting = 0, running = 0, complete = 0, failed = 0, infeasible = 0;
        foreach (var t in trials)
        {
            switch (t.State)
            {
                case TrialState.Waiting: waiting++; break;
                case TrialState.Running: running++; break;
                case TrialState.Failed: failed++; break;
                case TrialState.Complete: complete++; if (!t.Feasible) infeasible++; break;
            }
        }
        var durations = trials.Where(t => t.IsFinished).Select(t => t.DurationSeconds).OfType<double>().ToList();
        double? meanSeconds = durations.Count > 0 ? durations.Average() : null;
        var finished = complete + failed;
        // Trials still to finish, at the mean duration so far, spread over the trials running at once now (the
        // worker count is not stored; while a search runs, its workers are busy). Nothing running: a stopped search,
        // no ETA.
        double? eta = experiment.FinishedAt is null && meanSeconds is { } mean && finished < experiment.Budget && running > 0
            ? (experiment.Budget - finished) * mean / running
            : null;

        var attemptsOf = attempts.ToLookup(a => a.TrialId);
        var valuesOf = (intermediateValues ?? []).ToLookup(v => v.TrialId);
        var rows = new JsonArray();
        foreach (var t in trials)
        {
            var row = FromTrial(t, attemptsOf[t.Id].ToList(), now);
            row["intermediate"] = Intermediate(valuesOf[t.Id]);
            rows.Add(row);
        }
        return new JsonObject
        {
            ["name"] = experiment.Name,
            ["plugin"] = experiment.Plugin,
            ["strategy"] = experiment.Strategy,
            ["budget"] = experiment.Budget,
            ["objective"] = new JsonObject
            {
                ["metric"] = experiment.Objective.Metric,
                ["goal"] = experiment.Objective.Goal == MetricGoal.Maximize ? "maximize" : "minimize",
            },
            ["createdAt"] = Time(experiment.CreatedAt),
            ["finishedAt"] = Time(experiment.FinishedAt),
            ["constraints"] = Constraints(experiment.ConfigJson),
            ["counts"] = new JsonObject
            {
                ["waiting"] = waiting, ["running"] = running, ["complete"] = complete, ["failed"] = failed,
                ["infeasible"] = infeasible, ["finished"] = finished,
            },
            ["meanTrialSeconds"] = Number(meanSeconds),
            ["etaSeconds"] = Number(eta),
            ["trials"] = rows,
        };
    }

    /// <summary>
    /// A trial; <c>worker</c> is the holder of its open attempt (pid@machine or a worker's name) and <c>device</c> where it
    /// runs, <c>attemptLog</c> every start with its holder, device and how it ended. Stores from before attempts were kept
    /// have neither (and before schema 4, no device).
    /// </summary>
    private static JsonObject FromTrial(TrialRecord t, IReadOnlyList<TrialAttempt> attempts, DateTimeOffset now) => new()
    {
        ["number"] = t.Number,
        ["state"] = t.State.ToString().ToUpperInvariant(),
        ["tokens"] = new JsonArray(t.Architecture.Tokens.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray()),
        ["description"] = t.Description,
        ["objective"] = Number(t.Objective),
        ["feasible"] = t.Feasible,
        ["cheapMetrics"] = Metrics(t.CheapMetrics),
        ["metrics"] = Metrics(t.Metrics),
        ["error"] = t.Error,
        ["attempts"] = t.Attempts,
        ["durationSeconds"] = Number(t.DurationSeconds),
        ["startedAt"] = Time(t.StartedAt),
        ["finishedAt"] = Time(t.FinishedAt),
        ["elapsedSeconds"] = t.State == TrialState.Running && t.StartedAt is { } s ? Number((now - s).TotalSeconds) : null,
        ["worker"] = OpenAttempt(t, attempts)?.Owner,
        ["device"] = OpenAttempt(t, attempts)?.Device,
        ["attemptLog"] = new JsonArray(attempts.Select(a => (JsonNode?)new JsonObject
        {
            ["number"] = a.Number,
            ["owner"] = a.Owner,
            ["device"] = a.Device,
            ["startedAt"] = Time(a.StartedAt),
            ["leaseUntil"] = Time(a.LeaseUntil),
            ["endedAt"] = Time(a.EndedAt),
            ["end"] = AttemptRules.Describe(a.End),
            ["reason"] = a.Reason,
        }).ToArray()),
    };

    /// <summary>The attempt a running trial is in: who runs it and where ("cuda:1", when its claimer said); null when it is not running.</summary>
    private static TrialAttempt? OpenAttempt(TrialRecord t, IReadOnlyList<TrialAttempt> attempts) =>
        t.State == TrialState.Running ? attempts.LastOrDefault(a => a.End is null) : null;

    /// <summary>The most points of one intermediate value the page gets per trial: enough for a curve, small enough to poll every second.</summary>
    public const int MaxIntermediatePoints = 200;

    /// <summary>
    /// What the plugin reported while it evaluated the trial, by name: {name: [[step, value], …]} in step order. A longer
    /// series is thinned to <see cref="MaxIntermediatePoints"/> evenly spaced points, its first and last kept.
    /// </summary>
    private static JsonObject Intermediate(IEnumerable<IntermediateValue> values)
    {
        var result = new JsonObject();
        foreach (var series in values.GroupBy(v => v.Name, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var points = series.OrderBy(v => v.Step).ToList();
            var kept = new JsonArray();
            var count = Math.Min(points.Count, MaxIntermediatePoints);
            for (var i = 0; i < count; i++)
            {
                var p = points[count == 1 ? points.Count - 1 : (int)Math.Round((double)i * (points.Count - 1) / (count - 1))];
                kept.Add(new JsonArray(JsonValue.Create(p.Step), Number(p.Value)));
            }
            result[series.Key] = kept;
        }
        return result;
    }

    /// <summary>The experiment's constraints, from the configuration stored with it: {metric: {min, max}}.</summary>
    private static JsonObject Constraints(string configJson)
    {
        var result = new JsonObject();
        JsonNode? config;
        try
        {
            config = JsonNode.Parse(configJson);
        }
        catch (JsonException)
        {
            return result; // a stored configuration we cannot read only costs the constraint lines
        }
        if (config?["constraints"] is not JsonObject constraints) return result;
        foreach (var (name, bound) in constraints)
        {
            if (bound is not JsonObject b) continue;
            double? Read(string key) => b.FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.OrdinalIgnoreCase)).Value is JsonValue v
                && v.TryGetValue<double>(out var d) ? d : null;
            result[name] = new JsonObject { ["min"] = Number(Read("min")), ["max"] = Number(Read("max")) };
        }
        return result;
    }

    private static JsonObject FromBenchmark(string path)
    {
        JsonNode? summary;
        try
        {
            summary = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path} is neither an experiment store nor a readable summary.json: {e.Message}", e);
        }
        if (summary is not JsonObject o || o["groups"] is not JsonArray)
            throw new FormatException($"{path} is not a `seminas benchmark` summary.json (it has no \"groups\" list).");
        return new JsonObject { ["kind"] = "benchmark", ["path"] = Path.GetFullPath(path), ["summary"] = o };
    }

    /// <summary>
    /// The strategy's diagnostics, one entry per iteration in order: <c>{iteration, values: {name: number}, recordedAt}</c>
    /// (the page's Controller panel; docs/dashboard.md names each value SemiNAS reports). Empty for a strategy that
    /// reports none.
    /// </summary>
    public static JsonObject WithDiagnostics(JsonObject experiment, IReadOnlyList<StrategyDiagnosticsRecord> diagnostics)
    {
        experiment["diagnostics"] = new JsonArray(diagnostics.OrderBy(d => d.Iteration).Select(d => (JsonNode?)new JsonObject
        {
            ["iteration"] = d.Iteration,
            ["values"] = Metrics(d.Values),
            ["recordedAt"] = Time(d.RecordedAt),
        }).ToArray());
        return experiment;
    }

    private static JsonObject Metrics(IReadOnlyDictionary<string, double> metrics)
    {
        var result = new JsonObject();
        foreach (var (name, value) in metrics.OrderBy(m => m.Key, StringComparer.Ordinal)) result[name] = Number(value);
        return result;
    }

    private static JsonNode? Number(double? value) => value is { } v && double.IsFinite(v) ? JsonValue.Create(v) : null;

    private static string? Time(DateTimeOffset? value) => value?.ToString("O", CultureInfo.InvariantCulture);
}
