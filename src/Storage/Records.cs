using SemiNas.Contracts;
using SemiNas.Core;

namespace SemiNas.Storage;

public sealed record NewExperiment(
    string Name,
    string Plugin,
    string Strategy,
    int Budget,
    Objective Objective,
    string ConfigText,
    string ConfigJson,
    string Fingerprint,
    long? ParentId = null,
    string? ConfigPath = null);

public sealed record ExperimentRecord(
    long Id,
    string Name,
    string Plugin,
    string Strategy,
    int Budget,
    Objective Objective,
    string ConfigText,
    string ConfigJson,
    string? ConfigPath,
    string Fingerprint,
    long? ParentId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt);

public sealed record NewTrial(
    Architecture Architecture,
    string CanonicalKey,
    string Description,
    IReadOnlyDictionary<string, double> CheapMetrics);

public sealed record TrialRecord(
    long Id,
    long ExperimentId,
    int Number,
    Architecture Architecture,
    string CanonicalKey,
    string Description,
    TrialState State,
    double? Objective,
    bool Feasible,
    IReadOnlyDictionary<string, double> CheapMetrics,
    IReadOnlyDictionary<string, double> Metrics,
    string? Error,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    DateTimeOffset? Heartbeat)
{
    public bool IsFinished => State is TrialState.Complete or TrialState.Failed;

    /// <summary>Seconds between start and finish of the last attempt.</summary>
    public double? DurationSeconds => StartedAt is { } s && FinishedAt is { } f ? (f - s).TotalSeconds : null;
}

/// <summary>How one attempt at a trial ended.</summary>
public enum AttemptEnd
{
    /// <summary>The evaluation returned a result; the trial is COMPLETE.</summary>
    Completed,
    /// <summary>The evaluation failed (an exception, a time-out, no objective); the trial is FAILED.</summary>
    Failed,
    /// <summary>The process that ran it stopped on purpose (Ctrl-C, SIGTERM, an error outside the evaluation); does not count against the attempt limit.</summary>
    Interrupted,
    /// <summary>The process stopped renewing its lease, or is gone from this machine: killed, out of memory, a native crash.</summary>
    LeaseExpired,
}

/// <summary>
/// One start of a trial: who ran it, from when, until when it holds the trial (<see cref="LeaseUntil"/>, renewed with
/// the heartbeat while it runs), how it ended (<see cref="End"/> is null while it runs) and on which device it ran
/// (null when the claimer did not say, and in stores from before schema 4).
/// </summary>
public sealed record TrialAttempt(
    long TrialId,
    int Number,
    string Owner,
    DateTimeOffset StartedAt,
    DateTimeOffset LeaseUntil,
    DateTimeOffset? EndedAt,
    AttemptEnd? End,
    string? Reason,
    string? Device = null);

/// <summary>How a trial is claimed, besides by whom and for how long.</summary>
/// <param name="Device">Where the claimer will evaluate it ("cpu", "cuda:1"), recorded with the attempt for people watching.</param>
/// <param name="Exclusive">Claim only while no trial of the experiment is RUNNING, in any process: for tasks whose
/// evaluations share state and may not overlap (<c>ISearchTask.ConcurrentEvaluations</c> false, e.g. a supernet).</param>
public sealed record ClaimOptions(string? Device = null, bool Exclusive = false)
{
    public static readonly ClaimOptions Default = new();
}

/// <summary>
/// What a strategy reported about one of its iterations (<see cref="StrategyDiagnostics"/>), as stored: later reports
/// of the same iteration add to, or replace, its values by name.
/// </summary>
public sealed record StrategyDiagnosticsRecord(int Iteration, IReadOnlyDictionary<string, double> Values, DateTimeOffset RecordedAt);

/// <summary>The values a plugin reported at one step of a trial's evaluation, as saved (<see cref="IExperimentStore.SaveIntermediateValues"/>).</summary>
public sealed record StepValues(int Step, IReadOnlyDictionary<string, double> Values);

/// <summary>A value a plugin reported while it evaluated a trial (training loss at a step, say), by trial and step.</summary>
public sealed record IntermediateValue(long TrialId, int TrialNumber, int Step, string Name, double Value, DateTimeOffset RecordedAt);
