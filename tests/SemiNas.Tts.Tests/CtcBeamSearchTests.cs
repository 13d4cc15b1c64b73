using SemiNas.Tts.Scoring;

namespace SemiNas.Tts.Tests;

/// <summary>The in-domain recogniser's decoding: the character LM of the training sentences and the prefix beam search.</summary>
public class CtcBeamSearchTests
{
    private static readonly string[] Training = ["the cat sat on the mat", "the dog ate the bone", "then the cat slept"];

    [Fact]
    public void The_character_lm_is_a_distribution_that_prefers_what_it_was_trained_on()
    {
        var lm = CharacterLanguageModel.Train(Training, order: 4);
        Assert.Equal(3, lm.Sentences);
        foreach (var text in new[] { "", "th", "the c", "xq'z", "the mat" })
        {
            var logP = lm.LogProbabilities(lm.Context(text));
            Assert.Equal(CharacterLanguageModel.Symbols, logP.Length);
            Assert.Equal(1.0, logP.Sum(l => Math.Exp(l)), 5);
            Assert.All(logP, l => Assert.True(l < 0 && float.IsFinite(l)));   // never zero: the vocabulary stays open
        }
        // It knows its sentences, so that a scorer can refuse to score one of them (SpeechScorer).
        Assert.True(lm.Holds("The cat sat on the mat."));
        Assert.False(lm.Holds("the cat sat"));
        var afterTh = lm.LogProbabilities(lm.Context("th"));
        Assert.True(afterTh[Symbol('e')] > afterTh[Symbol('a')] + 2);
        var afterMat = lm.LogProbabilities(lm.Context("the mat"));
        Assert.Equal(afterMat.Max(), afterMat[CharacterLanguageModel.EndOfSentence]);
    }

    [Fact]
    public void Without_a_language_model_the_search_finds_the_likeliest_labelling_that_greedy_decoding_misses()
    {
        // Two frames. Greedy takes the blank twice (0.4 each), "" with path probability 0.16; but "a" has
        // 0.3·0.3 + 0.3·0.4 + 0.4·0.3 = 0.33 over its three paths and is the likelier transcription.
        var frames = Frames(("", 0.4), ("a", 0.3), ("b", 0.3), ("", 0.4), ("a", 0.3), ("b", 0.3));
        var lm = CharacterLanguageModel.Train(Training);
        var greedy = CtcAlphabet.Decode(frames.Best);
        Assert.Empty(greedy);
        Assert.Equal("a", CtcBeamSearch.Decode(frames.LogProbs, 2, new CtcDecoding(lm, Beam: 8, LanguageModelWeight: 0, InsertionBonus: 0)));
    }

    [Fact]
    public void The_language_model_settles_what_the_sound_leaves_open()
    {
        // "th" then a frame that is as much "a" as "e": the training sentences say "the".
        var frames = Frames(("t", 1.0), ("h", 1.0), ("a", 0.5), ("e", 0.5));
        var lm = CharacterLanguageModel.Train(Training);
        Assert.Equal("the", CtcBeamSearch.Decode(frames.LogProbs, 3, new CtcDecoding(lm, LanguageModelWeight: 1, InsertionBonus: 0)));
        // A clear sound wins over the LM: "tha" is spelt when the frame says "a".
        var clear = Frames(("t", 1.0), ("h", 1.0), ("a", 0.999), ("e", 0.001));
        Assert.Equal("tha", CtcBeamSearch.Decode(clear.LogProbs, 3, new CtcDecoding(lm, LanguageModelWeight: 0.5, InsertionBonus: 0)));
    }

    [Fact]
    public void With_a_lexicon_the_search_spells_only_its_words()
    {
        var lm = CharacterLanguageModel.Train(Training);
        var frames = Frames(("t", 1.0), ("h", 1.0), ("a", 0.6), ("e", 0.4));
        var free = new CtcDecoding(lm, LanguageModelWeight: 0, InsertionBonus: 0);
        Assert.Equal("tha", CtcBeamSearch.Decode(frames.LogProbs, 3, free));
        var lexicon = new Lexicon(["the", "cat", "don't", "x-ray"], "test");
        Assert.Equal("the", CtcBeamSearch.Decode(frames.LogProbs, 3, free with { Lexicon = lexicon }));
        Assert.True(lexicon.IsPrefix("don'") && lexicon.IsWord("don't") && !lexicon.IsWord("do"));
        Assert.Equal(3, lexicon.Count);   // "x-ray" has a character the recogniser cannot spell
    }

    private static int Symbol(char c) => CtcAlphabet.Characters.IndexOf(c);

    // Frames as (character, or "" for the blank, probability) pairs: consecutive pairs make one frame until their
    // probabilities sum to 1. Returns the row-major log-probabilities and each frame's most likely class.
    private static (float[] LogProbs, long[] Best) Frames(params (string Symbol, double P)[] pairs)
    {
        var rows = new List<double[]>();
        var row = new double[CtcAlphabet.Classes];
        foreach (var (symbol, p) in pairs)
        {
            row[symbol.Length == 0 ? 0 : Symbol(symbol[0]) + 1] += p;
            if (row.Sum() >= 1 - 1e-9)
            {
                rows.Add(row);
                row = new double[CtcAlphabet.Classes];
            }
        }
        var logProbs = rows.SelectMany(r => r.Select(p => (float)Math.Log(Math.Max(p, 1e-12)))).ToArray();
        var best = rows.Select(r => (long)Array.IndexOf(r, r.Max())).ToArray();
        return (logProbs, best);
    }
}
