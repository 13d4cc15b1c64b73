using SemiNas.Core;
namespace SemiNas.Controller.Nao;

/// <summary>What the predictor applies to its last linear layer.</summary>
public enum PredictorActivation
{
    /// <summary>Raw output, for z-scored targets (official NB101 code [A]).</summary>
    None,

    /// <summary>Sigmoid, for min-max targets in [0, 1] (v1/v2 code [B], ImageNet, TTS).</summary>
    Sigmoid,
}

/// <summary>
/// Shape and loss weight of the NAO encoder–predictor–decoder (seminas-method.md §2). The encoder and decoder
/// LSTMs both have one layer of <see cref="Hidden"/> units, because the decoder starts from h0 = c0 = the
/// architecture embedding, which only works with equal sizes and one layer.
/// </summary>
/// <param name="VocabularySize">Tokens 0..V-1; token 0 is the decoder's start symbol.</param>
/// <param name="Length">Tokens per architecture (encoder and decoder length).</param>
/// <param name="Hidden">H: embedding size = LSTM hidden size = architecture-embedding size.</param>
/// <param name="MlpLayers">Linear layers of the residual predictor MLP (H→Hm, Hm→Hm…, Hm→H).</param>
/// <param name="MlpHidden">Hm: width of the predictor MLP.</param>
public sealed record EpdSettings(int VocabularySize, int Length, int Hidden, int MlpLayers, int MlpHidden)
{
    public double Dropout { get; init; } = 0.1;

    public PredictorActivation OutputActivation { get; init; } = PredictorActivation.None;

    /// <summary>λ of loss = λ·MSE + (1−λ)·NLL ("trade_off" in the official code).</summary>
    public double Lambda { get; init; } = 0.8;

    /// <summary>Official NB101 NeurIPS setting [A]: 123,928 parameters.</summary>
    public static EpdSettings NasBench101 => new(7, 27, 64, 2, 16);

    /// <summary>Official ImageNet setting: 10,361 parameters.</summary>
    public static EpdSettings ImageNet => new(8, 21, 16, 2, 64) { OutputActivation = PredictorActivation.Sigmoid };

    /// <summary>NAS-Bench-201 setting of the reference runs (reference-runs.md §4.1): 8,679 parameters.</summary>
    public static EpdSettings NasBench201 => new(6, 6, 16, 2, 16);

    public void Validate()
    {
        if (VocabularySize < 2) throw new ArgumentException($"VocabularySize must be at least 2 (start symbol + one token), not {VocabularySize}.");
        if (Length < 1) throw new ArgumentException($"Length must be positive, not {Length}.");
        if (Hidden < 1) throw new ArgumentException($"Hidden must be positive, not {Hidden}.");
        if (MlpLayers < 1) throw new ArgumentException($"MlpLayers must be at least 1, not {MlpLayers}.");
        if (MlpHidden < 1) throw new ArgumentException($"MlpHidden must be positive, not {MlpHidden}.");
        // With one layer the MLP is the single Linear(H, Hm), whose output is added to the H-wide residual.
        if (MlpLayers == 1 && MlpHidden != Hidden)
            throw new ArgumentException($"With one MLP layer MlpHidden must equal Hidden ({Hidden}), not {MlpHidden}.");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"Dropout must be in [0, 1), not {Dropout}.");
        if (!(Lambda >= 0 && Lambda <= 1)) throw new ArgumentException($"Lambda must be in [0, 1], not {Lambda}.");
        if (!Enum.IsDefined(OutputActivation)) throw new ArgumentException($"Unknown output activation {OutputActivation}.");
    }
}

/// <summary>Optimisation settings of one training phase (seminas-method.md §2.3); the defaults are the official ones.</summary>
public sealed record EpdTrainingSettings
{
    public int BatchSize { get; init; } = 100;

    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Coupled L2 (torch.optim.Adam's weight_decay), not AdamW's decoupled decay.</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Maximum global gradient L2 norm (clip_grad_norm_).</summary>
    public double GradientClip { get; init; } = 5.0;

    public void Validate()
    {
        if (BatchSize < 1) throw new ArgumentException($"BatchSize must be positive, not {BatchSize}.");
        if (!(LearningRate > 0)) throw new ArgumentException($"LearningRate must be positive, not {LearningRate}.");
        if (!(WeightDecay >= 0)) throw new ArgumentException($"WeightDecay must be non-negative, not {WeightDecay}.");
        if (!(GradientClip > 0)) throw new ArgumentException($"GradientClip must be positive, not {GradientClip}.");
    }
}
