using System.Diagnostics;
using SemiNas.Controller;
using SemiNas.Controller.Nao;
using SemiNas.Core;

namespace SemiNas.Host.Benchmarks;

/// <summary>One timed figure of the controller, next to the official PyTorch code's on the same kind of machine.</summary>
public sealed record ControllerTiming(string Name, double MedianSeconds, double[] Samples, double ReferenceSeconds)
{
    /// <summary>How many times faster than the reference (above 1 is faster).</summary>
    public double Speedup => ReferenceSeconds / MedianSeconds;
}

/// <summary>
/// The three controller costs that dominate a SemiNAS search, in the NAS-Bench-101 NeurIPS setting (V 7, L 27,
/// H 64, MLP 2×16): one training epoch over 21,000 sequences, pseudo-labelling 10,000, and one generation sweep
/// of 100 seeds. The references were measured with the official code on PyTorch 1.13.1, 2 threads, on a 2-core
/// machine of the kind this project builds on (shared docs: reference-runs.md §3).
/// </summary>
public static class ControllerBench
{
    public const double ReferenceEpochSeconds = 13.4;
    public const double ReferencePseudoLabelSeconds = 1.5;
    public const double ReferenceGenerationSeconds = 0.04;

    public static IReadOnlyList<ControllerTiming> Run(int repetitions = 3, int trainSequences = 21_000)
    {
        var random = new SeededRandom(1);
        var settings = EpdSettings.NasBench101;
        List<IReadOnlyList<int>> Sequences(int count) => Enumerable.Range(0, count)
            .Select(_ => (IReadOnlyList<int>)Enumerable.Range(0, settings.Length).Select(_ => random.Next(1, settings.VocabularySize)).ToArray())
            .ToList();
        var train = Sequences(trainSequences);
        var targets = train.Select(_ => (float)(random.NextDouble() * 2 - 1)).ToList();
        var unlabelled = Sequences(10_000);
        var seeds = unlabelled.Take(100).ToList();
        var allowed = Enumerable.Range(0, settings.Length)
            .Select(_ => (IReadOnlyCollection<int>)Enumerable.Range(1, settings.VocabularySize - 1).ToArray()).ToList();

        using var model = new EpdModel(settings, seed: 1);
        var trainer = new EpdTrainer(model);
        return
        [
            Time("train epoch (21,000 sequences)", ReferenceEpochSeconds, repetitions, () => trainer.Train(train, targets, 1, random)),
            Time("pseudo-label 10,000 sequences", ReferencePseudoLabelSeconds, repetitions, () => model.Predict(unlabelled)),
            Time("generation sweep (100 seeds)", ReferenceGenerationSeconds, repetitions, () => model.Generate(seeds, 1.0, allowed)),
        ];
    }

    private static ControllerTiming Time(string name, double reference, int repetitions, Action action)
    {
        action(); // warm-up: first-call allocations and lazy initialisation
        var samples = new double[repetitions];
        for (var i = 0; i < repetitions; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            samples[i] = clock.Elapsed.TotalSeconds;
        }
        var sorted = samples.Order().ToArray();
        return new ControllerTiming(name, sorted[sorted.Length / 2], samples, reference);
    }
}
