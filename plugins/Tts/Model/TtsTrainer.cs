using SemiNas.Optim;
using SemiNas.Tts.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.Tts.Model;

/// <summary>How a model is trained.</summary>
public sealed record TrainingSettings
{
    /// <summary>Multiplier of the inverse-square-root schedule: lr = m · H^-0.5 · min(step^-0.5, step · warmup^-1.5).</summary>
    public double LearningRate { get; init; } = 2.0;
    public int WarmupSteps { get; init; } = 4000;
    public int MaxFramesPerBatch { get; init; } = 6400;
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>Stop-token BCE weight of positive (stop) steps, as SemiNAS.</summary>
    public double StopPositiveWeight { get; init; } = 5.0;

    /// <summary>Weight of the guided-attention loss (DC-TTS); 0 reproduces the paper.</summary>
    public double GuidedAttentionWeight { get; init; }

    public double GuidedAttentionSigma { get; init; } = 0.2;
}

/// <summary>Loss parts of one step.</summary>
public readonly record struct StepLoss(double Total, double Mel, double Stop, double Guided);

/// <summary>Attention quality of free-running decoding on a set of sentences.</summary>
public sealed record AttentionEvaluation(double DiagonalFocusRate, double FocusRate, double PhoneCoverage,
    IReadOnlyList<AttentionScores> PerSentence, IReadOnlyList<AttentionFailures> Failures);

/// <summary>
/// Trains a <see cref="TransformerTts"/> (or its supernet, one architecture per step) with masked mel MSE plus
/// stop-token BCE (pos_weight 5), AdamW (0.9, 0.98) on the inverse-square-root schedule and gradient clipping at 1,
/// as SemiNAS; optionally with a guided-attention loss.
/// </summary>
public sealed class TtsTrainer : IDisposable
{
    private readonly CoupledAdam _optimizer;
    private readonly Device _device;

    public TtsTrainer(TransformerTts model, TrainingSettings settings, Device device)
    {
        Model = model;
        Settings = settings;
        _device = device;
        // AdamW without weight decay, which is Adam; ours holds its scalars alive (see CoupledAdam).
        _optimizer = new CoupledAdam([.. model.parameters()], learningRate: 1e-3, weightDecay: 0, beta1: 0.9, beta2: 0.98, epsilon: 1e-9);
    }

    public TransformerTts Model { get; }

    public TrainingSettings Settings { get; }

    /// <summary>Optimizer steps taken so far (the schedule's position).</summary>
    public int StepsDone { get; set; }

    public double LearningRateAt(int step)
    {
        step = Math.Max(1, step);
        return Settings.LearningRate * Math.Pow(Model.Settings.Hidden, -0.5) *
               Math.Min(Math.Pow(step, -0.5), step * Math.Pow(Math.Max(1, Settings.WarmupSteps), -1.5));
    }

    public StepLoss Step(int[] architecture, TtsBatch batch)
    {
        using var scope = NewDisposeScope();
        Model.train();
        var lr = LearningRateAt(StepsDone + 1);
        _optimizer.LearningRate = lr;
        _optimizer.ZeroGrad();
        var (loss, parts) = Loss(architecture, batch);
        loss.backward();
        nn.utils.clip_grad_norm_(Model.parameters(), Settings.ClipNorm);
        _optimizer.Step();
        StepsDone++;
        return parts;
    }

    /// <summary>The teacher-forced loss of a batch (no update).</summary>
    public StepLoss EvaluateLoss(int[] architecture, TtsBatch batch)
    {
        using var scope = NewDisposeScope();
        using var guard = no_grad();
        Model.eval();
        return Loss(architecture, batch).Parts;
    }

    private (Tensor Loss, StepLoss Parts) Loss(int[] architecture, TtsBatch batch)
    {
        var e = Model.Settings.EncoderLayers;
        var (encoderOps, decoderOps) = (architecture[..e], architecture[e..]);
        var memory = Model.Encode(encoderOps, batch.Tokens, batch.TokenPadding);
        using var output = Model.Decode(decoderOps, Model.TeacherInputs(batch.Mel), batch.StepPadding, memory, batch.TokenPadding);

        var frameMask = batch.FramePadding.logical_not().unsqueeze(-1).to(ScalarType.Float32);
        var melLoss = ((output.Mel - batch.Mel).square() * frameMask).sum() / (frameMask.sum() * KeptScalars.Of(Model.Settings.MelBins));

        var stepMask = batch.StepPadding.logical_not().to(ScalarType.Float32);
        var stopLoss = nn.functional.binary_cross_entropy_with_logits(output.StopLogits, batch.StopTarget,
            reduction: nn.Reduction.None, pos_weights: tensor((float)Settings.StopPositiveWeight, device: _device));
        stopLoss = (stopLoss * stepMask).sum() / stepMask.sum();

        var loss = melLoss + stopLoss;
        var guided = 0.0;
        if (Settings.GuidedAttentionWeight > 0)
        {
            var g = GuidedAttentionLoss(output.Attention, batch);
            guided = g.item<float>();
            loss = loss + g * KeptScalars.Of(Settings.GuidedAttentionWeight);
        }
        return (loss.MoveToOuterDisposeScope(), new StepLoss(loss.item<float>(), melLoss.item<float>(), stopLoss.item<float>(), guided));
    }

    // DC-TTS: penalise attention far from the diagonal, W = 1 − exp(−(s/S − t/T)² / 2σ²), over real steps and tokens.
    private Tensor GuidedAttentionLoss(IReadOnlyList<Tensor> attention, TtsBatch batch)
    {
        var steps = batch.StepPadding.shape[1];
        var tokens = batch.TokenPadding.shape[1];
        var t = arange(steps, device: _device, dtype: ScalarType.Float32).view(1, steps, 1) /
                tensor(batch.StepLengths, device: _device).to(ScalarType.Float32).view(-1, 1, 1);
        var s = arange(tokens, device: _device, dtype: ScalarType.Float32).view(1, 1, tokens) /
                tensor(batch.SourceLengths, device: _device).to(ScalarType.Float32).view(-1, 1, 1);
        var sigma = Settings.GuidedAttentionSigma;
        var weight = KeptScalars.Of(1) - exp(-(s - t).square() / KeptScalars.Of(2 * sigma * sigma));
        var mask = batch.StepPadding.logical_not().unsqueeze(2).logical_and(batch.TokenPadding.logical_not().unsqueeze(1)).to(ScalarType.Float32);
        // Per real decoder step, the attention mass off the diagonal (0..1): a mean over all cells would shrink
        // the loss by the number of tokens.
        var rows = batch.StepPadding.logical_not().sum().to(ScalarType.Float32);
        var perLayer = attention.Select(a => (a.mean([1]) * weight * mask).sum() / rows).ToArray();
        return stack(perLayer).mean();
    }

    /// <summary>
    /// Free-running decoding of the sentences for as many steps as their recordings have (SemiNAS sets the decode
    /// length to the target's), then DFR, FR and phone coverage of the most focused head and layer.
    /// </summary>
    public AttentionEvaluation EvaluateAttention(int[] architecture, IReadOnlyList<TtsExample> examples, int batchSize = 16)
    {
        var e = Model.Settings.EncoderLayers;
        var (encoderOps, decoderOps) = (architecture[..e], architecture[e..]);
        var scores = new List<AttentionScores>();
        var failures = new List<AttentionFailures>();
        Model.eval();
        foreach (var chunk in examples.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            using var batch = TtsData.Collate(chunk, Model.Settings.MelBins, Model.Settings.ReductionFactor, _device);
            using var output = Model.Generate(encoderOps, decoderOps, batch.Tokens, batch.TokenPadding, (int)batch.StepLengths.Max(), stopEarly: false);
            var selected = AttentionMetrics.SelectMostFocused(output.Attention);
            scores.AddRange(AttentionMetrics.Compute(selected, batch.SourceLengths, batch.StepLengths, batch.Spoken));
            for (var i = 0; i < chunk.Length; i++)
            {
                var a = selected[i].narrow(0, 0, batch.StepLengths[i]).narrow(1, 0, batch.SourceLengths[i]);
                failures.Add(AttentionMetrics.Failures(a, chunk[i].Spoken));
            }
        }
        return new AttentionEvaluation(scores.Average(s => s.DiagonalFocusRate), scores.Average(s => s.FocusRate),
            scores.Average(s => s.PhoneCoverage), scores, failures);
    }

    public void Save(string path)
    {
        using var writer = new BinaryWriter(File.Create(path));
        _optimizer.Save(writer);
    }

    public void Load(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        _optimizer.Load(reader);
    }

    public void Dispose() => _optimizer.Dispose();
}
