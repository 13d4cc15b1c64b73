using SemiNas.Contracts;
using SemiNas.Core;

namespace SemiNas.Controller.Tests;

/// <summary>The tests drive strategies one proposal round at a time, synchronously.</summary>
internal static class StrategyCalls
{
    public static IReadOnlyList<Architecture> Propose(this ISearchStrategy strategy, int maxCount, SearchHistory history,
        CancellationToken cancellationToken = default) =>
        strategy.ProposeAsync(maxCount, history, cancellationToken).GetAwaiter().GetResult();
}
