using SemiNas.Tts.Data;
using SemiNas.Tts.Scoring;
using SemiNas.Tts.Text;
using static TorchSharp.torch;

namespace SemiNas.Tts.Tests;

/// <summary>The pieces of the leak-free scoring: CTC decoding, MCD-DTW, phone error rate, the recogniser cache key.</summary>
public class LeakFreeScoringTests
{
    [Fact]
    public void Ctc_characters_round_trip_and_greedy_decoding_merges_repeats_and_drops_blanks()
    {
        var ids = CtcAlphabet.Encode(["don't", "go"]);
        Assert.Equal("don't go".Length, ids.Length);
        Assert.All(ids, id => Assert.InRange(id, 1, CtcAlphabet.Classes - 1));
        // Each class stretched over frames with blanks between, a doubled letter kept apart by a blank.
        var frames = new List<long>();
        foreach (var id in ids) frames.AddRange([0, id, id, 0]);
        Assert.Equal(["don't", "go"], CtcAlphabet.Decode(frames.ToArray()));
        // "oo" needs a blank between the two o's; without it they merge.
        var o = CtcAlphabet.Encode(["o"])[0];
        Assert.Equal(["oo"], CtcAlphabet.Decode([o, 0, o]));
        Assert.Equal(["o"], CtcAlphabet.Decode([o, o, o]));
        Assert.Empty(CtcAlphabet.Decode([0, 0, 1, 0]));
    }

    [Fact]
    public void Dtw_finds_the_cheapest_monotonic_path_and_normalises_by_its_length()
    {
        // 2 × 3 matrix: the path (0,0) → (0,1) → (1,2) costs 0 + 0 + 0 over 3 cells.
        double[] distance = [0, 0, 5, 5, 5, 0];
        Assert.Equal(0, MelCepstralDistortion.Warp(distance, 2, 3), 10);
        // Every path passes (0,0) and (1,2); the cheapest adds one middle cell of cost 1.
        double[] other = [1, 1, 9, 9, 1, 1];
        Assert.Equal(1.0, MelCepstralDistortion.Warp(other, 2, 3), 10);
    }

    [Fact]
    public void Mcd_is_zero_for_the_same_mel_absorbs_a_time_stretch_and_grows_with_noise()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        // A smooth random "utterance": [60 frames, 80 mels] in the paper's [-4, 4] range.
        var mel = (randn(60, 80, generator: generator).cumsum(0) * 0.1).clamp(-4, 4);
        Assert.Equal(0, MelCepstralDistortion.Compute(mel, mel), 6);
        // Each frame said twice: DTW aligns it with no cost.
        var slow = mel.repeat_interleave(2, 0);
        Assert.Equal(0, MelCepstralDistortion.Compute(slow, mel), 6);
        var previous = 0.0;
        foreach (var sigma in new[] { 0.2, 0.5, 1.0 })
        {
            var noisy = (mel + randn(60, 80, generator: generator) * sigma).clamp(-4, 4);
            var mcd = MelCepstralDistortion.Compute(noisy, mel);
            Assert.True(mcd > previous, $"MCD at σ {sigma}: {mcd:F2} dB after {previous:F2} dB");
            previous = mcd;
        }
        // A uniform gain shifts only c0, which MCD leaves out.
        Assert.Equal(0, MelCepstralDistortion.Compute((mel + 0.5).clamp(-4, 4), mel.clamp(-4, 3.5)), 4);
    }

    [Fact]
    public void Phone_error_rate_counts_against_the_first_cmudict_pronunciation()
    {
        var dictionary = CmuDict.Debian;
        Assert.True(dictionary.TryGetPhones("cat", out var cat));
        Assert.True(dictionary.TryGetPhones("sat", out var sat));
        var perfect = new Recognition("a", [.. cat, .. sat]);
        var oneWrong = new Recognition("b", [.. cat, .. sat.Skip(1)]);
        var report = PhoneReport.Score([("a", "cat sat"), ("b", "Cat, sat.")], [perfect, oneWrong], dictionary);
        Assert.Equal(0, report.Sentences[0].Phones.Errors);
        Assert.Equal(1, report.Sentences[1].Phones.Deletions);
        Assert.Equal(1.0 / (2 * (cat.Count + sat.Count)), report.PhoneErrorRate, 10);
    }

    [Fact]
    public void Hypotheses_are_normalised_like_references()
    {
        var report = IntelligibilityReport.Score([("a", "Mister Smith paid two dollars.")], [new Recognition("a", ["mr", "smith", "paid", "two", "dollars"])]);
        Assert.Equal(0, report.WordErrorRate);
    }

    [Fact]
    public void The_recogniser_cache_key_changes_with_the_training_split_and_the_recipe()
    {
        Utterance U(string id, string text) => new(id, text, text, "/nonexistent/" + id + ".wav", 1);
        List<Utterance> train = [U("a", "one"), U("b", "two")];
        var settings = new RecognizerSettings();
        var key = CtcRecognizer.Key(train, settings, Audio.MelSettings.Paper);
        Assert.Equal(key, CtcRecognizer.Key([U("a", "one"), U("b", "two")], settings, Audio.MelSettings.Paper));
        Assert.NotEqual(key, CtcRecognizer.Key([U("a", "one"), U("c", "three")], settings, Audio.MelSettings.Paper));
        Assert.NotEqual(key, CtcRecognizer.Key([U("a", "one"), U("b", "too")], settings, Audio.MelSettings.Paper));
        Assert.NotEqual(key, CtcRecognizer.Key(train, settings with { Epochs = settings.Epochs + 1 }, Audio.MelSettings.Paper));
    }
}
