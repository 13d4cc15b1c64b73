using System.Globalization;

namespace SemiNas.Storage;

/// <summary>
/// When an attempt's holder counts as gone, and when a trial is given up, with the words for both: one place, so that
/// every store implementation decides and explains alike.
/// </summary>
public static class AttemptRules
{
    /// <summary>
    /// Why a claim of a trial was refused: it still waits (an exclusive claim while another trial of the experiment
    /// runs), or it is no longer WAITING.
    /// </summary>
    public static string Unclaimable(string location, long trialId, bool stillWaiting) => stillWaiting
        ? $"{location}: trial {trialId} waits while another trial of the experiment runs (the task's evaluations may not overlap)."
        : $"{location}: trial {trialId} is not WAITING (another process claimed it, or it has finished).";

    /// <summary>The lease ran out, or the holder is a process of this machine that no longer runs.</summary>
    public static bool IsExpired(string owner, DateTimeOffset leaseUntil, DateTimeOffset now) =>
        leaseUntil <= now || ProcessOwner.IsGone(owner);

    public static string ExpiryReason(string owner, DateTimeOffset leaseUntil) =>
        ProcessOwner.IsGone(owner) && ProcessOwner.TryParse(owner, out var process)
            ? $"process {process.ProcessId} on {process.Machine} ended without finishing it (killed, out of memory or crashed)"
            : $"{owner} stopped renewing its lease, which ran out at {Time(leaseUntil)} (killed, out of memory, crashed or cut off)";

    /// <summary>For a trial left RUNNING by a seminas from before leases: nobody holds it.</summary>
    public const string UnleasedReason = "the process that ran it ended without finishing it (started by a seminas that kept no lease)";

    /// <summary>
    /// Null while the trial may run again; otherwise the error it is FAILED with, listing every attempt. Only attempts
    /// that ended by expiry count: a failure is final anyway, and a user's Ctrl-C is no fault of the trial's.
    /// </summary>
    public static string? GiveUp(IReadOnlyList<TrialAttempt> attempts, int maxAttempts)
    {
        var expired = attempts.Count(a => a.End == AttemptEnd.LeaseExpired);
        if (expired < maxAttempts) return null;
        var lines = attempts.OrderBy(a => a.Number).Select(a =>
            FormattableString.Invariant($"\n  #{a.Number} by {a.Owner} from {Time(a.StartedAt)}: {Describe(a.End)}{(a.Reason is { } r ? ": " + r : "")}"));
        return FormattableString.Invariant($"gave up after {expired} attempt(s) that ended without a result (execution.maxAttempts: {maxAttempts}); ") +
            "the evaluation may be ending its process (out of memory, a native crash). Attempts:" + string.Concat(lines);
    }

    public static string Describe(AttemptEnd? end) => end switch
    {
        null => "running",
        AttemptEnd.Completed => "completed",
        AttemptEnd.Failed => "failed",
        AttemptEnd.Interrupted => "interrupted",
        AttemptEnd.LeaseExpired => "lease expired",
        _ => end.ToString()!,
    };

    private static string Time(DateTimeOffset time) => time.ToString("u", CultureInfo.InvariantCulture);
}
