using SemiNas.Controller.Nao;
using SemiNas.Controller.Strategies;
using SemiNas.Core;
using SemiNas.Core.Strategies;

namespace SemiNas.Controller.Predictors;

/// <summary>
/// The paper's predictor: the EPD trained as in seminas-method.md §1 — pre-training on the labelled set, then
/// training on the labelled set up-sampled r times together with the pseudo-labelled set. The model stays the
/// caller's (its decoder also generates candidates); each <see cref="Fit"/> starts a fresh optimiser, as the official code does.
/// </summary>
public sealed class EpdPredictor(EpdModel model, SemiNasOptions options) : IArchitecturePredictor
{
    public EpdModel Model => model;

    /// <summary>The last epoch of the last <see cref="Fit"/>'s pre-training (labelled set only); null without one.</summary>
    public EpdEpochLoss? PretrainLoss { get; private set; }

    /// <summary>The last epoch the last <see cref="Fit"/> trained, pre-training or training on both sets; null without one.</summary>
    public EpdEpochLoss? FinalLoss { get; private set; }

    public (IReadOnlyList<IReadOnlyList<int>> Unlabelled, float[] PseudoLabels) Fit(
        IReadOnlyList<IReadOnlyList<int>> labelled, IReadOnlyList<float> targets,
        Func<IReadOnlyList<IReadOnlyList<int>>>? sampleUnlabelled, Random random, CancellationToken cancellationToken = default)
    {
        var trainer = new EpdTrainer(model, new EpdTrainingSettings
        {
            BatchSize = options.BatchSize,
            LearningRate = options.LearningRate,
            WeightDecay = options.WeightDecay,
        });
        PretrainLoss = FinalLoss = trainer.Train(labelled, targets, options.PretrainEpochs, random, cancellationToken).LastOrNull();
        if (sampleUnlabelled is null) return ([], []);

        // Drawn only now, after pre-training, as the official loop does (the order of the random draws matters for reproducibility).
        var unlabelled = sampleUnlabelled();
        var pseudo = unlabelled.Count > 0 ? model.Predict(unlabelled) : [];
        var tokens = Enumerable.Repeat(labelled, options.UpSample).SelectMany(x => x).Concat(unlabelled).ToList();
        var values = Enumerable.Repeat(targets, options.UpSample).SelectMany(x => x).Concat(pseudo).ToList();
        FinalLoss = trainer.Train(tokens, values, options.TrainEpochs, random, cancellationToken).LastOrNull() ?? FinalLoss;
        return (unlabelled, pseudo);
    }

    public float[] Predict(IReadOnlyList<IReadOnlyList<int>> architectures) => model.Predict(architectures);

    /// <summary>The model belongs to whoever created it.</summary>
    public void Dispose()
    {
    }
}

internal static class EpochLosses
{
    public static EpdEpochLoss? LastOrNull(this IReadOnlyList<EpdEpochLoss> losses) => losses.Count > 0 ? losses[^1] : null;
}
