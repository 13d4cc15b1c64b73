using System.Globalization;
using SemiNas.Tts.Audio;
using SemiNas.Tts.Data;
using SemiNas.Tts.Scoring;
using SemiNas.Tts.Text;
using Xunit.Abstractions;

namespace SemiNas.Tts.Tests;

/// <summary>
/// Every primary figure worsens as the log-mels get noisier, and the recordings' own mels (the ceiling) score far
/// from the noise floor. A small flite corpus: the in-domain recogniser trains on its training part only (a small
/// recipe, inside the test), and the scored sentences are held out from it.
/// </summary>
public class NoiseDegradationTests(ITestOutputHelper output)
{
    private const int Utterances = 120;
    private const int Scored = 8;
    private static readonly double[] Sigmas = [0, 0.4, 0.8, 1.0];

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Each_figure_worsens_monotonically_with_noise_and_the_ceiling_is_far_from_the_floor()
    {
        DebianTools.Require();
        using var folder = new TempFolder();
        var sentences = SentenceList.LoadShipped(SentenceList.Shipped).Take(Utterances).ToList();
        var corpus = await CorpusMaker.MakeAsync(sentences, folder.Combine("corpus"));
        var split = CorpusSplits.Full(corpus.Utterances, valid: 0, test: Scored, seed: 1);
        Assert.Empty(split.Train.Select(u => u.Id).Intersect(split.Test.Select(u => u.Id)));

        var settings = new RecognizerSettings { Epochs = 30, LearningRate = 3e-3, MaxFramesPerBatch = 6000 };
        // One libtorch thread: its waiting workers spin, and on a shared 2-core machine two threads ran several times slower.
        var threads = TorchSharp.torch.get_num_threads();
        TorchSharp.torch.set_num_threads(1);
        CtcRecognizer recognizer;
        try
        {
            recognizer = CtcRecognizer.LoadOrTrain(corpus.Directory, split.Train, [], settings, output.WriteLine);
        }
        finally
        {
            TorchSharp.torch.set_num_threads(threads);
        }
        using var disposeRecognizer = recognizer;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"recogniser trained in {recognizer.Manifest.TrainingSeconds:F0} s"));

        using var features = new MelSpectrogram(MelSettings.Paper);
        var scorer = new SpeechScorer(features, new PocketSphinx(), CmuDict.Debian, recognizer);
        var mels = scorer.GroundTruthMels(split.Test);
        var figures = new Dictionary<string, List<double>>();
        foreach (var sigma in Sigmas)
        {
            var report = await scorer.ScoreAsync(mels, new ScoringSettings { NoiseSigma = sigma, GriffinLimIterations = 30 });
            foreach (var (name, value) in report.ToMetrics())
                (figures.TryGetValue(name, out var list) ? list : figures[name] = []).Add(value);
        }
        foreach (var mel in mels) mel.LogMel.Dispose();
        foreach (var (name, values) in figures)
            output.WriteLine($"{name}: {string.Join(", ", values.Select(v => v.ToString("0.###", CultureInfo.InvariantCulture)))}");

        // Error rates and MCD rise with σ, accuracies fall; adjacent steps may tie at a floor but never improve by
        // more than one sentence's worth of chance. Not the in-domain figures (wer, cer, intelligibility_rate): the
        // recogniser this test can afford to train stays on the CTC plateau (WER about 100 % at every σ, measured), so
        // their order is noise here; docs/benchmarks.md measures them with the shipped corpus's recogniser.
        string[] errors = ["open_wer", "open_cer", "per", "mcd_db"];
        string[] accuracies = ["open_sentence_accuracy"];
        foreach (var name in errors.Concat(accuracies))
        {
            var sign = accuracies.Contains(name) ? -1 : 1;
            var v = figures[name].Select(x => sign * x).ToList();
            for (var i = 1; i < v.Count; i++)
                Assert.True(v[i] >= v[i - 1] - 0.03, $"{name} improves from σ {Sigmas[i - 1]} to σ {Sigmas[i]}: {string.Join(", ", figures[name])}");
        }
        // The ceiling is far from the floor.
        Assert.True(figures["open_wer"][^1] - figures["open_wer"][0] > 0.3, $"open WER {string.Join(", ", figures["open_wer"])}");
        Assert.True(figures["open_cer"][^1] - figures["open_cer"][0] > 0.3, $"open CER {string.Join(", ", figures["open_cer"])}");
        Assert.True(figures["per"][^1] - figures["per"][0] > 0.2, $"PER {string.Join(", ", figures["per"])}");
        Assert.Equal(0, figures["mcd_db"][0], 3);
        Assert.True(figures["mcd_db"][^1] > 3, $"MCD {string.Join(", ", figures["mcd_db"])}");
    }
}
