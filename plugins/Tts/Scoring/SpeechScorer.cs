using SemiNas.Tts.Audio;
using SemiNas.Tts.Data;
using SemiNas.Tts.Text;
using static TorchSharp.torch;

namespace SemiNas.Tts.Scoring;

/// <summary>A log-mel spectrogram to be voiced and scored.</summary>
/// <param name="LogMel">[frames, mels], the paper's scaling.</param>
/// <param name="Attention">Attention failures found while decoding it, for a model's output.</param>
public sealed record MelToScore(string Id, string NormalizedText, Tensor LogMel, AttentionFailures? Attention = null);

/// <summary>Settings of the voicing and recognition pipeline.</summary>
public sealed record ScoringSettings
{
    /// <summary>Griffin-Lim iterations (SemiNAS: 60).</summary>
    public int GriffinLimIterations { get; init; } = 60;

    /// <summary>Magnitude exponent before Griffin-Lim: 1.0 for the recogniser (1.5 ruins it; tts-notes §3.2).</summary>
    public double Power { get; init; } = 1.0;

    /// <summary>Standard deviation of Gaussian noise added to the log-mel before voicing, to fake a worse model.</summary>
    public double NoiseSigma { get; init; }

    public int Seed { get; init; } = 1;

    /// <summary>Where to write the voiced WAV files (corpus rate), or null.</summary>
    public string? WavDirectory { get; init; }
}

/// <summary>
/// The final-metric pipeline: log-mel → Griffin-Lim → 16 kHz → pocketsphinx with a bigram language model of the
/// corpus text → WER, CER, intelligibility and robustness error rates. Run on the recordings' own mels it gives the
/// ceiling any model can reach through the same vocoder and recogniser.
/// </summary>
public sealed class SpeechScorer(MelSpectrogram features, PocketSphinx recognizer, CmuDict dictionary)
{
    public MelSpectrogram Features { get; } = features;

    public PocketSphinx Recognizer { get; } = recognizer;

    /// <summary>
    /// A language model of the given texts (normalised), typically the whole corpus plus the hard sentences: the
    /// recogniser then verifies the expected words rather than transcribing open English.
    /// </summary>
    public static BigramLanguageModel LanguageModel(IEnumerable<string> normalizedTexts) =>
        new(normalizedTexts.Select(TextNormalizer.Words));

    public async Task<IntelligibilityReport> ScoreAsync(IReadOnlyList<MelToScore> items, BigramLanguageModel languageModel,
        ScoringSettings settings, CancellationToken cancellationToken = default)
    {
        var rate = Features.Settings.SampleRate;
        var voiced = new List<(string Id, float[] Samples)>(items.Count);
        using var generator = new Generator((ulong)settings.Seed);
        foreach (var item in items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var mel = item.LogMel;
            if (settings.NoiseSigma > 0)
                mel = clamp(mel + randn(mel.shape, generator: generator) * settings.NoiseSigma, -4, 4);
            var samples = GriffinLim.LogMelToWaveform(Features, mel, settings.GriffinLimIterations, settings.Power, settings.Seed);
            if (settings.WavDirectory is { } folder) WavIo.WriteMono16(Path.Combine(folder, item.Id + ".wav"), samples, rate);
            voiced.Add((item.Id, samples));
        }
        var recognitions = await Recognizer.RecognizeAsync(voiced, rate, languageModel, dictionary, cancellationToken).ConfigureAwait(false);
        var attention = items.Where(i => i.Attention is not null).ToDictionary(i => i.Id, i => i.Attention!.Value, StringComparer.Ordinal);
        return IntelligibilityReport.Score(items.Select(i => (i.Id, i.NormalizedText)).ToList(), recognitions, attention);
    }

    /// <summary>The recordings' own log-mels, as a model would have to produce them.</summary>
    public IReadOnlyList<MelToScore> GroundTruthMels(IEnumerable<Utterance> utterances) =>
        utterances.Select(u => new MelToScore(u.Id, u.NormalizedText, Features.LogMel(WavIo.ReadMono(u.WavPath, Features.Settings.SampleRate)))).ToList();
}
