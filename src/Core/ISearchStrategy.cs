using SemiNas.Contracts;

namespace SemiNas.Core;

/// <summary>
/// Proposes architectures to evaluate. The host owns the trial lifecycle and the store; a strategy only
/// proposes, reads the history of results, and saves its private state (random generator, model weights, ...)
/// so that a killed search resumes where it was.
/// </summary>
public interface ISearchStrategy
{
    /// <summary>
    /// Up to <paramref name="maxCount"/> new admissible architectures whose canonical keys are not in the history.
    /// An empty answer while trials are pending means "wait for their results"; an empty answer with nothing
    /// pending means the strategy has nothing more to propose (the search ends).
    /// A strategy that works long before it answers (training a controller) stops with
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires. The host then discards
    /// it: the store still holds the state saved with the last recorded proposals, so a resumed search makes the same
    /// proposals.
    /// </summary>
    Task<IReadOnlyList<Architecture>> ProposeAsync(int maxCount, SearchHistory history, CancellationToken cancellationToken = default);

    /// <summary>The strategy's private state. Saved with every batch of proposals, in the same transaction.</summary>
    byte[] SaveState();

    void RestoreState(ReadOnlySpan<byte> state);
}

/// <summary>
/// Everything a strategy is built from. Deliberately without the budget: a strategy that cannot see it proposes
/// the same first B architectures whatever the budget, so one long benchmark run also answers every shorter budget.
/// </summary>
public sealed class StrategyContext
{
    public required ISearchSpace Space { get; init; }

    public required Objective Objective { get; init; }

    public required int Seed { get; init; }

    /// <summary>
    /// True when the architecture is valid and satisfies the experiment's constraints on cheap metrics.
    /// Strategies propose only admissible architectures, so a FLOPs limit never costs an evaluation.
    /// </summary>
    public required Func<Architecture, bool> IsAdmissible { get; init; }

    /// <summary>
    /// Where the strategy tells people watching the search about its iterations (the host stores them for the
    /// dashboard); null when nobody listens. A strategy must propose the same whether or not it is set, and may report
    /// an iteration again, later, to add values known only then. Called on the thread that proposes.
    /// </summary>
    public Action<StrategyDiagnostics>? ReportDiagnostics { get; init; }
}

/// <summary>
/// Creates a strategy by name from its options (bound from YAML <c>search.options</c>). The host finds every public
/// implementation with a public parameterless constructor, in its own strategy assemblies and in plugin assemblies
/// alike, and creates one of each when it starts: keep the constructor cheap and free of failure.
/// </summary>
public interface IStrategyFactory
{
    /// <summary>The name that experiments use in <c>search.strategy</c>. Lower case, no spaces, unique.</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>
    /// The <see cref="Contracts.ContractVersion.Current"/> a strategy is built for; the host refuses a strategy whose
    /// version differs from its own, as it refuses such a task plugin. Leave the default (the host's version): a
    /// strategy compiled against a newer SemiNas.Core or SemiNas.Contracts than the host's is refused by the assembly
    /// versions it references.
    /// </summary>
    int ContractVersion => Contracts.ContractVersion.Current;

    /// <summary>The options class, bound and validated like plugin options.</summary>
    Type OptionsType { get; }

    ISearchStrategy Create(object options, StrategyContext context);
}
