using SemiNas.Contracts;
using SemiNas.Controller.Strategies;
using SemiNas.Core;
using SemiNas.Core.Strategies;

namespace SemiNas.Controller.Tests;

/// <summary>
/// The searches whose saved states tests/SemiNas.Controller.Tests/LegacyStates holds, as the code of before the
/// versioned state header wrote them: a restore of those bytes must continue exactly where the search was.
/// </summary>
internal static class LegacyDrive
{
    public sealed class Space : ISearchSpace
    {
        public int Length => 5;

        public int VocabularySize => 5;

        public IReadOnlyList<IReadOnlyList<int>> AllowedTokens { get; } = Enumerable.Repeat<IReadOnlyList<int>>([1, 2, 3, 4], 5).ToList();

        public Architecture Sample(Random random) => new(Enumerable.Range(0, 5).Select(_ => random.Next(1, 5)));

        public bool IsValid(Architecture a, out string? reason)
        {
            reason = a.Length == 5 && a.Tokens.All(t => t is >= 1 and <= 4) ? null : "5 tokens of 1..4";
            return reason is null;
        }

        public string CanonicalKey(Architecture a) => a.ToString();

        public string Describe(Architecture a) => a.ToString();

        public static double Score(Architecture a) => a.Tokens.Select((t, i) => t == i % 4 + 1 ? 1.0 : 0.0).Sum() + 0.1 * a[0];
    }

    public static StrategyContext Context(int seed, Action<StrategyDiagnostics>? reportDiagnostics = null) => new()
    {
        Space = new Space(),
        Objective = new Objective("score"),
        Seed = seed,
        IsAdmissible = a => a[1] != 4,
        ReportDiagnostics = reportDiagnostics,
    };

    public static SemiNasOptions SemiNas() => new()
    {
        InitialSamples = 10, PseudoLabeled = 50, UpSample = 2, Seeds = 5, NewPerIteration = 4,
        Hidden = 8, MlpHidden = 8, PretrainEpochs = 20, TrainEpochs = 5,
    };

    public static ISearchStrategy Create(string name) => name switch
    {
        "random" => new RandomSearch(Context(7)),
        "evolution" => new RegularizedEvolution(Context(7), new RegularizedEvolution.Options { PopulationSize = 6, TournamentSize = 2 }),
        "seminas" => new SemiNasStrategy(SemiNas(), Context(7)),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>Proposes in batches of 2 and completes every proposal at once, until <paramref name="count"/> were proposed.</summary>
    public static List<Architecture> Run(ISearchStrategy strategy, SearchHistory history, int count)
    {
        var proposed = new List<Architecture>();
        while (proposed.Count < count)
        {
            var batch = strategy.Propose(Math.Min(2, count - proposed.Count), history);
            if (batch.Count == 0) break;
            foreach (var a in batch)
            {
                proposed.Add(a);
                history.Add(new TrialView(history.Trials.Count + 1, a, a.ToString(), TrialState.Complete, Space.Score(a), true));
            }
        }
        return proposed;
    }
}
