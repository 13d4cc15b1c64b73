using System.Globalization;
using SemiNas.Tts.Scoring;
using static TorchSharp.torch;

namespace SemiNas.Tts.Tests;

public class ScoringTests
{
    [Fact]
    public void Edit_distance_counts_substitutions_deletions_and_insertions()
    {
        string[] reference = ["the", "cat", "sat", "on", "the", "mat"];
        var counts = EditDistance.Words(reference, ["the", "cat", "cat", "sat", "on", "a", "mat", "today"]);
        Assert.Equal(new EditCounts(1, 0, 2, 6), counts);
        Assert.Equal(0.5, counts.Rate, 10);

        Assert.Equal(new EditCounts(0, 2, 0, 6), EditDistance.Words(reference, ["the", "cat", "the", "mat"]));
        Assert.Equal(new EditCounts(0, 0, 0, 6), EditDistance.Words(reference, reference));
        Assert.Equal(new EditCounts(0, 6, 0, 6), EditDistance.Words(reference, []));
        // "kitten" → "sitting": two substitutions and an insertion.
        Assert.Equal(new EditCounts(2, 0, 1, 6), EditDistance.Characters(["kitten"], ["sitting"]));
    }

    [Fact]
    public void The_bigram_model_is_a_proper_distribution_after_every_history()
    {
        var model = new BigramLanguageModel([
            ["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "ran"], ["the", "cat", "ran", "away"],
        ], extraVocabulary: ["zebra"], discount: 0.5);
        var (unigrams, backoffs, bigrams) = ParseArpa(model.ToArpa());
        var vocabulary = unigrams.Keys.Where(w => w != "<s>").ToList();
        Assert.Contains("zebra", vocabulary);
        Assert.Equal(1.0, vocabulary.Sum(w => unigrams[w]), 3);

        foreach (var history in new[] { "<s>", "the", "cat", "sat", "zebra" })
        {
            var total = vocabulary.Sum(w => bigrams.TryGetValue((history, w), out var p) ? p : backoffs[history] * unigrams[w]);
            Assert.True(Math.Abs(total - 1) < 2e-3, $"P(·|{history}) sums to {total}");
        }
        Assert.Equal((2 - 0.5) / 3, bigrams[("the", "cat")], 3);
    }

    private static (Dictionary<string, double>, Dictionary<string, double>, Dictionary<(string, string), double>) ParseArpa(string arpa)
    {
        var unigrams = new Dictionary<string, double>();
        var backoffs = new Dictionary<string, double>();
        var bigrams = new Dictionary<(string, string), double>();
        var section = 0;
        foreach (var line in arpa.Split('\n'))
        {
            if (line.StartsWith("\\1-grams")) { section = 1; continue; }
            if (line.StartsWith("\\2-grams")) { section = 2; continue; }
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 2 || line.StartsWith('\\') || line.StartsWith("ngram")) continue;
            var p = Math.Pow(10, double.Parse(f[0], CultureInfo.InvariantCulture));
            if (section == 1)
            {
                unigrams[f[1]] = p;
                backoffs[f[1]] = f.Length > 2 ? Math.Pow(10, double.Parse(f[2], CultureInfo.InvariantCulture)) : 1;
            }
            else if (section == 2) bigrams[(f[1], f[2])] = p;
        }
        return (unigrams, backoffs, bigrams);
    }

    [Fact]
    public void Attention_metrics_equal_hand_computed_values()
    {
        // T = 4 frames over S = 2 tokens. FR = (1 + .5 + .5 + 1) / 4. Every token is fully attended once: PCR 1.
        // DFR: k = 2/4, half-width k·min(4/5, 50) = 0.4 tokens around s = t/2: only (t0, s0) = 1 and (t2, s1) = .5
        // fall inside, so 1.5 / 4.
        using var a = tensor(new float[] { 1, 0, .5f, .5f, .5f, .5f, 0, 1 }).view(1, 4, 2);
        var scores = AttentionMetrics.Compute(a, [2], [4]);
        Assert.Equal(0.75, scores[0].FocusRate, 5);
        Assert.Equal(1.0, scores[0].PhoneCoverage, 5);
        Assert.Equal(0.375, scores[0].DiagonalFocusRate, 5);
    }

    [Fact]
    public void Attention_metrics_ignore_padding_and_uncounted_tokens_per_item()
    {
        // Item 0: a perfect monotonic alignment of 4 frames over 3 tokens: all three metrics are 1.
        // Item 1: 3 real frames over 2 real tokens; the padded third token and fourth frame hold mass that must not
        // count. Real part [[.6 .4] [.2 .8] [0 1]]: FR = (.6 + .8 + 1) / 3 = .8. Only token 0 is counted for PCR:
        // .6. DFR: k = 2/3, half-width k·min(3/5, 50) = .4 around s = 2t/3: (t0,s0) .6, (t1,s1) .8, (t2,s1) 1 → .8.
        using var a = tensor(new float[]
        {
            1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1,
            .6f, .4f, .3f, .2f, .8f, .3f, 0, 1, .3f, .3f, .3f, .4f,
        }).view(2, 4, 3);
        using var counted = tensor(new[] { true, true, true, true, false, true }).view(2, 3);
        var scores = AttentionMetrics.Compute(a, [3, 2], [4, 3], counted);

        Assert.Equal(1.0, scores[0].FocusRate, 5);
        Assert.Equal(1.0, scores[0].PhoneCoverage, 5);
        Assert.Equal(1.0, scores[0].DiagonalFocusRate, 5);
        Assert.Equal(0.8, scores[1].FocusRate, 5);
        Assert.Equal(0.6, scores[1].PhoneCoverage, 5);
        Assert.Equal(0.8, scores[1].DiagonalFocusRate, 5);
    }

    [Fact]
    public void The_most_focused_head_of_the_most_focused_layer_is_selected()
    {
        // Layer 0: head 0 is uniform (Σ_t max = 1), head 1 one-hot (2). Layer 1's only head scores .9 + .8 = 1.7.
        using var layer0 = tensor(new float[] { .5f, .5f, .5f, .5f, 1, 0, 0, 1 }).view(1, 2, 2, 2);
        using var layer1 = tensor(new float[] { .9f, .1f, .2f, .8f }).view(1, 1, 2, 2);
        using var selected = AttentionMetrics.SelectMostFocused([layer0, layer1]);
        Assert.Equal(new float[] { 1, 0, 0, 1 }, selected.data<float>().ToArray());
    }

    [Fact]
    public void Skipped_phones_and_backward_jumps_are_found_in_the_attention()
    {
        static Tensor OneHot(int tokens, params int[] path)
        {
            var a = zeros(path.Length, tokens);
            for (var t = 0; t < path.Length; t++) a[t, path[t]] = tensor(1f);
            return a;
        }

        using var clean = OneHot(4, 0, 0, 1, 2, 2, 3);
        Assert.Equal(new AttentionFailures(0, 0), AttentionMetrics.Failures(clean, [true, true, true, true]));

        using var skip = OneHot(5, 0, 1, 1, 3, 4, 4);
        Assert.Equal(new AttentionFailures(1, 0), AttentionMetrics.Failures(skip, [true, true, true, true, true]));
        // A word boundary nobody attends is no skip.
        Assert.Equal(new AttentionFailures(0, 0), AttentionMetrics.Failures(skip, [true, true, false, true, true]));

        using var repeat = OneHot(6, 0, 1, 2, 3, 4, 5, 1, 2, 3, 4, 5);
        var failures = AttentionMetrics.Failures(repeat, [true, true, true, true, true, true]);
        Assert.Equal(0, failures.SkippedPhones);
        Assert.Equal(2, failures.BackwardMoves);   // positions 1 and 2 lie more than 2 behind 5; 3 does not
        Assert.True(failures.Any);
    }
}
