using System.Reflection;
using SemiNas.Core;

namespace SemiNas.Host.Experiments;

/// <summary>
/// The strategies an experiment can name in <c>search.strategy</c>: every public <see cref="IStrategyFactory"/> with a
/// public parameterless constructor in the assemblies that hold strategies (SemiNas.Core: random and evolution;
/// SemiNas.Controller: SemiNAS and NAO), found the way plugins are found, so a new strategy needs no list to edit.
/// </summary>
public static class StrategyRegistry
{
    private static readonly Assembly[] StrategyAssemblies =
        [typeof(Core.Strategies.RandomSearch).Assembly, typeof(Controller.Strategies.SemiNasStrategy).Assembly];

    public static IReadOnlyList<IStrategyFactory> All { get; } = Discover(StrategyAssemblies);

    public static IStrategyFactory Get(string name) =>
        All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new KeyNotFoundException(
            $"Unknown search strategy '{name}'. Available: {string.Join(", ", All.Select(f => f.Name))}.");

    /// <summary>The factories of the assemblies, in the order they are given and, within one, by name of type.</summary>
    public static IReadOnlyList<IStrategyFactory> Discover(IEnumerable<Assembly> assemblies) =>
        assemblies.SelectMany(a => a.GetExportedTypes()
                .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IStrategyFactory).IsAssignableFrom(t)
                            && t.GetConstructor(Type.EmptyTypes) is not null)
                .OrderBy(t => t.FullName, StringComparer.Ordinal))
            .Select(t => (IStrategyFactory)Activator.CreateInstance(t)!)
            .ToList();
}
