using SemiNas.Tts.Audio;
using SemiNas.Tts.Data;
using SemiNas.Tts.Scoring;
using SemiNas.Tts.Text;
using static TorchSharp.torch;

namespace SemiNas.Tts.Model;

/// <summary>
/// The final metrics of a trained model: free-running synthesis of the test sentences (stop token, bounded at
/// <c>maxDecodeRatio</c> × the expected length) and of the hard sentences, voiced with Griffin-Lim and recognised by
/// pocketsphinx; beside them the ceiling, the same pipeline on the test recordings' own mels.
/// </summary>
public static class ModelEvaluation
{
    public static async Task<IReadOnlyDictionary<string, double>> RunAsync(TransformerTts model, TtsModelManifest manifest,
        IReadOnlyList<TtsExample> test, IReadOnlyList<TtsExample> hard, LjSpeechCorpus corpus,
        IReadOnlyList<(string Id, string NormalizedText)> hardSentences, string outputDirectory, int griffinLimIterations,
        double maxDecodeRatio, int seed, CancellationToken cancellationToken)
    {
        using var features = new MelSpectrogram(MelSettings.Paper);
        var scorer = new SpeechScorer(features, new PocketSphinx(), CmuDict.Debian);
        if (scorer.Recognizer.CheckInstalled() is { } missing) throw new InvalidOperationException(missing);
        var languageModel = SpeechScorer.LanguageModel(corpus.Utterances.Select(u => u.NormalizedText).Concat(hardSentences.Select(h => h.NormalizedText)));
        var settings = new ScoringSettings { GriffinLimIterations = griffinLimIterations, Seed = seed };
        manual_seed(seed);

        var metrics = new Dictionary<string, double>();
        var testMels = Synthesize(model, manifest, test, maxDecodeRatio);
        var testReport = await scorer.ScoreAsync(testMels.Select(m => m.Mel).ToList(), languageModel,
            settings with { WavDirectory = Dir(outputDirectory, "test") }, cancellationToken).ConfigureAwait(false);
        foreach (var (k, v) in testReport.ToMetrics()) metrics[k] = v;
        metrics["test_dfr"] = testMels.Average(m => m.Scores.DiagonalFocusRate);

        if (hard.Count > 0)
        {
            var hardMels = Synthesize(model, manifest, hard, maxDecodeRatio);
            var hardReport = await scorer.ScoreAsync(hardMels.Select(m => m.Mel).ToList(), languageModel,
                settings with { WavDirectory = Dir(outputDirectory, "hard") }, cancellationToken).ConfigureAwait(false);
            foreach (var (k, v) in hardReport.ToMetrics("hard_")) metrics[k] = v;
            metrics["robustness_error_rate"] = hardReport.RobustnessErrorRate;
            DisposeAll(hardMels);
        }

        var truth = test.Select(e => new MelToScore(e.Id, e.NormalizedText, tensor(e.Mel).view(e.Frames, manifest.Settings.MelBins))).ToList();
        var truthReport = await scorer.ScoreAsync(truth, languageModel, settings with { WavDirectory = Dir(outputDirectory, "ground-truth") },
            cancellationToken).ConfigureAwait(false);
        foreach (var (k, v) in truthReport.ToMetrics("ground_truth_")) metrics[k] = v;
        foreach (var t in truth) t.LogMel.Dispose();
        DisposeAll(testMels);
        return metrics;
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
        IReadOnlyList<TtsExample> examples, double maxDecodeRatio, int batchSize = 8)
    {
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
        }
        return results;
    }
}
