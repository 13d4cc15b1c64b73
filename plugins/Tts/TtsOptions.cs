using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SemiNas.Tts.Data;

namespace SemiNas.Tts;

/// <summary>How a candidate is scored during the search.</summary>
public enum CandidateEvaluation
{
    [Description("The paper's weight-sharing supernet: every evaluation trains the shared weights on architectures drawn from the pool of candidates so far (one per step), then decodes the candidate.")]
    Supernet,

    [Description("Each candidate is trained from scratch for standaloneSteps steps.")]
    Standalone,
}

/// <summary>The metric a search optimises.</summary>
public enum SearchObjective
{
    [Description("The diagonal focus rate of free-running decoding (SemiNAS's reward, maximised).")]
    Dfr,

    [Description("The teacher-forced validation mel loss (masked MSE, minimised): discriminates where DFR saturates near 1.")]
    ValidMelLoss,

    [Description("The reference's weighted reward rewardWeights · [FR, PCR, DFR, -validation loss] (train_search_seminas.py --reward), maximised.")]
    Reward,
}

/// <summary>Which utterances train, validate and test.</summary>
public enum SplitKind
{
    [Description("The paper's low-resource setting: a seeded draw of trainUtterances / validUtterances / testUtterances.")]
    LowResource,

    [Description("Everything not held out for validation and test trains (the robustness setting).")]
    Full,
}

/// <summary>Sizes and schedule of a Transformer-TTS model: the search-time proxy or the final model.</summary>
public sealed class TtsModelOptions : IValidatableObject
{
    [Description("Hidden size (the paper: 64 while searching, 256 for the final model).")]
    [Range(8, 2048)]
    public int Hidden { get; set; } = 64;

    [Description("Width of the decoder prenet's layers (the paper: 32).")]
    [Range(4, 1024)]
    public int PrenetWidth { get; set; } = 32;

    [Description("Dropout inside the layers (the prenet always uses 0.5).")]
    [Range(0.0, 0.9)]
    public double Dropout { get; set; } = 0.1;

    [Description("Mel frames predicted per decoder step: 1 in the paper; 2-4 make CPU runs several times faster.")]
    [Range(1, 8)]
    public int ReductionFactor { get; set; } = 1;

    [Description("Optimizer steps (standalone training or final training).")]
    [Range(1, 10_000_000)]
    public int Steps { get; set; } = 2000;

    [Description("Multiplier m of the inverse-square-root schedule lr = m · hidden^-0.5 · min(step^-0.5, step · warmup^-1.5) (the paper: 2.0).")]
    [Range(1e-4, 100.0)]
    public double LearningRate { get; set; } = 2.0;

    [Description("Warm-up steps of the schedule (the paper: 4000).")]
    [Range(1, 1_000_000)]
    public int WarmupSteps { get; set; } = 4000;

    [Description("Padded mel frames per batch (the paper: up to 31,250 on 4 GPUs; 6400 fits a CPU).")]
    [Range(100, 1_000_000)]
    public int MaxFramesPerBatch { get; set; } = 6400;

    [Description("Final training: steps between checkpoints; each one measures the validation loss, and the model folder keeps the best weights by it (the reference's checkpoint_best.pt) beside the latest.")]
    [Range(1, 1_000_000)]
    public int CheckpointEvery { get; set; } = 500;

    [Description("Weight of the guided-attention loss (DC-TTS), which pulls attention to the diagonal and helps on small data; 0 (default) reproduces the paper.")]
    [Range(0.0, 100.0)]
    public double GuidedAttentionWeight { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Hidden % 8 != 0)
            yield return new ValidationResult($"hidden ({Hidden}) must be a multiple of 8, the most attention heads an operation has.", [nameof(Hidden)]);
    }
}

/// <summary><c>task.options</c> of the tts plugin.</summary>
public sealed class TtsOptions : IValidatableObject
{
    [Description("Folder of an LJSpeech-format corpus (metadata.csv and wavs/), relative to the experiment file. Real LJSpeech, or one made by `seminas tts make-corpus`.")]
    [Required]
    public string Corpus { get; set; } = "";

    [Description("Bad metadata rows and missing or unreadable WAV files: skip (report and leave out, default) or fail.")]
    public BadInputPolicy BadInput { get; set; } = BadInputPolicy.Skip;

    [Description("lowResource (the paper's 1,500/100/100 draw, default) or full.")]
    public SplitKind Split { get; set; } = SplitKind.LowResource;

    [Description("Training utterances of the low-resource split (the paper: 1500).")]
    [Range(1, 1_000_000)]
    public int TrainUtterances { get; set; } = 1500;

    [Description("Validation utterances: the candidates' DFR is measured on them (the paper: 100).")]
    [Range(1, 100_000)]
    public int ValidUtterances { get; set; } = 100;

    [Description("Test utterances: the final intelligibility rate is measured on them (the paper: 100).")]
    [Range(1, 100_000)]
    public int TestUtterances { get; set; } = 100;

    [Description("Seed of the split (the paper: 1).")]
    public int SplitSeed { get; set; } = 1;

    [Description("Hard sentences for the robustness error rate: shipped:hard-sentences.txt (default), a sentence file relative to the experiment file, or empty for none.")]
    public string HardSentences { get; set; } = "shipped:" + SentenceList.ShippedHard;

    [Description("Encoder layers searched (the paper: 6).")]
    [Range(1, 24)]
    public int EncoderLayers { get; set; } = 6;

    [Description("Decoder layers searched (the paper: 6).")]
    [Range(1, 24)]
    public int DecoderLayers { get; set; } = 6;

    [Description("Operations (1..11) every layer may choose; default all 11. [9] leaves only the Transformer-TTS baseline (all self-attention, 4 heads), to train it with the same recipe as a searched architecture.")]
    public List<int> Operations { get; set; } = [.. Enumerable.Range(1, 11)];

    [Description("How a candidate is scored: supernet (the paper, default) or standalone.")]
    public CandidateEvaluation Evaluation { get; set; } = CandidateEvaluation.Supernet;

    [Description("Supernet training steps each evaluation adds, on architectures drawn from the pool of candidates so far.")]
    [Range(0, 1_000_000)]
    public int SupernetStepsPerCandidate { get; set; } = 200;

    [Description("Supernet training per evaluation in epochs of the training split instead of supernetStepsPerCandidate steps (0: use the steps). The reference trains max_epochs × |pool| epochs per controller iteration (max_epochs 10 for the low-resource search): 10 × (100 + 200 + 300 + 400) = 10,000 epochs over 400 candidates, which 25 per candidate matches in total.")]
    [Range(0.0, 100_000.0)]
    public double SupernetEpochsPerCandidate { get; set; }

    [Description("Supernet steps before the first evaluation, each on an architecture drawn uniformly from the whole space, so that the first candidates are not judged on untrained shared weights (0: none).")]
    [Range(0, 1_000_000)]
    public int SupernetWarmupSteps { get; set; }

    [Description("The model while searching: hidden 64 as the paper, steps = standalone training steps.")]
    public TtsModelOptions Search { get; set; } = new();

    [Description("The final model trained by `seminas train`: hidden 256 and 80,000 steps in the paper.")]
    public TtsModelOptions Final { get; set; } = new() { Hidden = 256, Steps = 80_000 };

    [Description("The trial objective: dfr (SemiNAS's reward, default), validMelLoss (teacher-forced validation mel MSE, minimised) or reward (rewardWeights · [FR, PCR, DFR, -validation loss]).")]
    public SearchObjective Objective { get; set; } = SearchObjective.Dfr;

    [Description("With objective: reward, the weights of [focus rate, phone coverage, DFR, validation loss (mel MSE + stop BCE, subtracted)], as the reference's --reward (its default 0 0 1 0 is DFR alone). [0, 0, 1, 1] is DFR minus the validation loss.")]
    public List<double> RewardWeights { get; set; } = [0, 0, 1, 0];

    [Description("Final synthesis (seminas eval) with the reference test script's attention constraint (test.py --attn_constraint, as its run script uses): a first pass finds the focused encoder-decoder heads, then decoding restarts with those heads held to a window that moves monotonically along the phonemes, and stops only near the last phoneme. false decodes freely, stopping on the stop token.")]
    public bool AttentionConstraint { get; set; } = true;

    [Description("Griffin-Lim iterations when voicing mels for the recogniser (the paper: 60).")]
    [Range(1, 1000)]
    public int GriffinLimIterations { get; set; } = 60;

    [Description("Free-running decoding stops at this many times the longest expected length (in frames per phoneme × tokens) when the stop token never fires.")]
    [Range(1.0, 10.0)]
    public double MaxDecodeRatio { get; set; } = 2.0;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Corpus.Trim().Length == 0) yield return new ValidationResult("corpus must name the corpus folder.", [nameof(Corpus)]);
        if (Objective == SearchObjective.Reward && (RewardWeights.Count != 4 || RewardWeights.All(w => w == 0) || RewardWeights.Any(w => !double.IsFinite(w))))
            yield return new ValidationResult("rewardWeights must be 4 finite weights of [focus rate, phone coverage, DFR, validation loss], not all 0.", [nameof(RewardWeights)]);
        if (SplitSeed < 0) yield return new ValidationResult("splitSeed must be at least 0 (numpy's seed is unsigned).", [nameof(SplitSeed)]);
        if (Operations.Count == 0 || Operations.Any(op => op is < 1 or > 11))
            yield return new ValidationResult("operations must list operations among 1..11.", [nameof(Operations)]);
    }
}
