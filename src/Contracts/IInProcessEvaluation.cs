namespace SemiNas.Contracts;

/// <summary>
/// Optional, on an <see cref="ISearchTask"/>: its evaluations belong in the search's own process. With
/// <c>execution.isolation: auto</c> (the default) the host evaluates other tasks in <c>seminas worker</c> processes, so
/// that a native crash or an out-of-memory kill in one evaluation ends one worker, not the search; a task implements
/// this when that protection costs more than it gives: its evaluations are table lookups that cannot crash and take
/// less than a process round trip (<see cref="TableTask"/>, NAS-Bench), or they must share memory with each other.
/// </summary>
public interface IInProcessEvaluation
{
    /// <summary>Whether, with <c>auto</c>, evaluations run in the search's process; a task may decide by its options.</summary>
    bool Preferred => true;

    /// <summary>
    /// True when evaluations in separate processes would be wrong, not only slower (the candidates of a supernet round
    /// meet in one process's memory): the host then refuses <c>execution.isolation: process</c>.
    /// </summary>
    bool Required => false;

    /// <summary>Why, in a few words, for the host's messages (e.g. "table lookups").</summary>
    string Reason { get; }
}
