using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using SemiNas.Contracts;
using SemiNas.Core;

namespace SemiNas.Storage;

/// <summary>
/// Reads and writes the rows the SQL stores share (SQLite and PostgreSQL use the same tables and column names), so
/// that both read a record, and describe a damaged one, alike. Times are ISO-8601 text in SQLite and timestamptz in
/// PostgreSQL; both are read here.
/// </summary>
internal static class StoreRows
{
    public static readonly JsonSerializerOptions MetricJson = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>How trial_attempts.outcome spells each <see cref="AttemptEnd"/>.</summary>
    public static readonly IReadOnlyDictionary<AttemptEnd, string> OutcomeNames = new Dictionary<AttemptEnd, string>
    {
        [AttemptEnd.Completed] = "COMPLETED",
        [AttemptEnd.Failed] = "FAILED",
        [AttemptEnd.Interrupted] = "INTERRUPTED",
        [AttemptEnd.LeaseExpired] = "LEASE_EXPIRED",
    };

    private static readonly Dictionary<string, AttemptEnd> EndsByName = OutcomeNames.ToDictionary(n => n.Value, n => n.Key);

    public static string Metrics(IReadOnlyDictionary<string, double>? metrics) =>
        JsonSerializer.Serialize(metrics ?? new Dictionary<string, double>(), MetricJson);

    public static ExperimentRecord ReadExperiment(DbDataReader r) => new(
        Id: r.GetInt64(r.GetOrdinal("id")),
        Name: r.GetString(r.GetOrdinal("name")),
        Plugin: r.GetString(r.GetOrdinal("plugin")),
        Strategy: r.GetString(r.GetOrdinal("strategy")),
        Budget: r.GetInt32(r.GetOrdinal("budget")),
        Objective: new Objective(r.GetString(r.GetOrdinal("objective_metric")), Enum.Parse<MetricGoal>(r.GetString(r.GetOrdinal("objective_goal")))),
        ConfigText: r.GetString(r.GetOrdinal("config_text")),
        ConfigJson: r.GetString(r.GetOrdinal("config_json")),
        ConfigPath: HasColumn(r, "config_path") ? NullableString(r, "config_path") : null, // none before SQLite schema 2
        Fingerprint: r.GetString(r.GetOrdinal("fingerprint")),
        ParentId: r.IsDBNull(r.GetOrdinal("parent_id")) ? null : r.GetInt64(r.GetOrdinal("parent_id")),
        CreatedAt: Time(r, "created_at"),
        FinishedAt: NullableTime(r, "finished_at"));

    /// <summary>Reads a trial row; a damaged one is described (store, table, trial, column) instead.</summary>
    public static bool TryReadTrial(DbDataReader r, string location,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TrialRecord? trial, out string damage)
    {
        damage = "";
        try
        {
            trial = ReadTrial(r);
            return true;
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException or InvalidCastException or OverflowException)
        {
            trial = null;
            var number = r.IsDBNull(r.GetOrdinal("number")) ? "?" : Convert.ToString(r.GetValue(r.GetOrdinal("number")), CultureInfo.InvariantCulture);
            damage = $"{location}: table trials, trial {number} (row id {r.GetValue(r.GetOrdinal("id"))}) is damaged and was skipped: {e.Message}";
            return false;
        }
    }

    public static TrialRecord ReadTrial(DbDataReader r) => new(
        Id: r.GetInt64(r.GetOrdinal("id")),
        ExperimentId: r.GetInt64(r.GetOrdinal("experiment_id")),
        Number: r.GetInt32(r.GetOrdinal("number")),
        Architecture: Column(r, "tokens", Architecture.Parse),
        CanonicalKey: r.GetString(r.GetOrdinal("canonical_key")),
        Description: r.GetString(r.GetOrdinal("description")),
        State: Enum.Parse<TrialState>(r.GetString(r.GetOrdinal("state")), ignoreCase: true),
        Objective: r.IsDBNull(r.GetOrdinal("objective")) ? null : r.GetDouble(r.GetOrdinal("objective")),
        // INTEGER 0/1 in SQLite, boolean in PostgreSQL.
        Feasible: r.GetValue(r.GetOrdinal("feasible")) is bool feasible ? feasible : Convert.ToInt64(r.GetValue(r.GetOrdinal("feasible")), CultureInfo.InvariantCulture) != 0,
        CheapMetrics: Column(r, "cheap_metrics_json", ReadMetrics),
        Metrics: Column(r, "metrics_json", ReadMetrics),
        Error: NullableString(r, "error"),
        Attempts: r.GetInt32(r.GetOrdinal("attempts")),
        CreatedAt: Time(r, "created_at"),
        StartedAt: NullableTime(r, "started_at"),
        FinishedAt: NullableTime(r, "finished_at"),
        Heartbeat: NullableTime(r, "heartbeat"));

    /// <summary>
    /// Reads attempt rows (joined with their trial's number as trial_number); a damaged one is described in
    /// <paramref name="damaged"/> and skipped.
    /// </summary>
    public static List<TrialAttempt> ReadAttempts(DbDataReader r, string location, ISet<string> damaged)
    {
        var attempts = new List<TrialAttempt>();
        while (r.Read())
        {
            try
            {
                attempts.Add(ReadAttempt(r));
            }
            catch (Exception e) when (e is FormatException or InvalidCastException or ArgumentException)
            {
                damaged.Add($"{location}: table trial_attempts, trial {r.GetValue(r.GetOrdinal("trial_number"))} " +
                    $"(attempt row id {r.GetValue(r.GetOrdinal("id"))}) is damaged and was skipped: {e.Message}");
            }
        }
        return attempts;
    }

    private static TrialAttempt ReadAttempt(DbDataReader r) => new(
        TrialId: r.GetInt64(r.GetOrdinal("trial_id")),
        Number: r.GetInt32(r.GetOrdinal("number")),
        Owner: r.GetString(r.GetOrdinal("owner")),
        StartedAt: Time(r, "started_at"),
        LeaseUntil: Time(r, "lease_until"),
        EndedAt: NullableTime(r, "ended_at"),
        End: NullableString(r, "outcome") is not { } outcome ? null
            : EndsByName.TryGetValue(outcome, out var end) ? end
            : throw new FormatException($"column outcome holds '{outcome}'"),
        Reason: NullableString(r, "reason"),
        // Read-only stores of schema 3 have no device column.
        Device: HasColumn(r, "device") ? NullableString(r, "device") : null);

    /// <summary>A value for a REAL column: NaN as NULL, which is what SQLite would make of it anyway.</summary>
    public static object? Real(double value) => double.IsNaN(value) ? null : value;

    private static double ReadReal(DbDataReader r, string column)
    {
        var ordinal = r.GetOrdinal(column);
        return r.IsDBNull(ordinal) ? double.NaN : r.GetDouble(ordinal);
    }

    /// <summary>Rows of (iteration, name, value, recorded_at), ordered by iteration, folded into one record per iteration.</summary>
    public static List<StrategyDiagnosticsRecord> ReadDiagnostics(DbDataReader r)
    {
        var iterations = new List<StrategyDiagnosticsRecord>();
        while (r.Read())
        {
            var iteration = r.GetInt32(r.GetOrdinal("iteration"));
            var recorded = Time(r, "recorded_at");
            if (iterations.Count == 0 || iterations[^1].Iteration != iteration)
                iterations.Add(new StrategyDiagnosticsRecord(iteration, new Dictionary<string, double>(StringComparer.Ordinal), recorded));
            else if (recorded > iterations[^1].RecordedAt)
                iterations[^1] = iterations[^1] with { RecordedAt = recorded };
            ((Dictionary<string, double>)iterations[^1].Values)[r.GetString(r.GetOrdinal("name"))] = ReadReal(r, "value");
        }
        return iterations;
    }

    public static List<IntermediateValue> ReadIntermediateValues(DbDataReader r)
    {
        var values = new List<IntermediateValue>();
        while (r.Read())
            values.Add(new IntermediateValue(r.GetInt64(r.GetOrdinal("trial_id")), r.GetInt32(r.GetOrdinal("trial_number")),
                r.GetInt32(r.GetOrdinal("step")), r.GetString(r.GetOrdinal("name")), ReadReal(r, "value"), Time(r, "recorded_at")));
        return values;
    }

    /// <summary>Parses one text column; a failure says which column held what.</summary>
    private static T Column<T>(DbDataReader r, string column, Func<string, T> parse)
    {
        var text = r.GetString(r.GetOrdinal(column));
        try
        {
            return parse(text);
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            var shown = text.Length > 60 ? text[..60] + "…" : text;
            throw new FormatException($"column {column} holds '{shown}': {e.Message}", e);
        }
    }

    private static IReadOnlyDictionary<string, double> ReadMetrics(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, double>>(json, MetricJson) ?? [];

    private static bool HasColumn(DbDataReader r, string column) =>
        Enumerable.Range(0, r.FieldCount).Any(i => r.GetName(i) == column);

    public static string? NullableString(DbDataReader r, string column) =>
        r.IsDBNull(r.GetOrdinal(column)) ? null : r.GetString(r.GetOrdinal(column));

    public static DateTimeOffset? NullableTime(DbDataReader r, string column) =>
        r.IsDBNull(r.GetOrdinal(column)) ? null : Time(r, column);

    public static DateTimeOffset Time(DbDataReader r, string column) => r.GetValue(r.GetOrdinal(column)) switch
    {
        string text => ParseTime(text),
        DateTime utc => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)),
        DateTimeOffset time => time,
        var other => throw new FormatException($"column {column} holds {other.GetType().Name} '{other}', not a time"),
    };

    public static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
