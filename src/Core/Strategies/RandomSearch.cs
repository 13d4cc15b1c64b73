using SemiNas.Contracts;

namespace SemiNas.Core.Strategies;

/// <summary>Uniform random search without repetition: the baseline every other strategy must beat.</summary>
public sealed class RandomSearch : ISearchStrategy
{
    private readonly StrategyContext _context;
    private readonly SeededRandom _random;

    public RandomSearch(StrategyContext context)
    {
        _context = context;
        _random = new SeededRandom(context.Seed);
    }

    public Task<IReadOnlyList<Architecture>> ProposeAsync(int maxCount, SearchHistory history, CancellationToken cancellationToken = default) =>
        Task.FromResult(Propose(maxCount, history));

    private IReadOnlyList<Architecture> Propose(int maxCount, SearchHistory history)
    {
        var batchKeys = new HashSet<string>(StringComparer.Ordinal);
        return SpaceSampling.Draw(_context.Space, _random, maxCount, candidate =>
        {
            var key = _context.Space.CanonicalKey(candidate);
            return !history.ContainsKey(key) && _context.IsAdmissible(candidate) && batchKeys.Add(key);
        });
    }

    public byte[] SaveState() => _random.SaveState();

    public void RestoreState(ReadOnlySpan<byte> state) => _random.Restore(state);

    public sealed class Options;

    public sealed class Factory : IStrategyFactory
    {
        public string Name => "random";

        public string Description => "Uniform random sampling without repetition (by canonical key).";

        public Type OptionsType => typeof(Options);

        public ISearchStrategy Create(object options, StrategyContext context) => new RandomSearch(context);
    }
}
