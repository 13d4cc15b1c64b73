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
            _encoder.Add(new SearchableLayer($"encoder{i}", OpsAt(i), h, settings.Dropout, decoder: false));
        _encoderNorm = nn.LayerNorm(h);
        _prenet1 = nn.Linear(settings.MelBins, settings.PrenetWidth);
        _prenet2 = nn.Linear(settings.PrenetWidth, settings.PrenetWidth);
        _prenetOut = nn.Linear(settings.PrenetWidth, h);
        for (var i = 0; i < settings.DecoderLayers; i++)
            _decoder.Add(new SearchableLayer($"decoder{i}", OpsAt(settings.EncoderLayers + i), h, settings.Dropout, decoder: true));
        _decoderNorm = nn.LayerNorm(h);
        _melOut = nn.Linear(h, settings.MelBins * settings.ReductionFactor);
        _stopOut = nn.Linear(h, 1);
        _positions = Sinusoids(4096, h);
        RegisterComponents();
    }

    public TtsModelSettings Settings { get; }

    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>Encodes tokens [B, S] (0 = padding) into [B, S, H].</summary>
    public Tensor Encode(int[] encoderOps, Tensor tokens, Tensor tokenPadding)
    {
        using var scope = NewDisposeScope();
        var x = _embedding.call(tokens) * Math.Sqrt(Settings.Hidden) + Positions(0, tokens.shape[1], tokens.device);
        x = nn.functional.dropout(x, Settings.Dropout, training);
        for (var i = 0; i < _encoder.Count; i++) x = _encoder[i].Encode(encoderOps[i], x, tokenPadding);
        return _encoderNorm.call(x).masked_fill(tokenPadding.unsqueeze(-1), 0).MoveToOuterDisposeScope();
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
    /// <paramref name="stopEarly"/>, stops once every item's stop probability passed one half. Returns the mels, the
    /// stop logits and, per layer, each step's attention row.
    /// Incremental: every decoder layer keeps what it needs of the earlier steps (<see cref="StepCache"/>), so a step
    /// costs the same at the end of a long sentence as at its start, and gives what <see cref="Decode"/> over all the
    /// steps so far gives for its last row (tested). The prenet's dropout mask is drawn once per frame.
    /// </summary>
    public DecoderOutput Generate(int[] encoderOps, int[] decoderOps, Tensor tokens, Tensor tokenPadding, int steps, bool stopEarly)
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
                var x = Prenet(frame) + Positions(step, 1, frame.device);
                x = nn.functional.dropout(x, Settings.Dropout, training);
                for (var l = 0; l < _decoder.Count; l++)
                {
                    var (output, weights) = _decoder[l].Step(decoderOps[l], x, caches[l], memory, tokenPadding);
                    x = output;
                    rows[l].Add(weights.MoveToOuterDisposeScope());
                }
                x = _decoderNorm.call(x);
                var newFrames = _melOut.call(x).view(b, r, Settings.MelBins);
                mels.Add(newFrames.MoveToOuterDisposeScope());
                stops.Add(_stopOut.call(x).squeeze(-1).MoveToOuterDisposeScope());
                frame = newFrames.narrow(1, r - 1, 1).MoveToOuterDisposeScope();
                if (stopEarly && stops[^1].sigmoid().gt(0.5).all().item<bool>()) break;
            }
        }
        finally
        {
            foreach (var cache in caches) cache.Dispose();
        }
        var result = new DecoderOutput(cat(mels, 1), cat(stops, 1), rows.Select(r => cat(r, 2)).ToList());
        result.Mel.MoveToOuterDisposeScope();
        result.StopLogits.MoveToOuterDisposeScope();
        foreach (var a in result.Attention) a.MoveToOuterDisposeScope();
        return result;
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
