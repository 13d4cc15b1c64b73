using SemiNas.Core;
namespace SemiNas.Controller.Strategies;

/// <summary>The paper's settings by name (seminas-method.md §2.4), for <c>search.options.preset</c>.</summary>
public enum SemiNasPreset
{
    /// <summary>No preset: the option defaults, which are the NAS-Bench-101 NeurIPS setting.</summary>
    None,
    /// <summary>NAS-Bench-101, NeurIPS paper (code [A]): N 1,100, M 10,000, r 10, 3 × 300 new, K 100, H 64, MLP 2×16, 1,000/500 epochs.</summary>
    Nb101Neurips,
    /// <summary>NAS-Bench-101, arXiv v1/v2 (code [B]): N 100, M 10,000, r 100, 2 × 100 new, K 100, H 16, MLP 2×64, 10,000/1,000 epochs, min-max and sigmoid.</summary>
    Nb101V1,
    /// <summary>ImageNet: N 100, M 4,000, no up-sampling, 3 × 100 new, K 100, H 16, MLP 2×64, 10,000/1,000 epochs, min-max and sigmoid, η 0.1, 0.2, ….</summary>
    ImageNet,
    /// <summary>
    /// Text to speech, tts/train_search_seminas.py's defaults (its run scripts override none): N 100 (--controller_seed_arch),
    /// M 4,000 (--controller_random_arch), no up-sampling, 3 iterations × 100 new, K 100, H 16, MLP 2×64, dropout 0.1,
    /// λ 0.8, 10,000/1,000 epochs, batch 100, lr 1e-3, weight decay 1e-4, min-max targets with a sigmoid, η 0.1, 0.2, …
    /// up to 100: the ImageNet values. Two differences stay: the reference's controller is AdamW (decoupled decay),
    /// this one Adam with coupled L2 at the same 1e-4; and the reference seeds generation from the 100 lowest
    /// targets (an ascending sort), where the preset takes the best, as the paper says (seedSelection: lowest
    /// reproduces the code).
    /// </summary>
    Tts,
    /// <summary>The official code's NAS-Bench-201 run: N 50, M 1,000, r 10, 5 × 10 new, K 100, H 16, MLP 2×16, 1,000/500 epochs.</summary>
    Nb201,
}

/// <summary>Applies a <see cref="SemiNasPreset"/>: every option the preset names is set; the rest keep their value.</summary>
public static class SemiNasPresets
{
    public static void Apply(SemiNasOptions o, SemiNasPreset preset)
    {
        if (preset == SemiNasPreset.None) return;
        // Common to every setting of the paper.
        (o.Dropout, o.Lambda, o.Seeds, o.BatchSize, o.LearningRate, o.WeightDecay) = (0.1, 0.8, 100, 100, 1e-3, 1e-4);
        (o.MaxStepSize, o.SeedSelection, o.SeedSource, o.CandidateSelection, o.MlpLayers) =
            (100, SeedSelection.Best, SeedSource.All, CandidateSelection.FirstFound, 2);
        switch (preset)
        {
            case SemiNasPreset.Nb101Neurips:
                (o.InitialSamples, o.PseudoLabeled, o.UpSample, o.NewPerIteration) = (1100, 10_000, 10, 300);
                (o.Hidden, o.MlpHidden, o.PretrainEpochs, o.TrainEpochs) = (64, 16, 1000, 500);
                (o.Normalization, o.OutputActivation, o.StepSize) = (TargetNormalization.ZScore, Nao.PredictorActivation.None, 1);
                break;
            case SemiNasPreset.Nb101V1:
                (o.InitialSamples, o.PseudoLabeled, o.UpSample, o.NewPerIteration) = (100, 10_000, 100, 100);
                (o.Hidden, o.MlpHidden, o.PretrainEpochs, o.TrainEpochs) = (16, 64, 10_000, 1000);
                (o.Normalization, o.OutputActivation, o.StepSize) = (TargetNormalization.MinMax, Nao.PredictorActivation.Sigmoid, 1);
                break;
            case SemiNasPreset.ImageNet or SemiNasPreset.Tts:
                (o.InitialSamples, o.PseudoLabeled, o.UpSample, o.NewPerIteration) = (100, 4000, 1, 100);
                (o.Hidden, o.MlpHidden, o.PretrainEpochs, o.TrainEpochs) = (16, 64, 10_000, 1000);
                (o.Normalization, o.OutputActivation, o.StepSize) = (TargetNormalization.MinMax, Nao.PredictorActivation.Sigmoid, 0.1);
                break;
            case SemiNasPreset.Nb201:
                (o.InitialSamples, o.PseudoLabeled, o.UpSample, o.NewPerIteration) = (50, 1000, 10, 10);
                (o.Hidden, o.MlpHidden, o.PretrainEpochs, o.TrainEpochs) = (16, 16, 1000, 500);
                (o.Normalization, o.OutputActivation, o.StepSize) = (TargetNormalization.ZScore, Nao.PredictorActivation.None, 1);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(preset), preset, null);
        }
        if (o is NaoOptions) o.PseudoLabeled = 0;
    }
}
