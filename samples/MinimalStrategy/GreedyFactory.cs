using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SemiNas.Core;

namespace SemiNas.Samples.MinimalStrategy;

/// <summary>What <c>search.options</c> binds to, checked like task options. YAML names are camelCase.</summary>
public sealed class GreedyOptions
{
    [Description("Architectures drawn at random before the search starts mutating the best one."), Range(1, 100_000)]
    public int RandomStart { get; set; } = 8;

    [Description("Positions changed in each mutation of the best architecture."), Range(1, 1000)]
    public int MutatedPositions { get; set; } = 1;
}

/// <summary>The entry point the host finds: public, with a public parameterless constructor.</summary>
public sealed class GreedyFactory : IStrategyFactory
{
    public string Name => "greedy";

    public string Description => "Greedy local search: mutates the best architecture so far; draws at random when that finds nothing new.";

    public Type OptionsType => typeof(GreedyOptions);

    // The host has already bound and validated the options.
    public ISearchStrategy Create(object options, StrategyContext context) => new GreedySearch((GreedyOptions)options, context);
}
