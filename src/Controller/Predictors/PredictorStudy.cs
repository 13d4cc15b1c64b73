using System.Diagnostics;
using SemiNas.Contracts;
using SemiNas.Controller.Strategies;
using SemiNas.Core;
using SemiNas.Core.Strategies;

namespace SemiNas.Controller.Predictors;

/// <summary>How well the predictor ranked held-out architectures after one training.</summary>
public sealed record PredictorQuality(double KendallTau, double Spearman, int Labelled, int PseudoLabelled, int HeldOut, double Seconds);

/// <summary>
/// The predictor-quality experiment of the paper (§4.1): train the SemiNAS predictor once on N evaluated
/// architectures — with M pseudo-labelled ones, or without (NAO) — and rank architectures it never saw.
/// </summary>
public static class PredictorStudy
{
    /// <param name="labelled">Evaluated architectures and their objective values (the training set).</param>
    /// <param name="heldOut">Architectures and true objective values to rank.</param>
    /// <param name="options">The controller's options; <see cref="SemiNasOptions.PseudoLabeled"/> fresh architectures of the space are pseudo-labelled.</param>
    public static PredictorQuality Run(SemiNasOptions options, ISearchSpace space, Objective objective,
        IReadOnlyList<(Architecture Architecture, double Value)> labelled,
        IReadOnlyList<(Architecture Architecture, double Value)> heldOut, int seed)
    {
        var clock = Stopwatch.StartNew();
        var random = new SeededRandom(seed);
        using var model = SemiNasStrategy.CreateModel(options, space, seed);
        var predictor = new EpdPredictor(model, options);
        var targets = SemiNasStrategy.Targets(options, objective, labelled.Select(l => l.Value).ToArray());
        var known = labelled.Select(l => space.CanonicalKey(l.Architecture)).ToHashSet(StringComparer.Ordinal);
        Func<IReadOnlyList<IReadOnlyList<int>>>? sampleUnlabelled = options.PseudoLabeled > 0
            ? () => SampleUnlabelled(space, options.PseudoLabeled, known, random)
            : null;
        var (unlabelled, _) = predictor.Fit(labelled.Select(l => l.Architecture.Tokens).ToList(), targets, sampleUnlabelled, random);

        var predicted = predictor.Predict(heldOut.Select(h => h.Architecture.Tokens).ToList()).Select(p => (double)p).ToArray();
        // Targets are "higher is better", so a minimised objective is ranked by its negation.
        var sign = objective.Goal == MetricGoal.Maximize ? 1.0 : -1.0;
        var truth = heldOut.Select(h => sign * h.Value).ToArray();
        return new PredictorQuality(RankCorrelation.KendallTau(predicted, truth), RankCorrelation.Spearman(predicted, truth),
            labelled.Count, unlabelled.Count, heldOut.Count, clock.Elapsed.TotalSeconds);
    }

    // Fresh architectures of the whole space (evaluable or not: they are only predicted), none of them labelled, none twice.
    private static List<IReadOnlyList<int>> SampleUnlabelled(ISearchSpace space, int count, HashSet<string> known, SeededRandom random)
    {
        var seen = new HashSet<string>(known, StringComparer.Ordinal);
        return SpaceSampling.DrawUnlabelled(space, random, count, a => seen.Add(space.CanonicalKey(a)))
            .Select(a => a.Tokens).ToList();
    }
}
