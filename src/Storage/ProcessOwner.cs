using System.Globalization;

namespace SemiNas.Storage;

/// <summary>
/// A process that holds an experiment or a trial, written <c>pid@machine</c>. Stores use it to tell a dead holder from
/// a live one: on this machine at once, elsewhere only when its heartbeat or lease runs out.
/// </summary>
public readonly record struct ProcessOwner(string Machine, int ProcessId)
{
    public static ProcessOwner Current { get; } = new(Environment.MachineName, Environment.ProcessId);

    public static ProcessOwner Parse(string text) =>
        TryParse(text, out var owner) ? owner : throw new FormatException($"'{text}' is not PID@MACHINE.");

    public static bool TryParse(string text, out ProcessOwner owner)
    {
        var at = text.LastIndexOf('@');
        owner = default;
        if (at <= 0 || !int.TryParse(text.AsSpan(0, at), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) return false;
        owner = new ProcessOwner(text[(at + 1)..], pid);
        return true;
    }

    /// <summary>
    /// True only for a <c>pid@machine</c> of this machine whose process no longer runs (killed, crashed). A worker
    /// named otherwise, or a process on another machine, can only be judged by its lease.
    /// </summary>
    public static bool IsGone(string owner) =>
        TryParse(owner, out var parsed) && parsed.Machine == Environment.MachineName && !parsed.IsRunningHere();

    public bool IsAlive(DateTimeOffset heartbeat, TimeSpan staleAfter)
    {
        if (Machine != Environment.MachineName) return DateTimeOffset.UtcNow - heartbeat < staleAfter;
        return IsRunningHere() && DateTimeOffset.UtcNow - heartbeat < staleAfter;
    }

    private bool IsRunningHere()
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(ProcessId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
    }

    public override string ToString() => $"{ProcessId}@{Machine}";
}
