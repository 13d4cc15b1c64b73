using System.Text.Json;
using SemiNas.Host.Cli;
using SemiNas.Tts.Audio;
using SemiNas.Tts.Scoring;
using SemiNas.Tts.Text;

namespace SemiNas.Tts.Tests;

[Collection(FliteCorpusCollection.Name)]
public class RecognitionTests(FliteCorpusFixture fixture)
{
    [Fact]
    public async Task The_open_vocabulary_recogniser_hears_real_recording_mels_and_worse_mels_worse()
    {
        using var features = new MelSpectrogram(MelSettings.Paper);
        var scorer = new SpeechScorer(features, new PocketSphinx(), CmuDict.Debian);
        var mels = scorer.GroundTruthMels(fixture.Corpus.Utterances.Take(6));
        var wer = new List<double>();
        foreach (var sigma in new[] { 0.0, 1.5 })
        {
            var report = await scorer.ScoreAsync(mels, new ScoringSettings { NoiseSigma = sigma, Phones = false });
            Assert.Equal(6, report.OpenVocabulary!.Sentences.Count);
            Assert.Null(report.Recogniser);
            wer.Add(report.OpenVocabulary.WordErrorRate);
        }
        // The general model knows no corpus text: flite through Griffin-Lim is far from perfect (tts-notes §3.2),
        // but it hears most words, and nearly none once the mels are buried in noise.
        Assert.True(wer[0] < 0.6, $"open-vocabulary WER of the recordings' mels {wer[0]:P1}");
        Assert.True(wer[1] > wer[0] + 0.3, $"open-vocabulary WER at σ 0 and 1.5: {wer[0]:P1}, {wer[1]:P1}");
        foreach (var mel in mels) mel.LogMel.Dispose();
    }

    [Fact]
    public async Task The_tts_command_makes_a_corpus_and_evaluates_its_ground_truth_as_json()
    {
        using var folder = new TempFolder();
        var corpus = folder.Combine("hard");
        var make = await PluginCommandDispatch.RunAsync(new TtsPlugin(), "tts", "make-corpus", "--sentences", "shipped:hard-sentences.txt", "--out", corpus, "--limit", "3");
        Assert.Equal(0, make);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(corpus, "metadata.csv")).Length);

        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        int code;
        try
        {
            code = await PluginCommandDispatch.RunAsync(new TtsPlugin(), "tts", "evaluate", "--corpus", corpus, "--ground-truth", "--json", "--out", folder.Combine("wavs"), "--epochs", "2");
        }
        finally
        {
            Console.SetOut(original);
        }
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output.ToString());
        var root = json.RootElement;
        // Three utterances: one is held out for scoring, two train the recogniser (it never hears the scored one).
        Assert.Equal(1, root.GetProperty("sentences").GetInt32());
        foreach (var figure in new[] { "wer", "cer", "sentenceAccuracy" })
        {
            Assert.InRange(root.GetProperty("openVocabulary").GetProperty(figure).GetDouble(), 0, 1);
            Assert.InRange(root.GetProperty("recogniser").GetProperty(figure).GetDouble(), 0, 1);
        }
        Assert.InRange(root.GetProperty("phones").GetProperty("per").GetDouble(), 0, 2);
        Assert.Equal(0, root.GetProperty("mcd").GetDouble(), 3);   // the recordings' own mels against themselves
        Assert.True(root.GetProperty("robustness").TryGetProperty("errorRate", out _));
        Assert.Equal(2, root.GetProperty("recogniserModel").GetProperty("TrainUtterances").GetInt32());
        var scored = root.GetProperty("perSentence")[0].GetProperty("id").GetString();
        var trainedOn = File.ReadAllLines(Path.Combine(corpus, "metadata.csv")).Select(l => l.Split('|')[0]).Where(id => id != scored).ToList();
        Assert.Equal(2, trainedOn.Count);
        Assert.Single(Directory.GetFiles(folder.Combine("wavs"), "*.wav"));
    }

    [Theory]
    [InlineData(new[] { "tts", "evaluate", "--corpus", "x" }, "exactly one of --model FILE and --ground-truth")]
    [InlineData(new[] { "tts", "make-corpus", "--out", "x" }, "'--sentences' is required")]
    [InlineData(new[] { "tts", "make-corpus", "--sentences", "a", "--out", "x", "--voice", "robot" }, "--voice must be one of")]
    [InlineData(new[] { "tts", "evaluate", "--corpus", "x", "--ground-truth", "--noise", "lots" }, "'lots' for option '--noise'")]
    [InlineData(new[] { "tts", "evaluate", "--corpus", "x", "--ground-truth", "--noise", "9" }, "--noise must be a number in 0..8")]
    [InlineData(new[] { "tts", "speak" }, "'speak'")]
    public async Task Bad_arguments_exit_with_code_2_and_say_what_is_wrong(string[] arguments, string message)
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            Assert.Equal(2, await PluginCommandDispatch.RunAsync(new TtsPlugin(), arguments));
        }
        finally
        {
            Console.SetError(original);
        }
        Assert.Contains(message, error.ToString());
    }
}
