using SemiNas.Optim;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiNas.Tts.Model;

/// <summary>Sizes of a Transformer-TTS model.</summary>
public sealed record TtsModelSettings
{
    public int Vocabulary { get; init; }
    public int Hidden { get; init; } = 64;
    public int EncoderLayers { get; init; } = 6;
    public int DecoderLayers { get; init; } = 6;
    public int MelBins { get; init; } = 80;
    public int PrenetWidth { get; init; } = 32;
    public double Dropout { get; init; } = 0.1;

    /// <summary>Dropout of the decoder prenet, on at inference too (Tacotron's trick against teacher-forcing collapse).</summary>
    public double PrenetDropout { get; init; } = 0.5;

    /// <summary>Frames predicted per decoder step (1 in the paper; more makes CPU runs faster).</summary>
    public int ReductionFactor { get; init; } = 1;

    /// <summary>
    /// Each decoder operation has its own encoder–decoder attention, as the reference (true for every model built
    /// now); false, the default for manifests that predate the field, shares one per head count.
    /// </summary>
    public bool CrossAttentionPerOperation { get; init; }
}

/// <summary>What the decoder produced.</summary>
/// <param name="Mel">[B, frames, mels] (frames = steps × reduction factor).</param>
/// <param name="StopLogits">[B, steps].</param>
/// <param name="Attention">Per decoder layer, the encoder–decoder attention [B, heads, steps, S].</param>
public sealed record DecoderOutput(Tensor Mel, Tensor StopLogits, IReadOnlyList<Tensor> Attention) : IDisposable
{
    public void Dispose()
    {
        Mel.Dispose();
        StopLogits.Dispose();
        foreach (var a in Attention) a.Dispose();
    }
}

/// <summary>
/// The SemiNAS backbone (tts/model.py): an autoregressive encoder–decoder in the style of Transformer TTS. Phone
/// embedding plus sinusoidal positions, searched encoder layers, LayerNorm; a prenet on the previous frame plus
/// positions, searched decoder layers each with its own encoder–decoder attention, LayerNorm, then a linear layer to
/// the mel frames and one to the stop logit. No postnet. The same class is the weight-sharing supernet (every layer
/// holds all 11 operations) and a standalone model (each layer holds its own).
/// </summary>
public sealed class TransformerTts : nn.Module
{
    private readonly Embedding _embedding;
    private readonly ModuleList<SearchableLayer> _encoder = new();
    private readonly LayerNorm _encoderNorm;
    private readonly Linear _prenet1;
    private readonly Linear _prenet2;
    private readonly Linear _prenetOut;
    private readonly ModuleList<SearchableLayer> _decoder = new();
    private readonly LayerNorm _decoderNorm;
    private readonly Linear _melOut;
    private readonly Linear _stopOut;
    private readonly Tensor _positions;

    /// <param name="architecture">The standalone model's operations, or null for the supernet.</param>
    public TransformerTts(TtsModelSettings settings, int[]? architecture) : base("transformer_tts")
    {
        Settings = settings;
        var h = settings.Hidden;
        if (architecture is not null && architecture.Length != settings.EncoderLayers + settings.DecoderLayers)
            throw new ArgumentException($"The architecture has {architecture.Length} layers; the model has {settings.EncoderLayers} + {settings.DecoderLayers}.");
        IEnumerable<int> OpsAt(int position) => architecture is null ? Enumerable.Range(1, TtsOperations.Count) : [architecture[position]];

        _embedding = nn.Embedding(settings.Vocabulary, h, padding_idx: 0);
        for (var i = 0; i < settings.EncoderLayers; i++)
            _encoder.Add(new SearchableLayer($"encoder{i}", OpsAt(i), h, settings.Dropout, decoder: false, settings.CrossAttentionPerOperation));
        _encoderNorm = nn.LayerNorm(h);
        _prenet1 = nn.Linear(settings.MelBins, settings.PrenetWidth);
        _prenet2 = nn.Linear(settings.PrenetWidth, settings.PrenetWidth);
        _prenetOut = nn.Linear(settings.PrenetWidth, h);
        for (var i = 0; i < settings.DecoderLayers; i++)
            _decoder.Add(new SearchableLayer($"decoder{i}", OpsAt(settings.EncoderLayers + i), h, settings.Dropout, decoder: true, settings.CrossAttentionPerOperation));
        _decoderNorm = nn.LayerNorm(h);
        _melOut = nn.Linear(h, settings.MelBins * settings.ReductionFactor);
        _stopOut = nn.Linear(h, 1);
        _positions = Sinusoids(4096, h);
        RegisterComponents();
    }

    public TtsModelSettings Settings { get; }

    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>
    /// Whether free-running synthesis that stops on its own (<see cref="Generate"/> with stopEarly) uses the reference
    /// test script's attention constraint (test.py --attn_constraint, which its run script passes); see
    /// <see cref="GenerateConstrained"/>. Not saved with the model: an inference setting.
    /// </summary>
    public bool AttentionConstraint { get; set; } = true;

    /// <summary>Steps of free decoding before the constrained decode restarts (tasks.py's stage_change_step).</summary>
    public const int ConstraintProbeSteps = 50;

    /// <summary>Encodes tokens [B, S] (0 = padding) into [B, S, H].</summary>
    public Tensor Encode(int[] encoderOps, Tensor tokens, Tensor tokenPadding)
    {
        using var scope = NewDisposeScope();
        var x = _embedding.call(tokens) * KeptScalars.Of(Math.Sqrt(Settings.Hidden)) + Positions(0, tokens.shape[1], tokens.device);
        x = nn.functional.dropout(x, Settings.Dropout, training);
        for (var i = 0; i < _encoder.Count; i++) x = _encoder[i].Encode(encoderOps[i], x, tokenPadding);
        return _encoderNorm.call(x).masked_fill(tokenPadding.unsqueeze(-1), KeptScalars.Of(0)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Runs the decoder on given inputs (teacher forcing, or the frames generated so far): <paramref name="previous"/>
    /// is [B, steps, mels], the last frame of each previous step (zeros first).
    /// </summary>
    public DecoderOutput Decode(int[] decoderOps, Tensor previous, Tensor stepPadding, Tensor memory, Tensor memoryPadding)
    {
        using var scope = NewDisposeScope();
        var x = Prenet(previous) + Positions(0, previous.shape[1], previous.device);
        x = nn.functional.dropout(x, Settings.Dropout, training);
        var attention = new List<Tensor>(_decoder.Count);
        for (var i = 0; i < _decoder.Count; i++)
        {
            var (output, weights) = _decoder[i].Decode(decoderOps[i], x, stepPadding, memory, memoryPadding);
            x = output;
            attention.Add(weights.MoveToOuterDisposeScope());
        }
        x = _decoderNorm.call(x);
        var (b, steps) = (previous.shape[0], previous.shape[1]);
        var mel = _melOut.call(x).view(b, steps * Settings.ReductionFactor, Settings.MelBins);
        var stop = _stopOut.call(x).squeeze(-1);
        return new DecoderOutput(mel.MoveToOuterDisposeScope(), stop.MoveToOuterDisposeScope(), attention);
    }

    /// <summary>Teacher-forced decoder inputs from target frames [B, frames, mels] (frames a multiple of r).</summary>
    public Tensor TeacherInputs(Tensor targets)
    {
        using var scope = NewDisposeScope();
        var r = Settings.ReductionFactor;
        var (b, frames, mels) = (targets.shape[0], targets.shape[1], targets.shape[2]);
        var lastOfStep = targets.view(b, frames / r, r, mels).select(2, r - 1);
        var start = zeros(b, 1, mels, device: targets.device);
        return cat([start, lastOfStep.narrow(1, 0, frames / r - 1)], 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Free-running decoding of <paramref name="steps"/> steps: each step feeds the last generated frame back. When
    /// <paramref name="stopEarly"/>, stops once every item's stop probability passed one half, or, with
    /// <see cref="AttentionConstraint"/>, decodes as <see cref="GenerateConstrained"/>. Returns the mels, the stop
    /// logits and, per layer, each step's attention row.
    /// Incremental: every decoder layer keeps what it needs of the earlier steps (<see cref="StepCache"/>), so a step
    /// costs the same at the end of a long sentence as at its start, and gives what <see cref="Decode"/> over all the
    /// steps so far gives for its last row (tested). The prenet's dropout mask is drawn once per frame.
    /// </summary>
    public DecoderOutput Generate(int[] encoderOps, int[] decoderOps, Tensor tokens, Tensor tokenPadding, int steps, bool stopEarly) =>
        stopEarly && AttentionConstraint
            ? GenerateConstrained(encoderOps, decoderOps, tokens, tokenPadding, steps)
            : GenerateFree(encoderOps, decoderOps, tokens, tokenPadding, steps, stopEarly);

    private DecoderOutput GenerateFree(int[] encoderOps, int[] decoderOps, Tensor tokens, Tensor tokenPadding, int steps, bool stopEarly)
    {
        using var scope = NewDisposeScope();
        using var guard = no_grad();
        var memory = Encode(encoderOps, tokens, tokenPadding);
        var b = tokens.shape[0];
        var r = Settings.ReductionFactor;
        var frame = zeros(b, 1, Settings.MelBins, device: tokens.device);
        var mels = new List<Tensor>();
        var stops = new List<Tensor>();
        var rows = Enumerable.Range(0, _decoder.Count).Select(_ => new List<Tensor>()).ToArray();
        var caches = _decoder.Select(_ => new StepCache()).ToArray();
        try
        {
            for (var step = 0; step < steps; step++)
            {
                using var stepScope = NewDisposeScope();
                var (frames, stop, attention) = Step(decoderOps, frame, step, caches, memory, tokenPadding, null);
                for (var l = 0; l < rows.Length; l++) rows[l].Add(attention[l].MoveToOuterDisposeScope());
                mels.Add(frames.MoveToOuterDisposeScope());
                stops.Add(stop.MoveToOuterDisposeScope());
                frame = frames.narrow(1, r - 1, 1).MoveToOuterDisposeScope();
                if (stopEarly && stop.sigmoid().gt(0.5).all().item<bool>()) break;
            }
        }
        finally
        {
            foreach (var cache in caches) cache.Dispose();
        }
        return Escape(new DecoderOutput(cat(mels, 1), cat(stops, 1), rows.Select(x => cat(x, 2)).ToList()));
    }

    /// <summary>
    /// The reference's constrained synthesis (tasks.py infer_batch with --attn_constraint). A first pass decodes
    /// freely for <see cref="ConstraintProbeSteps"/> steps and marks, per decoder layer, the heads whose attention is
    /// sharp (the mean over sentences and steps of each row's largest weight above 0.6). Decoding then restarts, and
    /// those heads may only look at the window [p − 1, p + 3] around a position p that starts at the first phoneme
    /// and moves one phoneme on when the marked heads' mean weight at p over the last three steps falls below 0.7
    /// while their latest row peaks beyond p. A sentence ends only when its stop token fires with p within five
    /// tokens of its end, which is what the returned stop logits say (negative before, positive from then on).
    /// As in the reference the window for a step comes from p before the previous step moved it. When no head is
    /// sharp (where the reference divides by zero and runs to the step limit) the decoding is the unconstrained one.
    /// </summary>
    private DecoderOutput GenerateConstrained(int[] encoderOps, int[] decoderOps, Tensor tokens, Tensor tokenPadding, int steps)
    {
        using var scope = NewDisposeScope();
        using var guard = no_grad();
        const double sharp = 0.6, stay = 0.7;
        const int window = 4, tailTokens = 5, recentSteps = 3;
        Tensor[] marked;
        using (var probe = GenerateFree(encoderOps, decoderOps, tokens, tokenPadding, Math.Min(ConstraintProbeSteps, steps), stopEarly: false))
            marked = probe.Attention.Select(a => a.max(-1).values.mean([0, 2]).gt(sharp)).ToArray();  // [heads] per layer
        var markedCount = marked.Sum(m => m.sum().item<long>());
        if (markedCount == 0) return Escape(GenerateFree(encoderOps, decoderOps, tokens, tokenPadding, steps, stopEarly: true));

        var memory = Encode(encoderOps, tokens, tokenPadding);
        var (b, sources) = (tokens.shape[0], tokens.shape[1]);
        var r = Settings.ReductionFactor;
        var device = tokens.device;
        var lengths = tokenPadding.logical_not().sum(1);                  // tokens with the end-of-sentence one, as tasks.py
        var columns = arange(sources, device: device).unsqueeze(0);       // [1, S]
        var weights = marked.Select(m => m.to(ScalarType.Float32).view(1, -1, 1)).ToArray();
        var position = zeros(b, ScalarType.Int64, device);
        var ended = zeros(b, ScalarType.Bool, device);
        var frame = zeros(b, 1, Settings.MelBins, device: device);
        var masks = Masks(position);
        var recent = new Queue<Tensor>();
        var mels = new List<Tensor>();
        var stops = new List<Tensor>();
        var rows = Enumerable.Range(0, _decoder.Count).Select(_ => new List<Tensor>()).ToArray();
        var caches = _decoder.Select(_ => new StepCache()).ToArray();
        try
        {
            for (var step = 0; step < steps; step++)
            {
                using var stepScope = NewDisposeScope();
                var (frames, stop, attention) = Step(decoderOps, frame, step, caches, memory, tokenPadding, masks);
                var logit = stop.select(1, 0);
                ended = ended.logical_or(position.ge(lengths - tailTokens).logical_and(logit.sigmoid().gt(0.5))).MoveToOuterDisposeScope();
                stops.Add(where(ended, logit.clamp_min(0.01), logit.clamp_max(-0.01)).unsqueeze(1).MoveToOuterDisposeScope());
                for (var l = 0; l < rows.Length; l++) rows[l].Add(attention[l].MoveToOuterDisposeScope());
                mels.Add(frames.MoveToOuterDisposeScope());
                frame = frames.narrow(1, r - 1, 1).MoveToOuterDisposeScope();
                masks = Masks(position).Select(m => m.MoveToOuterDisposeScope()).ToArray();

                // The marked heads of every layer, averaged: [B, S].
                var focus = attention.Select((a, l) => (a.select(2, 0) * weights[l]).sum(1)).Aggregate((x, y) => x + y) / markedCount;
                recent.Enqueue(focus.MoveToOuterDisposeScope());
                if (recent.Count > recentSteps) recent.Dequeue();
                if (step + 1 > 3)
                {
                    var held = stack(recent.ToArray()).mean([0]).gather(1, position.unsqueeze(1)).squeeze(1);
                    var moveOn = held.lt(stay).logical_and(focus.argmax(1).gt(position));
                    position = (position + moveOn.to(ScalarType.Int64)).MoveToOuterDisposeScope();
                }
                if (ended.all().item<bool>()) break;
            }
        }
        finally
        {
            foreach (var cache in caches) cache.Dispose();
        }
        return Escape(new DecoderOutput(cat(mels, 1), cat(stops, 1), rows.Select(x => cat(x, 2)).ToList()));

        // [B, heads, S] per layer: true outside the window, on the marked heads only.
        Tensor[] Masks(Tensor at)
        {
            var outside = columns.lt((at - 1).clamp_min(0).unsqueeze(1)).logical_or(columns.ge((at + window).unsqueeze(1)));
            return marked.Select(m => outside.unsqueeze(1).logical_and(m.view(1, -1, 1))).ToArray();
        }
    }

    /// <summary>One decoder step from the previous frame [B, 1, mels]: new frames [B, r, mels], stop logit [B, 1], each layer's attention [B, heads, 1, S].</summary>
    private (Tensor Frames, Tensor Stop, Tensor[] Attention) Step(int[] decoderOps, Tensor frame, int step, StepCache[] caches, Tensor memory,
        Tensor memoryPadding, Tensor[]? constraints)
    {
        var x = Prenet(frame) + Positions(step, 1, frame.device);
        x = nn.functional.dropout(x, Settings.Dropout, training);
        var attention = new Tensor[_decoder.Count];
        for (var l = 0; l < _decoder.Count; l++)
            (x, attention[l]) = _decoder[l].Step(decoderOps[l], x, caches[l], memory, memoryPadding, constraints?[l]);
        x = _decoderNorm.call(x);
        return (_melOut.call(x).view(frame.shape[0], Settings.ReductionFactor, Settings.MelBins), _stopOut.call(x).squeeze(-1), attention);
    }

    private static DecoderOutput Escape(DecoderOutput output)
    {
        output.Mel.MoveToOuterDisposeScope();
        output.StopLogits.MoveToOuterDisposeScope();
        foreach (var a in output.Attention) a.MoveToOuterDisposeScope();
        return output;
    }

    // The prenet's dropout stays on at inference, as in Tacotron and SemiNAS.
    private Tensor Prenet(Tensor previous)
    {
        var x = nn.functional.dropout(nn.functional.relu(_prenet1.call(previous)), Settings.PrenetDropout, true);
        x = nn.functional.dropout(nn.functional.relu(_prenet2.call(x)), Settings.PrenetDropout, true);
        return _prenetOut.call(x);
    }

    private Tensor Positions(long start, long length, Device device)
    {
        if (start + length > _positions.shape[0]) throw new ArgumentException($"sequences are limited to {_positions.shape[0]} positions, got {start + length}.");
        return _positions.narrow(0, start, length).to(device).unsqueeze(0);
    }

    // tensor2tensor's sinusoids, as fairseq's SinusoidalPositionalEmbedding (sin half, then cos half).
    private static Tensor Sinusoids(int length, int dim)
    {
        using var scope = NewDisposeScope();
        var half = dim / 2;
        var rate = exp(arange(half, dtype: ScalarType.Float32) * -(Math.Log(10000) / Math.Max(1, half - 1)));
        var angles = arange(1, length + 1, dtype: ScalarType.Float32).unsqueeze(1) * rate.unsqueeze(0);
        var table = cat([sin(angles), cos(angles)], 1);
        if (dim % 2 == 1) table = cat([table, zeros(length, 1)], 1);
        return table.MoveToOuterDisposeScope();
    }
}
