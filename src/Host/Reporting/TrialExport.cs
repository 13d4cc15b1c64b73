using System.Globalization;
using System.Text.Json;
using SemiNas.Storage;

namespace SemiNas.Host.Reporting;

/// <summary>Writes an experiment's trials as CSV (one row per trial, one column per metric) or JSON.</summary>
public static class TrialExport
{
    private static readonly string[] FixedColumns =
    [
        "number", "state", "tokens", "canonical_key", "description", "objective", "feasible", "attempts",
        "duration_s", "created_at", "started_at", "finished_at", "error",
    ];

    /// <summary>One row per trial; a failure reason or a description with commas, quotes or line breaks round-trips (<see cref="CsvTable"/>).</summary>
    public static void WriteCsv(TextWriter writer, IReadOnlyList<TrialRecord> trials)
    {
        var metricColumns = trials.SelectMany(t => t.CheapMetrics.Keys.Concat(t.Metrics.Keys))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        CsvTable.Write(writer, [.. FixedColumns, .. metricColumns], trials.Select(t =>
        {
            var fields = new List<string?>
            {
                Number(t.Number), t.State.ToString().ToUpperInvariant(), t.Architecture.ToString(), t.CanonicalKey, t.Description,
                Number(t.Objective), t.Feasible ? "true" : "false", Number(t.Attempts), Number(t.DurationSeconds),
                Time(t.CreatedAt), Time(t.StartedAt), Time(t.FinishedAt), t.Error,
            };
            foreach (var metric in metricColumns)
                fields.Add(t.Metrics.TryGetValue(metric, out var v) || t.CheapMetrics.TryGetValue(metric, out v) ? Number(v) : null);
            return fields;
        }));
    }

    /// <summary>
    /// One object per trial; <c>attemptLog</c> lists each start with its holder, device and how it ended;
    /// <c>intermediateValues</c> what the plugin reported while it evaluated the trial, by name, in step order:
    /// <c>{"train_loss": [{"step": 1, "value": 2.3}, …]}</c>.
    /// </summary>
    public static void WriteJson(Stream stream, IReadOnlyList<TrialRecord> trials, IReadOnlyList<TrialAttempt> attempts,
        IReadOnlyList<IntermediateValue>? intermediateValues = null)
    {
        var attemptsOf = attempts.ToLookup(a => a.TrialId);
        var valuesOf = (intermediateValues ?? []).ToLookup(v => v.TrialId);
        var rows = trials.Select(t => new
        {
            number = t.Number,
            state = t.State.ToString().ToUpperInvariant(),
            tokens = t.Architecture.ToString(),
            canonicalKey = t.CanonicalKey,
            description = t.Description,
            objective = t.Objective,
            feasible = t.Feasible,
            attempts = t.Attempts,
            durationSeconds = t.DurationSeconds,
            createdAt = t.CreatedAt,
            startedAt = t.StartedAt,
            finishedAt = t.FinishedAt,
            error = t.Error,
            attemptLog = attemptsOf[t.Id].Select(a => new
            {
                number = a.Number,
                owner = a.Owner,
                device = a.Device,
                startedAt = a.StartedAt,
                leaseUntil = a.LeaseUntil,
                endedAt = a.EndedAt,
                end = AttemptRules.Describe(a.End),
                reason = a.Reason,
            }),
            metrics = t.Metrics,
            cheapMetrics = t.CheapMetrics,
            intermediateValues = valuesOf[t.Id].GroupBy(v => v.Name, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.OrderBy(v => v.Step).Select(v => new { step = v.Step, value = v.Value }).ToList(), StringComparer.Ordinal),
        });
        JsonSerializer.Serialize(stream, rows, JsonOutput.Options);
    }

    private static readonly string[] IntermediateColumns = ["trial", "step", "name", "value", "recorded_at"];

    /// <summary>
    /// The values plugins reported while they evaluated the trials (<c>export --format intermediate-csv</c>): one row per
    /// trial, step and name, in that order, the long form that pandas, R or a spreadsheet pivot read.
    /// </summary>
    public static void WriteIntermediateCsv(TextWriter writer, IReadOnlyList<IntermediateValue> values) =>
        CsvTable.Write(writer, IntermediateColumns, values
            .OrderBy(v => v.TrialNumber).ThenBy(v => v.Step).ThenBy(v => v.Name, StringComparer.Ordinal)
            .Select(v => (IReadOnlyList<string?>)[Number(v.TrialNumber), Number(v.Step), v.Name, Number(v.Value), Time(v.RecordedAt)]));

    private static string Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    private static string? Time(DateTimeOffset? value) => value?.ToString("O", CultureInfo.InvariantCulture);
}
