using SemiNas.Contracts;

namespace SemiNas.Controller.Strategies;

/// <summary>Uniform random search without repetition: the baseline every other strategy must beat.</summary>
public sealed class RandomSearch : ISearchStrategy
{
    // Consecutive draws that may fail (already seen, or inadmissible) before the space counts as exhausted.
    private const int MaxFailedDraws = 100_000;

    private readonly StrategyContext _context;
    private readonly SeededRandom _random;

    public RandomSearch(StrategyContext context)
    {
        _context = context;
        _random = new SeededRandom(context.Seed);
    }

    public IReadOnlyList<Architecture> Propose(int maxCount, SearchHistory history)
    {
        var batch = new List<Architecture>(maxCount);
        var batchKeys = new HashSet<string>(StringComparer.Ordinal);
        var failures = 0;
        while (batch.Count < maxCount && failures < MaxFailedDraws)
        {
            var candidate = _context.Space.Sample(_random);
            var key = _context.Space.CanonicalKey(candidate);
            if (history.ContainsKey(key) || batchKeys.Contains(key) || !_context.IsAdmissible(candidate))
            {
                failures++;
                continue;
            }
            failures = 0;
            batchKeys.Add(key);
            batch.Add(candidate);
        }
        return batch;
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
