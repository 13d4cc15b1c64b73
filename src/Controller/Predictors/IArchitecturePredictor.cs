using SemiNas.Core;
namespace SemiNas.Controller.Predictors;

/// <summary>
/// An accuracy predictor in the SemiNAS loop: it learns from evaluated architectures, labels unevaluated ones for
/// free, and learns again from both. The EPD (<see cref="EpdPredictor"/>) is the paper's; another model (e.g. the
/// gradient-boosted trees of the same authors' GBDT-NAS) can take its place for pseudo-labelling and ranking.
/// </summary>
public interface IArchitecturePredictor : IDisposable
{
    /// <summary>
    /// One iteration's training: learn <paramref name="labelled"/> (normalised targets, higher is better); then,
    /// when <paramref name="sampleUnlabelled"/> is given, draw the unlabelled architectures, predict them and learn
    /// labelled and pseudo-labelled together. Returns the unlabelled architectures with their pseudo-labels.
    /// </summary>
    (IReadOnlyList<IReadOnlyList<int>> Unlabelled, float[] PseudoLabels) Fit(
        IReadOnlyList<IReadOnlyList<int>> labelled, IReadOnlyList<float> targets,
        Func<IReadOnlyList<IReadOnlyList<int>>>? sampleUnlabelled, Random random, CancellationToken cancellationToken = default);

    /// <summary>Predicted (normalised) scores, higher is better.</summary>
    float[] Predict(IReadOnlyList<IReadOnlyList<int>> architectures);
}
