using SemiNas.Contracts;
using SemiNas.Core;

namespace SemiNas.Samples.MinimalStrategy;

/// <summary>
/// Proposes neighbours of the best architecture found so far (a few positions changed to other allowed tokens), after
/// a start of random draws. Every random choice comes from one generator seeded by the experiment, so a search is
/// repeated exactly by its seed.
/// </summary>
public sealed class GreedySearch(GreedyOptions options, StrategyContext context) : ISearchStrategy
{
    // Neighbours tried before giving up on the best architecture for this proposal and drawing at random instead.
    private const int MutationTries = 100;

    private readonly SeededRandom _random = new(context.Seed);

    public Task<IReadOnlyList<Architecture>> ProposeAsync(int maxCount, SearchHistory history, CancellationToken cancellationToken = default)
    {
        var batchKeys = new HashSet<string>(StringComparer.Ordinal);
        // The host evaluates only admissible architectures it has not seen: valid, within the constraints, and new
        // by canonical key (equivalent architectures share a key), counting this batch too.
        bool Accept(Architecture candidate)
        {
            if (!context.IsAdmissible(candidate)) return false;
            var key = context.Space.CanonicalKey(candidate);
            return !history.ContainsKey(key) && batchKeys.Add(key);
        }

        var best = history.Trials.Count >= options.RandomStart ? Best(history) : null;
        var proposals = new List<Architecture>(maxCount);
        while (proposals.Count < maxCount)
        {
            var next = (best is null ? null : Mutate(best, Accept))
                       ?? SpaceSampling.Draw(context.Space, _random, 1, Accept).FirstOrDefault();
            // Nothing new anywhere: an empty answer with nothing pending ends the search.
            if (next is null) break;
            proposals.Add(next);
        }
        return Task.FromResult<IReadOnlyList<Architecture>>(proposals);
    }

    private Architecture? Best(SearchHistory history)
    {
        var sign = context.Objective.Goal == MetricGoal.Maximize ? 1 : -1;
        return history.Scored.MaxBy(t => sign * t.Objective!.Value)?.Architecture;
    }

    private Architecture? Mutate(Architecture best, Func<Architecture, bool> accept)
    {
        for (var attempt = 0; attempt < MutationTries; attempt++)
        {
            var tokens = best.Tokens.ToArray();
            for (var changed = 0; changed < options.MutatedPositions; changed++)
            {
                var position = _random.Next(tokens.Length);
                var allowed = context.Space.AllowedTokens[position];
                tokens[position] = allowed[_random.Next(allowed.Count)];
            }
            var candidate = new Architecture(tokens);
            if (accept(candidate)) return candidate;
        }
        return null;
    }

    // The best architecture and the start are read from the history the host passes in, so the generator is all the
    // state there is: restoring it makes a resumed search propose what the uninterrupted one would have.
    public byte[] SaveState() => _random.SaveState();

    public void RestoreState(ReadOnlySpan<byte> state) => _random.Restore(state);
}
