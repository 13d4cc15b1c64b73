using SemiNas.Contracts;
using SemiNas.Tts.Audio;
using SemiNas.Tts.Data;
using SemiNas.Tts.Text;
using static TorchSharp.torch;

namespace SemiNas.Tts.Scoring;

/// <summary>A log-mel spectrogram to be scored.</summary>
/// <param name="LogMel">[frames, mels], the paper's scaling.</param>
/// <param name="Attention">Attention failures found while decoding it, for a model's output.</param>
/// <param name="Reference">The recording's own log-mel, for MCD; null when there is no recording (hard sentences).</param>
public sealed record MelToScore(string Id, string NormalizedText, Tensor LogMel, AttentionFailures? Attention = null, Tensor? Reference = null);

/// <summary>Settings of the voicing and recognition pipeline.</summary>
public sealed record ScoringSettings
{
    /// <summary>Griffin-Lim iterations (SemiNAS: 60).</summary>
    public int GriffinLimIterations { get; init; } = 60;

    /// <summary>Magnitude exponent before Griffin-Lim: 1.0 for the recogniser (1.5 ruins it; tts-notes §3.2).</summary>
    public double Power { get; init; } = 1.0;

    /// <summary>Standard deviation of Gaussian noise added to the log-mel before scoring, to fake a worse model.</summary>
    public double NoiseSigma { get; init; }

    public int Seed { get; init; } = 1;

    /// <summary>Where to write the voiced WAV files (corpus rate), or null.</summary>
    public string? WavDirectory { get; init; }

    /// <summary>Run pocketsphinx with its general model (the open-vocabulary figures).</summary>
    public bool OpenVocabulary { get; init; } = true;

    /// <summary>Run pocketsphinx's phone loop (PER).</summary>
    public bool Phones { get; init; } = true;

    /// <summary>
    /// A closed-set language model for a secondary figure; it must be built only from sentences that are not scored
    /// (e.g. the training split), or null.
    /// </summary>
    public BigramLanguageModel? ClosedSet { get; init; }
}

/// <summary>
/// The final-metric pipeline. A log-mel (a model's, or a recording's own for the ceiling), optionally with noise, is
/// (1) read directly by the in-domain CTC recogniser, (2) compared with the recording by MCD-DTW, and (3) voiced by
/// Griffin-Lim → 16 kHz → pocketsphinx with its general model and dictionary (open vocabulary) and its phone loop
/// (PER). No model used here has seen the scored sentences: the CTC recogniser learnt from the training split only,
/// and pocketsphinx's models are Debian's.
/// </summary>
public sealed class SpeechScorer(MelSpectrogram features, PocketSphinx recognizer, CmuDict dictionary, CtcRecognizer? inDomain = null)
{
    public MelSpectrogram Features { get; } = features;

    public PocketSphinx Recognizer { get; } = recognizer;

    public CtcRecognizer? InDomain { get; } = inDomain;

    /// <summary>A bigram language model of the given texts (normalised), for <see cref="ScoringSettings.ClosedSet"/>.</summary>
    public static BigramLanguageModel LanguageModel(IEnumerable<string> normalizedTexts) =>
        new(normalizedTexts.Select(TextNormalizer.Words));

    /// <param name="progress">Told of the slow parts, Griffin-Lim and pocketsphinx, as stages named after <paramref name="label"/>.</param>
    /// <param name="label">What is scored, e.g. "test sentences", for the stages' names.</param>
    public async Task<EvaluationReport> ScoreAsync(IReadOnlyList<MelToScore> items, ScoringSettings settings,
        CancellationToken cancellationToken = default, IProgress<CommandProgress>? progress = null, string label = "scoring")
    {
        var references = items.Select(i => (i.Id, i.NormalizedText)).ToList();
        var attention = items.Where(i => i.Attention is not null).ToDictionary(i => i.Id, i => i.Attention!.Value, StringComparer.Ordinal);
        var mels = new List<Tensor>(items.Count);
        try
        {
            using (var generator = new Generator((ulong)settings.Seed))
                foreach (var item in items)
                    mels.Add(settings.NoiseSigma > 0
                        ? clamp(item.LogMel + randn(item.LogMel.shape, generator: generator) * settings.NoiseSigma, -4, 4).DetachFromDisposeScope()
                        : item.LogMel.alias().DetachFromDisposeScope());

            IntelligibilityReport? inDomain = null;
            if (InDomain?.Decoding.LanguageModel is { } lm && items.FirstOrDefault(i => lm.Holds(i.NormalizedText)) is { } leaked)
                throw new InvalidOperationException(
                    $"'{leaked.Id}' says the same words as a training sentence, which the in-domain recogniser's language model was built from; " +
                    "its score would be a leak. Remove the duplicate from the corpus, or decode greedily (--greedy).");
            if (InDomain is { } ctc)
                inDomain = IntelligibilityReport.Score(references, ctc.Recognize(items.Select((item, i) => (item.Id, mels[i])).ToList()), attention);

            var withReference = items.Select((item, i) => (item.Reference, Mel: mels[i])).Where(p => p.Reference is not null).ToList();
            double? mcd = withReference.Count > 0 ? withReference.Average(p => MelCepstralDistortion.Compute(p.Mel, p.Reference!)) : null;

            var decodings = new List<SphinxDecoding>();
            if (settings.OpenVocabulary) decodings.Add(SphinxDecoding.OpenVocabulary);
            if (settings.Phones) decodings.Add(SphinxDecoding.PhoneLoop);
            if (settings.ClosedSet is { } closed) decodings.Add(SphinxDecoding.Closed(closed, dictionary));
            IntelligibilityReport? open = null, closedSet = null;
            PhoneReport? phones = null;
            if (decodings.Count > 0)
            {
                var rate = Features.Settings.SampleRate;
                var voiced = new List<(string Id, float[] Samples)>(items.Count);
                progress?.Report(new CommandProgress($"{label}: Griffin-Lim", 0, items.Count) { Unit = "sentences" });
                for (var i = 0; i < items.Count; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var samples = GriffinLim.LogMelToWaveform(Features, mels[i], settings.GriffinLimIterations, settings.Power, settings.Seed);
                    if (settings.WavDirectory is { } folder) WavIo.WriteMono16(Path.Combine(folder, items[i].Id + ".wav"), samples, rate);
                    voiced.Add((items[i].Id, samples));
                    progress?.Report(new CommandProgress($"{label}: Griffin-Lim", i + 1, items.Count) { Unit = "sentences" });
                }
                // pocketsphinx decodes them all at once in separate processes: a stage without steps, ended when it returns.
                var sphinx = new CommandProgress($"{label}: pocketsphinx", 0, items.Count)
                    { Unit = "sentences", Message = string.Join(", ", decodings.Select(d => d.Name)) };
                progress?.Report(sphinx);
                var heard = await Recognizer.RecognizeAsync(voiced, rate, decodings, cancellationToken).ConfigureAwait(false);
                progress?.Report(sphinx with { Done = items.Count });
                if (heard.TryGetValue(SphinxDecoding.OpenVocabulary.Name, out var o)) open = IntelligibilityReport.Score(references, o, attention);
                if (heard.TryGetValue(SphinxDecoding.PhoneLoop.Name, out var p)) phones = PhoneReport.Score(references, p, dictionary);
                if (settings.ClosedSet is not null && heard.TryGetValue("closed", out var c)) closedSet = IntelligibilityReport.Score(references, c, attention);
            }

            var robustness = EvaluationReport.Robust(items.Count, items.Select(i => i.Attention).ToList(), inDomain, open);
            return new EvaluationReport(items.Count, open, inDomain, phones, closedSet, mcd, robustness);
        }
        finally
        {
            foreach (var mel in mels) mel.Dispose();
        }
    }

    /// <summary>The recordings' own log-mels, as a model would have to produce them; each is its own MCD reference.</summary>
    public IReadOnlyList<MelToScore> GroundTruthMels(IEnumerable<Utterance> utterances) =>
        utterances.Select(u =>
        {
            var mel = Features.LogMel(WavIo.ReadMono(u.WavPath, Features.Settings.SampleRate));
            return new MelToScore(u.Id, u.NormalizedText, mel, Reference: mel);
        }).ToList();
}
