using SemiNas.Controller.Strategies;

namespace SemiNas.Controller;

/// <summary>The strategies an experiment can name in <c>search.strategy</c>.</summary>
public static class StrategyRegistry
{
    public static IReadOnlyList<IStrategyFactory> All { get; } = [new RandomSearch.Factory(), new RegularizedEvolution.Factory(), new SemiNasStrategy.Factory(), new SemiNasStrategy.NaoFactory()];

    public static IStrategyFactory Get(string name) =>
        All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new KeyNotFoundException(
            $"Unknown search strategy '{name}'. Available: {string.Join(", ", All.Select(f => f.Name))}.");
}
