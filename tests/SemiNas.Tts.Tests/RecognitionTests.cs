using System.Text.Json;
using SemiNas.Tts.Audio;
using SemiNas.Tts.Commands;
using SemiNas.Tts.Scoring;
using SemiNas.Tts.Text;

namespace SemiNas.Tts.Tests;

[Collection(FliteCorpusCollection.Name)]
public class RecognitionTests(FliteCorpusFixture fixture)
{
    [Fact]
    public async Task Real_recording_mels_through_griffin_lim_are_recognised_and_errors_rise_as_the_mels_degrade()
    {
        using var features = new MelSpectrogram(MelSettings.Paper);
        var scorer = new SpeechScorer(features, new PocketSphinx(), CmuDict.Debian);
        var corpus = fixture.Corpus;
        var mels = scorer.GroundTruthMels(corpus.Utterances.Take(8));
        var languageModel = SpeechScorer.LanguageModel(corpus.Utterances.Select(u => u.NormalizedText));

        var wer = new List<double>();
        foreach (var sigma in new[] { 0.0, 1.0, 1.5 })
        {
            var report = await scorer.ScoreAsync(mels, languageModel, new ScoringSettings { NoiseSigma = sigma });
            Assert.Equal(8, report.Sentences.Count);
            wer.Add(report.WordErrorRate);
            if (sigma == 0)
            {
                Assert.True(report.WordErrorRate <= 0.05, $"ground-truth WER {report.WordErrorRate:P1}");
                Assert.True(report.IntelligibilityRate >= 0.75, $"ground-truth IR {report.IntelligibilityRate:P1}");
            }
        }
        Assert.True(wer[0] < wer[1] && wer[1] < wer[2], $"WER at σ 0, 1.0, 1.5: {string.Join(", ", wer.Select(w => w.ToString("P1")))}");
        Assert.True(wer[2] >= 0.5, $"WER at σ 1.5: {wer[2]:P1}");
    }

    [Fact]
    public async Task The_tts_command_makes_a_corpus_and_evaluates_its_ground_truth_as_json()
    {
        using var folder = new TempFolder();
        var corpus = folder.Combine("hard");
        var make = await TtsCommands.RunAsync(["make-corpus", "--sentences", "shipped:hard-sentences.txt", "--out", corpus, "--limit", "3"], default);
        Assert.Equal(0, make);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(corpus, "metadata.csv")).Length);

        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        int code;
        try
        {
            code = await TtsCommands.RunAsync(["evaluate", "--corpus", corpus, "--ground-truth", "--json", "--out", folder.Combine("wavs")], default);
        }
        finally
        {
            Console.SetOut(original);
        }
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output.ToString());
        var root = json.RootElement;
        Assert.Equal(3, root.GetProperty("sentences").GetInt32());
        Assert.InRange(root.GetProperty("wer").GetDouble(), 0, 0.5);
        var first = root.GetProperty("perSentence")[0];
        Assert.Equal("the the the cat sat on on the mat", first.GetProperty("reference").GetString());
        Assert.Equal(3, Directory.GetFiles(folder.Combine("wavs"), "*.wav").Length);
    }

    [Theory]
    [InlineData(new[] { "evaluate", "--corpus", "x" }, "exactly one of --model FILE and --ground-truth")]
    [InlineData(new[] { "make-corpus", "--out", "x" }, "--sentences is required")]
    [InlineData(new[] { "make-corpus", "--sentences", "a", "--out", "x", "--voice", "robot" }, "--voice must be one of")]
    [InlineData(new[] { "evaluate", "--corpus", "x", "--ground-truth", "--noise", "lots" }, "--noise must be a number")]
    [InlineData(new[] { "speak" }, "unknown tts command 'speak'")]
    public async Task Bad_arguments_exit_with_code_2_and_say_what_is_wrong(string[] arguments, string message)
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            Assert.Equal(2, await TtsCommands.RunAsync(arguments, default));
        }
        finally
        {
            Console.SetError(original);
        }
        Assert.Contains(message, error.ToString());
    }
}
