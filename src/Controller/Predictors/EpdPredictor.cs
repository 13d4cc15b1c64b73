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
        trainer.Train(labelled, targets, options.PretrainEpochs, random, cancellationToken);
        if (sampleUnlabelled is null) return ([], []);

        // Drawn only now, after pre-training, as the official loop does (the order of the random draws matters for reproducibility).
        var unlabelled = sampleUnlabelled();
        var pseudo = unlabelled.Count > 0 ? model.Predict(unlabelled) : [];
        var tokens = Enumerable.Repeat(labelled, options.UpSample).SelectMany(x => x).Concat(unlabelled).ToList();
        var values = Enumerable.Repeat(targets, options.UpSample).SelectMany(x => x).Concat(pseudo).ToList();
        trainer.Train(tokens, values, options.TrainEpochs, random, cancellationToken);
        return (unlabelled, pseudo);
    }

    public float[] Predict(IReadOnlyList<IReadOnlyList<int>> architectures) => model.Predict(architectures);

    /// <summary>The model belongs to whoever created it.</summary>
    public void Dispose()
    {
    }
}
