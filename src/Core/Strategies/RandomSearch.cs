using SemiNas.Contracts;

namespace SemiNas.Core.Strategies;

/// <summary>Uniform random search without repetition: the baseline every other strategy must beat.</summary>
public sealed class RandomSearch : ISearchStrategy
{
    private const string Name = "random";
    private const int StateVersion = 1;

    private readonly StrategyContext _context;
    private readonly SeededRandom _random;

    public RandomSearch(StrategyContext context)
    {
        _context = context;
        _random = new SeededRandom(context.Seed);
    }

    public Task<IReadOnlyList<Architecture>> ProposeAsync(int maxCount, SearchHistory history, CancellationToken cancellationToken = default) =>
        Task.FromResult(Propose(maxCount, history));

    private IReadOnlyList<Architecture> Propose(int maxCount, SearchHistory history) =>
        SpaceSampling.Draw(_context.Space, _random, maxCount, new ProposalFilter(_context, history).TryAdmit);

    public byte[] SaveState() => StrategyState.Write(Name, StateVersion, writer => writer.Write(_random.SaveState()));

    // The state of before the header (version 1 without it) is the bare random generator.
    public void RestoreState(ReadOnlySpan<byte> state) =>
        StrategyState.Read(state, Name, StateVersion, ReadRandom, ReadRandom);

    private void ReadRandom(BinaryReader reader) => _random.Restore(reader.ReadBytes(SeededRandom.StateSize));

    public sealed class Options;

    public sealed class Factory : IStrategyFactory
    {
        public string Name => RandomSearch.Name;

        public string Description => "Uniform random sampling without repetition (by canonical key).";

        public Type OptionsType => typeof(Options);

        public ISearchStrategy Create(object options, StrategyContext context) => new RandomSearch(context);
    }
}
