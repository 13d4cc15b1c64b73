using SemiNas.Tts.Audio;
using SemiNas.Tts.Data;
using SemiNas.Tts.Text;
using static TorchSharp.torch;

namespace SemiNas.Tts.Model;

/// <summary>One utterance ready for training: phoneme ids ending with EOS, and its log-mel frames.</summary>
/// <param name="Spoken">Per token: a phoneme or spelled letter (what phone coverage and skip detection count).</param>
/// <param name="Mel">[frames × mels], row-major; empty for text-only sentences (the hard list).</param>
public sealed record TtsExample(string Id, string NormalizedText, int[] Tokens, bool[] Spoken, float[] Mel, int Frames);

/// <summary>A padded batch on the training device.</summary>
public sealed class TtsBatch : IDisposable
{
    public required IReadOnlyList<TtsExample> Examples { get; init; }
    public required Tensor Tokens { get; init; }          // [B, S] int64, 0 = padding
    public required Tensor TokenPadding { get; init; }    // [B, S] bool
    public required Tensor Spoken { get; init; }          // [B, S] bool
    public required Tensor Mel { get; init; }             // [B, F, mels], F a multiple of r
    public required Tensor FramePadding { get; init; }    // [B, F] bool
    public required Tensor StepPadding { get; init; }     // [B, steps] bool
    public required Tensor StopTarget { get; init; }      // [B, steps] float: 1 on the last real step
    public required long[] SourceLengths { get; init; }
    public required long[] StepLengths { get; init; }

    public void Dispose()
    {
        Tokens.Dispose();
        TokenPadding.Dispose();
        Spoken.Dispose();
        Mel.Dispose();
        FramePadding.Dispose();
        StepPadding.Dispose();
        StopTarget.Dispose();
    }
}

/// <summary>Turns a corpus into model inputs and padded batches.</summary>
public static class TtsData
{
    /// <summary>Phonemes and log-mels of utterances, computed once.</summary>
    public static List<TtsExample> Prepare(IEnumerable<Utterance> utterances, PhonemeSet phonemes, MelSpectrogram features,
        CancellationToken cancellationToken = default)
    {
        var examples = new List<TtsExample>();
        foreach (var u in utterances)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var tokens = phonemes.Encode(u.NormalizedText);
            using var mel = features.LogMel(WavIo.ReadMono(u.WavPath, features.Settings.SampleRate));
            examples.Add(new TtsExample(u.Id, u.NormalizedText, tokens, tokens.Select(phonemes.IsSpoken).ToArray(),
                mel.data<float>().ToArray(), (int)mel.shape[0]));
        }
        return examples;
    }

    /// <summary>Text-only examples (no audio), for free-running robustness tests.</summary>
    public static List<TtsExample> TextOnly(IEnumerable<(string Id, string NormalizedText)> sentences, PhonemeSet phonemes) =>
        sentences.Select(s =>
        {
            var tokens = phonemes.Encode(s.NormalizedText);
            return new TtsExample(s.Id, s.NormalizedText, tokens, tokens.Select(phonemes.IsSpoken).ToArray(), [], 0);
        }).ToList();

    /// <summary>
    /// Groups examples into batches of similar length, each holding at most <paramref name="maxFrames"/> padded
    /// frames (at least one example), in a seeded random order.
    /// </summary>
    public static List<List<TtsExample>> Buckets(IReadOnlyList<TtsExample> examples, int maxFrames, Random random)
    {
        var sorted = examples.OrderBy(e => e.Frames).ThenBy(e => random.Next()).ToList();
        var batches = new List<List<TtsExample>>();
        var current = new List<TtsExample>();
        foreach (var e in sorted)
        {
            if (current.Count > 0 && (current.Count + 1) * Math.Max(e.Frames, current.Max(c => c.Frames)) > maxFrames)
            {
                batches.Add(current);
                current = [];
            }
            current.Add(e);
        }
        if (current.Count > 0) batches.Add(current);
        for (var i = batches.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (batches[i], batches[j]) = (batches[j], batches[i]);
        }
        return batches;
    }

    private const int ShapeQuantum = 16;

    private static int RoundUp(int value, int quantum) => (value + quantum - 1) / quantum * quantum;

    public static TtsBatch Collate(IReadOnlyList<TtsExample> examples, int melBins, int reduction, Device device, int? steps = null)
    {
        var b = examples.Count;
        // Lengths are rounded up so that batches share a few shapes: libtorch's CPU kernels (oneDNN) build and cache
        // a plan per shape, and a new shape every step made training several times slower.
        var s = RoundUp(examples.Max(e => e.Tokens.Length), ShapeQuantum);
        var stepLengths = examples.Select(e => (long)Math.Max(1, (e.Frames + reduction - 1) / reduction)).ToArray();
        var maxSteps = steps ?? RoundUp((int)stepLengths.Max(), ShapeQuantum);
        var frames = maxSteps * reduction;

        var tokens = new long[b * s];
        var spoken = new bool[b * s];
        var mel = new float[b * frames * melBins];
        var stop = new float[b * maxSteps];
        for (var i = 0; i < b; i++)
        {
            var e = examples[i];
            for (var j = 0; j < e.Tokens.Length; j++)
            {
                tokens[i * s + j] = e.Tokens[j];
                spoken[i * s + j] = e.Spoken[j];
            }
            Array.Copy(e.Mel, 0, mel, (long)i * frames * melBins, Math.Min(e.Mel.Length, frames * melBins));
            if (stepLengths[i] <= maxSteps) stop[i * maxSteps + stepLengths[i] - 1] = 1;
        }
        var sourceLengths = examples.Select(e => (long)e.Tokens.Length).ToArray();
        var frameLengths = examples.Select(e => (long)e.Frames).ToArray();
        return new TtsBatch
        {
            Examples = examples,
            Tokens = tensor(tokens, device: device).view(b, s),
            TokenPadding = LengthPadding(sourceLengths, s, device),
            Spoken = tensor(spoken, device: device).view(b, s),
            Mel = tensor(mel, device: device).view(b, frames, melBins),
            FramePadding = LengthPadding(frameLengths, frames, device),
            StepPadding = LengthPadding(stepLengths, maxSteps, device),
            StopTarget = tensor(stop, device: device).view(b, maxSteps),
            SourceLengths = sourceLengths,
            StepLengths = stepLengths,
        };
    }

    private static Tensor LengthPadding(long[] lengths, long max, Device device)
    {
        using var scope = NewDisposeScope();
        var l = tensor(lengths, device: device).unsqueeze(1);
        return arange(max, device: device).unsqueeze(0).ge(l).MoveToOuterDisposeScope();
    }
}
