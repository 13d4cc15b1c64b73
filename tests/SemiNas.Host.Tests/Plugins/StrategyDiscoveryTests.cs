using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Host.Plugins;

namespace SemiNas.Host.Tests.Plugins;

// build/TestPlugins.targets puts the sample strategy under test-plugins/ of the output folder, loaded like any plugin.
public sealed class StrategyDiscoveryTests : IDisposable
{
    private const string Sample = "SemiNas.Samples.MinimalStrategy";
    private static readonly string SampleFolder = Path.Combine(AppContext.BaseDirectory, "test-plugins", Sample);

    private readonly string _temp = Directory.CreateTempSubdirectory("seminas-strategies-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_temp, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Windows keeps loaded plugin assemblies locked; a leftover temp folder is harmless.
        }
    }

    [Fact]
    public void The_hosts_strategies_and_a_plugins_strategy_are_found_by_the_same_discovery()
    {
        var catalog = PluginCatalog.Discover([SampleFolder]);

        Assert.Empty(catalog.Errors);
        Assert.Equal(["random", "evolution", "seminas", "nao", "greedy"], catalog.Strategies.Select(s => s.Name));
        Assert.Equal(typeof(Core.Strategies.RandomSearch).Assembly.Location, catalog.Strategies[0].SourcePath);
        var greedy = catalog.Strategies[^1];
        Assert.Equal(Path.Combine(SampleFolder, Sample + ".dll"), greedy.SourcePath);
        // Loaded in a context of its own, yet its IStrategyFactory is the host's: the catalog could not list it otherwise.
        Assert.NotEqual(System.Runtime.Loader.AssemblyLoadContext.Default,
            System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(greedy.Factory.GetType().Assembly));
        Assert.Same(greedy.Factory, catalog.GetStrategy("GREEDY"));
    }

    [Fact]
    public async Task The_sample_strategy_mutates_the_best_architecture_and_repeats_itself_by_seed()
    {
        var factory = PluginCatalog.Discover([SampleFolder], includeBundled: false).GetStrategy("greedy");
        var first = await Proposals(factory, seed: 3);
        var again = await Proposals(factory, seed: 3);
        var other = await Proposals(factory, seed: 4);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        // After the random start (randomStart 4), each proposal differs from the best so far in one position.
        for (var i = 4; i < first.Count; i++)
        {
            var best = first.Take(i).MaxBy(Bits.Ones)!;
            Assert.Equal(1, best.Tokens.Zip(first[i].Tokens).Count(p => p.First != p.Second));
        }
    }

    [Fact]
    public void A_strategy_name_defined_twice_a_throwing_factory_and_another_contract_version_are_reported()
    {
        var copy = Path.Combine(_temp, "copy", Sample);
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(SampleFolder)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));

        var catalog = PluginCatalog.FromAssemblies([typeof(BrokenStrategies).Assembly]);
        var fromFolders = PluginCatalog.Discover([SampleFolder, Path.Combine(_temp, "copy")], includeBundled: false);

        // The host's own strategies load first, so a plugin cannot replace one by taking its name.
        Assert.Equal(["random", "evolution", "seminas", "nao"], catalog.Strategies.Select(s => s.Name));
        var clash = Assert.Single(catalog.Errors, e => e.Name == "random");
        Assert.Equal($"two strategies are named 'random': the one from {typeof(Core.Strategies.RandomSearch).Assembly.Location} " +
                     $"is used, the one from {typeof(BrokenStrategies).Assembly.Location} is ignored", clash.Reason);
        Assert.Single(catalog.Errors, e => e.Reason ==
            $"the constructor of strategy {typeof(BrokenStrategies.Throwing).FullName} threw InvalidOperationException: no strategy today");
        var future = Assert.Single(catalog.Errors, e => e.Name == "future");
        Assert.Equal($"strategy built against contract version 99, this host supports {ContractVersion.Current}; " +
                     $"rebuild it against SemiNas.Contracts and SemiNas.Core {ContractVersion.Current}", future.Reason);

        // Broken strategies do not stop the task plugins of the same assembly.
        Assert.Equal(["flaky", "misbehaving", "probe"], catalog.Plugins.Select(p => p.Name).Order(StringComparer.Ordinal));

        var missing = Assert.Throws<KeyNotFoundException>(() => catalog.GetStrategy("future"));
        Assert.Contains("A strategy named 'future' was found in", missing.Message);
        Assert.Contains("contract version 99", missing.Message);
        Assert.Contains("Available strategies: random, evolution, seminas, nao.", missing.Message);

        var greedy = Assert.Single(fromFolders.Strategies);
        Assert.Equal(Path.Combine(SampleFolder, Sample + ".dll"), greedy.SourcePath);
        var twice = Assert.Single(fromFolders.Errors);
        Assert.Equal("greedy", twice.Name);
        Assert.Equal(Path.Combine(copy, Sample + ".dll"), twice.Path);
    }

    // Twelve proposals, one at a time, each scored (its number of 1 bits) before the next is asked for.
    private static async Task<List<Architecture>> Proposals(IStrategyFactory factory, int seed)
    {
        var options = Activator.CreateInstance(factory.OptionsType)!;
        factory.OptionsType.GetProperty("RandomStart")!.SetValue(options, 4);
        var space = new Bits();
        var strategy = factory.Create(options, new StrategyContext
        {
            Space = space, Objective = new Objective("ones"), Seed = seed, IsAdmissible = a => space.IsValid(a, out _),
        });
        var history = new SearchHistory();
        var proposed = new List<Architecture>();
        for (var number = 0; number < 12; number++)
        {
            var architecture = Assert.Single(await strategy.ProposeAsync(1, history));
            history.Add(new TrialView(number, architecture, architecture.ToString(), TrialState.Complete, Bits.Ones(architecture), Feasible: true));
            proposed.Add(architecture);
        }
        return proposed;
    }

    // Bit strings of 12 bits: token 1 is a 0 bit, token 2 a 1 bit.
    private sealed class Bits : ISearchSpace
    {
        public int Length => 12;

        public int VocabularySize => 3;

        public IReadOnlyList<IReadOnlyList<int>> AllowedTokens { get; } = Enumerable.Repeat<IReadOnlyList<int>>([1, 2], 12).ToArray();

        public Architecture Sample(Random random) => new(Enumerable.Range(0, Length).Select(_ => random.Next(1, 3)));

        public bool IsValid(Architecture architecture, out string? reason)
        {
            reason = architecture.Tokens.All(t => t is 1 or 2) ? null : "not a bit string";
            return reason is null;
        }

        public string CanonicalKey(Architecture architecture) => architecture.ToString();

        public string Describe(Architecture architecture) => architecture.ToString();

        public static double Ones(Architecture architecture) => architecture.Tokens.Count(t => t == 2);
    }
}

/// <summary>Strategies that cannot load; only <see cref="PluginCatalog.FromAssemblies"/> given this assembly finds them.</summary>
public static class BrokenStrategies
{
    public sealed class Clashing : IStrategyFactory
    {
        public string Name => "random";

        public string Description => "Would replace the host's random search.";

        public Type OptionsType => typeof(object);

        public ISearchStrategy Create(object options, StrategyContext context) => throw new NotSupportedException();
    }

    public sealed class Throwing : IStrategyFactory
    {
        public Throwing() => throw new InvalidOperationException("no strategy today");

        public string Name => "throwing";

        public string Description => "";

        public Type OptionsType => typeof(object);

        public ISearchStrategy Create(object options, StrategyContext context) => throw new NotSupportedException();
    }

    public sealed class Future : IStrategyFactory
    {
        public string Name => "future";

        public string Description => "Built against a contract this host does not know.";

        public int ContractVersion => 99;

        public Type OptionsType => typeof(object);

        public ISearchStrategy Create(object options, StrategyContext context) => throw new NotSupportedException();
    }
}
