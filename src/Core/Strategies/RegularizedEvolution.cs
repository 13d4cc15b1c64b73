using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SemiNas.Contracts;

namespace SemiNas.Core.Strategies;

/// <summary>
/// Regularized (aging) evolution, Real et al. 2019: a population of <see cref="Options.PopulationSize"/> architectures,
/// first drawn uniformly at random; each child is a one-token mutation of the best of a tournament of
/// <see cref="Options.TournamentSize"/> members sampled without replacement; a completed child joins the population
/// and the oldest member leaves it.
/// </summary>
/// <remarks>
/// <para>Each architecture is evaluated once, so a mutation that lands on an architecture already in the history is
/// a free cache hit, as in the reference protocol: a known result joins the population without an evaluation and the
/// strategy mutates again; a pending, failed or infeasible one is skipped. Failed and infeasible trials never join the
/// population.</para>
/// <para>Asynchronous: with several free workers it proposes several children from the current population; children
/// join it as their results arrive (several results that arrive between two calls join in proposal order).</para>
/// <para>A call that proposes nothing leaves the state untouched, because the host only saves the state with a
/// batch of proposals: that way a resumed search makes exactly the choices an uninterrupted one would.</para>
/// </remarks>
public sealed class RegularizedEvolution : ISearchStrategy
{
    // Mutations (cache hits included) tried for one child before falling back to a random architecture; far above
    // what a space with room left needs, and it keeps a fully explored neighbourhood from looping forever.
    private const int MaxMutationAttempts = 1_000;

    private const string Name = "evolution";
    private const int StateVersion = 1;

    private readonly StrategyContext _context;
    private readonly int _populationSize;
    private readonly int _tournamentSize;

    // Positions with at least two allowed tokens: the only ones a mutation can change.
    private readonly int[] _mutablePositions;

    // The saved state: random generator, population (oldest first) and our proposals whose results were not seen yet.
    private readonly SeededRandom _random;
    private readonly List<Member> _population = [];
    private List<string> _outstanding = [];

    // Derived from the history only (never saved): canonical key -> index in history.Trials, extended incrementally.
    private SearchHistory? _indexedHistory;
    private int _indexedCount;
    private readonly Dictionary<string, int> _indexByKey = new(StringComparer.Ordinal);

    public RegularizedEvolution(StrategyContext context, Options options)
    {
        if (options.PopulationSize < 1) throw new ArgumentException("populationSize must be at least 1.", nameof(options));
        if (options.TournamentSize < 1 || options.TournamentSize > options.PopulationSize)
            throw new ArgumentException("tournamentSize must be between 1 and populationSize.", nameof(options));
        _context = context;
        _populationSize = options.PopulationSize;
        _tournamentSize = options.TournamentSize;
        _mutablePositions = Enumerable.Range(0, context.Space.Length)
            .Where(p => context.Space.AllowedTokens[p].Distinct().Count() >= 2)
            .ToArray();
        _random = new SeededRandom(context.Seed);
    }

    /// <summary>A member of the population: an evaluated architecture and its objective value.</summary>
    public sealed record Member(Architecture Architecture, double Objective);

    /// <summary>The population as of the last call to <see cref="Propose"/>, oldest first.</summary>
    public IReadOnlyList<Member> Population => _population;

    public Task<IReadOnlyList<Architecture>> ProposeAsync(int maxCount, SearchHistory history, CancellationToken cancellationToken = default) =>
        Task.FromResult(Propose(maxCount, history));

    private IReadOnlyList<Architecture> Propose(int maxCount, SearchHistory history)
    {
        if (maxCount <= 0) return [];
        var before = SaveState();
        IndexHistory(history);
        AbsorbResults(history);

        var batch = new List<Architecture>(maxCount);
        var filter = new ProposalFilter(_context, history);
        if (_population.Count < _populationSize)
        {
            // Initial random sample (and replacements for failed ones); never more in flight than the population
            // still lacks, so the evolution starts from exactly P random members as in the reference protocol.
            var missing = _populationSize - _population.Count - _outstanding.Count;
            while (batch.Count < Math.Min(maxCount, missing))
            {
                if (!TryDrawRandom(filter, out var architecture, out var key)) break;
                Accept(architecture, key);
            }
        }
        else
        {
            while (batch.Count < maxCount)
            {
                if (!TryMutate(history, filter, out var architecture, out var key) &&
                    !TryDrawRandom(filter, out architecture, out key))
                {
                    break;
                }
                Accept(architecture, key);
            }
        }

        // Nothing proposed means the host saves nothing: undo the random draws and cache hits of this call so that
        // the next call starts from the state the host would restore.
        if (batch.Count == 0) Load(before);
        return batch;

        void Accept(Architecture architecture, string key)
        {
            batch.Add(architecture);
            _outstanding.Add(key);
        }
    }

    public byte[] SaveState() => StrategyState.Write(Name, StateVersion, writer =>
    {
        writer.Write(_random.SaveState());
        writer.Write(_population.Count);
        foreach (var member in _population)
        {
            writer.Write(member.Architecture.Length);
            foreach (var token in member.Architecture.Tokens) writer.Write(token);
            writer.Write(member.Objective);
        }
        writer.Write(_outstanding.Count);
        foreach (var key in _outstanding) writer.Write(key);
    });

    public void RestoreState(ReadOnlySpan<byte> state)
    {
        Load(state);
        // The next history may be another object (a resumed host builds a new one): index it afresh.
        _indexedHistory = null;
    }

    private void Load(ReadOnlySpan<byte> state) => StrategyState.Read(state, Name, StateVersion, ReadBody, ReadLegacy);

    // Before the header, the state was the same body behind its own format number 1.
    private void ReadLegacy(BinaryReader reader)
    {
        var format = reader.ReadInt32();
        if (format != 1) throw new InvalidDataException($"unknown state format {format}");
        ReadBody(reader);
    }

    private void ReadBody(BinaryReader reader)
    {
        // Read whole before anything changes, so that a damaged state leaves the strategy as it was.
        var random = reader.ReadBytes(SeededRandom.StateSize);
        var population = new List<Member>();
        for (var count = ReadCount(reader); count > 0; count--)
        {
            var tokens = new int[ReadCount(reader)];
            for (var i = 0; i < tokens.Length; i++) tokens[i] = reader.ReadInt32();
            population.Add(new Member(new Architecture(tokens), reader.ReadDouble()));
        }
        var outstanding = new List<string>();
        for (var count = ReadCount(reader); count > 0; count--) outstanding.Add(reader.ReadString());
        // Here and not only in StrategyState.Read, which checks after this method has already changed the strategy.
        if (reader.BaseStream.Position != reader.BaseStream.Length) throw new InvalidDataException("trailing bytes");

        _random.Restore(random);
        _population.Clear();
        _population.AddRange(population);
        _outstanding = outstanding;

        static int ReadCount(BinaryReader reader)
        {
            var count = reader.ReadInt32();
            return count >= 0 ? count : throw new InvalidDataException($"negative count {count}");
        }
    }

    private void IndexHistory(SearchHistory history)
    {
        // The host keeps one history and only appends to it or updates trials in place, so the index only grows.
        if (!ReferenceEquals(history, _indexedHistory) || history.Trials.Count < _indexedCount)
        {
            _indexedHistory = history;
            _indexedCount = 0;
            _indexByKey.Clear();
        }
        for (; _indexedCount < history.Trials.Count; _indexedCount++)
            _indexByKey[history.Trials[_indexedCount].CanonicalKey] = _indexedCount;
    }

    private TrialView? Find(SearchHistory history, string key) =>
        _indexByKey.TryGetValue(key, out var index) ? history.Trials[index] : null;

    private static bool HasResult(TrialView trial) =>
        trial is { Status: TrialState.Complete, Feasible: true, Objective: { } value } && double.IsFinite(value);

    /// <summary>Moves our finished proposals into the population (results) or drops them (failed, infeasible).</summary>
    private void AbsorbResults(SearchHistory history)
    {
        var stillPending = new List<string>();
        foreach (var key in _outstanding)
        {
            // A proposal the host never recorded is forgotten rather than waited for forever.
            var trial = Find(history, key);
            if (trial is null) continue;
            if (trial.IsPending) stillPending.Add(key);
            else if (HasResult(trial)) Enter(new Member(trial.Architecture, trial.Objective!.Value));
        }
        _outstanding = stillPending;
    }

    /// <summary>Appends a member and removes the oldest ones beyond the population size (aging, not the worst).</summary>
    private void Enter(Member member)
    {
        _population.Add(member);
        if (_population.Count > _populationSize) _population.RemoveRange(0, _population.Count - _populationSize);
    }

    private bool TryMutate(SearchHistory history, ProposalFilter filter, out Architecture child, out string key)
    {
        for (var attempt = 0; attempt < MaxMutationAttempts && _mutablePositions.Length > 0; attempt++)
        {
            child = Mutate(Tournament().Architecture);
            switch (filter.Admit(child, out var admittedKey))
            {
                case Admission.Admitted:
                    key = admittedKey!;
                    return true;
                case Admission.Known when Find(history, admittedKey!) is { } known && HasResult(known):
                    // Already evaluated: a free cache hit that still joins the population (reference protocol).
                    Enter(new Member(child, known.Objective!.Value));
                    break;
            }
        }
        child = null!;
        key = null!;
        return false;
    }

    /// <summary>The best of <see cref="Options.TournamentSize"/> members sampled without replacement.</summary>
    private Member Tournament()
    {
        var indices = Enumerable.Range(0, _population.Count).ToArray();
        var size = Math.Min(_tournamentSize, indices.Length);
        Member? best = null;
        for (var i = 0; i < size; i++)
        {
            // Partial Fisher-Yates: indices[..i+1] is a uniform sample without replacement.
            var j = i + _random.Next(indices.Length - i);
            (indices[i], indices[j]) = (indices[j], indices[i]);
            var member = _population[indices[i]];
            if (best is null || _context.Objective.IsBetter(member.Objective, best.Objective)) best = member;
        }
        return best!;
    }

    /// <summary>One position chosen uniformly, set to a different token chosen uniformly among its allowed tokens.</summary>
    private Architecture Mutate(Architecture parent)
    {
        var tokens = parent.Tokens.ToArray();
        var position = _mutablePositions[_random.Next(_mutablePositions.Length)];
        var current = tokens[position];
        var others = _context.Space.AllowedTokens[position].Where(t => t != current).Distinct().ToArray();
        tokens[position] = others[_random.Next(others.Length)];
        return new Architecture(tokens);
    }

    private bool TryDrawRandom(ProposalFilter filter, out Architecture architecture, out string key)
    {
        for (var failures = 0; failures < SpaceSampling.MaxFailedDraws; failures++)
        {
            architecture = _context.Space.Sample(_random);
            if (filter.Admit(architecture, out var admittedKey) == Admission.Admitted)
            {
                key = admittedKey!;
                return true;
            }
        }
        architecture = null!;
        key = null!;
        return false;
    }

    /// <summary><c>search.options</c> of the evolution strategy.</summary>
    public sealed class Options : IValidatableObject
    {
        [Description("Architectures in the population (default 20): the first ones are drawn at random, then each " +
                     "completed child joins and the oldest member leaves.")]
        [Range(1, 100_000)]
        public int PopulationSize { get; set; } = 20;

        [Description("Members sampled without replacement for each tournament (default 5); the best one is mutated. " +
                     "At most populationSize; larger means greedier.")]
        [Range(1, 100_000)]
        public int TournamentSize { get; set; } = 5;

        public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
        {
            if (TournamentSize > PopulationSize)
            {
                yield return new ValidationResult(
                    $"tournamentSize ({TournamentSize}) must not exceed populationSize ({PopulationSize}).", [nameof(TournamentSize)]);
            }
        }
    }

    public sealed class Factory : IStrategyFactory
    {
        public string Name => RegularizedEvolution.Name;

        public string Description =>
            "Regularized (aging) evolution (Real et al. 2019): tournament selection, one-token mutation, oldest member removed.";

        public Type OptionsType => typeof(Options);

        public ISearchStrategy Create(object options, StrategyContext context) => new RegularizedEvolution(context, (Options)options);
    }
}
