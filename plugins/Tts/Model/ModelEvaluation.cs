using SemiNas.Contracts;
using SemiNas.Tts.Audio;
using SemiNas.Tts.Data;
using SemiNas.Tts.Scoring;
using SemiNas.Tts.Text;
using static TorchSharp.torch;

namespace SemiNas.Tts.Model;

/// <summary>Every figure of a trained model: its test sentences, its hard sentences, and the ceiling (the test recordings' own mels).</summary>
public sealed record ModelEvaluationResult(EvaluationReport Test, EvaluationReport? Hard, EvaluationReport? GroundTruth,
    RecognizerManifest Recogniser, string RecogniserDecoding, double TestDfr, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// The final metrics of a trained model: free-running synthesis of the test sentences (stop token, bounded at
/// <c>maxDecodeRatio</c> × the expected length) and of the hard sentences, scored by <see cref="SpeechScorer"/>: the
/// in-domain CTC recogniser (trained once per corpus and split on the training recordings only, then cached), the
/// open-vocabulary pocketsphinx and its phone loop through Griffin-Lim, and MCD against the recordings; beside
/// them the ceiling, the same pipeline on the test recordings' own mels. Nothing that scores has seen a test or hard
/// sentence.
/// </summary>
public static class ModelEvaluation
{
    public static async Task<IReadOnlyDictionary<string, double>> RunAsync(TransformerTts model, TtsModelManifest manifest,
        IReadOnlyList<TtsExample> test, IReadOnlyList<TtsExample> hard, LjSpeechCorpus corpus,
        IReadOnlyList<(string Id, string NormalizedText)> hardSentences, string outputDirectory, int griffinLimIterations,
        double maxDecodeRatio, int seed, CancellationToken cancellationToken) =>
        (await EvaluateAsync(model, manifest, test, hard, corpus, outputDirectory,
            new ScoringSettings { GriffinLimIterations = griffinLimIterations, Seed = seed }, maxDecodeRatio,
            null, m => Console.Error.WriteLine(m), cancellationToken).ConfigureAwait(false)).Metrics;

    /// <summary>The split a saved model was trained on (its manifest records it).</summary>
    public static CorpusSplit<Utterance> Split(LjSpeechCorpus corpus, TtsModelManifest manifest) =>
        manifest.Split == SplitKind.LowResource
            ? CorpusSplits.LowResource(corpus.Utterances, manifest.TrainUtterances, manifest.ValidUtterances, manifest.TestUtterances, manifest.SplitSeed)
            : CorpusSplits.Full(corpus.Utterances, manifest.ValidUtterances, manifest.TestUtterances, manifest.SplitSeed);

    public static async Task<ModelEvaluationResult> EvaluateAsync(TransformerTts model, TtsModelManifest manifest,
        IReadOnlyList<TtsExample> test, IReadOnlyList<TtsExample> hard, LjSpeechCorpus corpus, string outputDirectory,
        ScoringSettings settings, double maxDecodeRatio, RecognizerSettings? recognizerSettings, Action<string>? log,
        CancellationToken cancellationToken, IProgress<CommandProgress>? progress = null, Func<CtcDecoding, CtcDecoding>? decoding = null,
        bool ceiling = true)
    {
        using var features = new MelSpectrogram(MelSettings.Paper);
        var sphinx = new PocketSphinx();
        if ((settings.OpenVocabulary || settings.Phones) && sphinx.CheckInstalled() is { } missing) throw new InvalidOperationException(missing);
        var split = Split(corpus, manifest);
        var scored = test.Select(t => t.Id).Concat(hard.Select(h => h.Id)).ToHashSet(StringComparer.Ordinal);
        if (split.Train.Any(u => scored.Contains(u.Id)))
            throw new InvalidOperationException("A scored sentence is in the recogniser's training split; the score would be a leak.");
        progress?.Report(new CommandProgress("in-domain recogniser") { Message = "loading it, or training it if it is not cached" });
        using var recogniser = CtcRecognizer.LoadOrTrain(corpus.Directory, split.Train, split.Valid, recognizerSettings ?? new RecognizerSettings(),
            log, cancellationToken);
        if (decoding is not null) recogniser.Decoding = decoding(recogniser.Decoding);
        var scorer = new SpeechScorer(features, sphinx, CmuDict.Debian, recogniser);
        manual_seed(settings.Seed);

        var metrics = new Dictionary<string, double>();
        var truthMels = test.Select(e => tensor(e.Mel).view(e.Frames, manifest.Settings.MelBins)).ToList();
        var testMels = Synthesize(model, manifest, test, maxDecodeRatio, progress: progress, label: "test sentences");
        var testItems = testMels.Select((m, i) => m.Mel with { Reference = truthMels[i] }).ToList();
        var testReport = await scorer.ScoreAsync(testItems, settings with { WavDirectory = Dir(outputDirectory, "test") }, cancellationToken,
            progress, "test sentences").ConfigureAwait(false);
        foreach (var (k, v) in testReport.ToMetrics()) metrics[k] = v;
        metrics["test_robustness_error_rate"] = testReport.Robustness.ErrorRate;
        var dfr = testMels.Average(m => m.Scores.DiagonalFocusRate);
        metrics["test_dfr"] = dfr;

        EvaluationReport? hardReport = null;
        if (hard.Count > 0)
        {
            var hardMels = Synthesize(model, manifest, hard, maxDecodeRatio, progress: progress, label: "hard sentences");
            hardReport = await scorer.ScoreAsync(hardMels.Select(m => m.Mel).ToList(), settings with { WavDirectory = Dir(outputDirectory, "hard") },
                cancellationToken, progress, "hard sentences").ConfigureAwait(false);
            foreach (var (k, v) in hardReport.ToMetrics("hard_")) metrics[k] = v;
            DisposeAll(hardMels);
        }
        // The robustness error rate is the hard sentences' (the paper's robustness test), else the test sentences'.
        metrics["robustness_error_rate"] = hardReport?.Robustness.ErrorRate ?? testReport.Robustness.ErrorRate;

        EvaluationReport? truthReport = null;
        if (ceiling)
        {
            var truth = test.Select((e, i) => new MelToScore(e.Id, e.NormalizedText, truthMels[i], Reference: truthMels[i])).ToList();
            truthReport = await scorer.ScoreAsync(truth, settings with { WavDirectory = Dir(outputDirectory, "ground-truth") },
                cancellationToken, progress, "recordings (ceiling)").ConfigureAwait(false);
            foreach (var (k, v) in truthReport.ToMetrics("ground_truth_")) metrics[k] = v;
        }
        foreach (var t in truthMels) t.Dispose();
        DisposeAll(testMels);
        metrics["recogniser_train_seconds"] = recogniser.Manifest.TrainingSeconds;
        metrics["recogniser_valid_cer"] = recogniser.Manifest.ValidCer;
        return new ModelEvaluationResult(testReport, hardReport, truthReport, recogniser.Manifest, recogniser.Decoding.Describe(), dfr, metrics);
    }

    private static string Dir(string root, string name)
    {
        var path = Path.Combine(root, name);
        Directory.CreateDirectory(path);
        return path;
    }

    private static void DisposeAll(IEnumerable<(MelToScore Mel, AttentionScores Scores)> items)
    {
        foreach (var (mel, _) in items) mel.LogMel.Dispose();
    }

    /// <summary>Free-running synthesis, trimmed where the stop token fires, with the attention's failures.</summary>
    public static List<(MelToScore Mel, AttentionScores Scores)> Synthesize(TransformerTts model, TtsModelManifest manifest,
        IReadOnlyList<TtsExample> examples, double maxDecodeRatio, int batchSize = 8, IProgress<CommandProgress>? progress = null, string label = "")
    {
        var stage = new CommandProgress($"{label}: synthesis", 0, examples.Count) { Unit = "sentences" };
        progress?.Report(stage);
        var settings = model.Settings;
        var e = settings.EncoderLayers;
        var (encoderOps, decoderOps) = (manifest.Architecture[..e], manifest.Architecture[e..]);
        var device = model.parameters().First().device;
        var results = new List<(MelToScore, AttentionScores)>();
        model.eval();
        foreach (var chunk in examples.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            using var batch = TtsData.Collate(chunk, settings.MelBins, settings.ReductionFactor, device, steps: 1);
            var expected = chunk.Max(x => x.Frames > 0 ? x.Frames : x.Tokens.Length * manifest.FramesPerToken);
            var maxSteps = (int)Math.Ceiling(expected * maxDecodeRatio / settings.ReductionFactor);
            using var output = model.Generate(encoderOps, decoderOps, batch.Tokens, batch.TokenPadding, maxSteps, stopEarly: true);
            var selected = AttentionMetrics.SelectMostFocused(output.Attention);
            var stop = output.StopLogits.sigmoid().gt(0.5).cpu();
            var steps = output.StopLogits.shape[1];
            for (var i = 0; i < chunk.Length; i++)
            {
                var fired = stop[i].nonzero();
                var length = fired.shape[0] > 0 ? fired[0, 0].item<long>() + 1 : steps;
                var attention = selected[i].narrow(0, 0, length).narrow(1, 0, chunk[i].Tokens.Length);
                var scores = AttentionMetrics.Compute(attention.unsqueeze(0), [chunk[i].Tokens.Length], [length],
                    tensor(chunk[i].Spoken).unsqueeze(0))[0];
                var failures = AttentionMetrics.Failures(attention, chunk[i].Spoken);
                var mel = output.Mel[i].narrow(0, 0, length * settings.ReductionFactor).clamp(-4, 4).cpu().MoveToOuterDisposeScope();
                results.Add((new MelToScore(chunk[i].Id, chunk[i].NormalizedText, mel, failures), scores));
            }
            progress?.Report(stage with { Done = results.Count });
        }
        return results;
    }
}
