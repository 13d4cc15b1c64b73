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
/// the heartbeat while it runs) and how it ended (<see cref="End"/> is null while it runs).
/// </summary>
public sealed record TrialAttempt(
    long TrialId,
    int Number,
    string Owner,
    DateTimeOffset StartedAt,
    DateTimeOffset LeaseUntil,
    DateTimeOffset? EndedAt,
    AttemptEnd? End,
    string? Reason);
