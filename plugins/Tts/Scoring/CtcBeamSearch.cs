namespace SemiNas.Tts.Scoring;

/// <summary>How the in-domain recogniser turns its frame probabilities into words.</summary>
/// <param name="LanguageModel">A character LM of the training sentences, or null for greedy decoding.</param>
/// <param name="Lexicon">The words the search may spell, or null for any string of characters.</param>
/// <param name="Beam">Prefixes kept per frame.</param>
/// <param name="LanguageModelWeight">α: the LM's log-probability is scaled by it.</param>
/// <param name="InsertionBonus">β: added per character, so that the LM does not favour dropping characters.</param>
public sealed record CtcDecoding(CharacterLanguageModel? LanguageModel, Lexicon? Lexicon = null, int Beam = 16,
    double LanguageModelWeight = 0.5, double InsertionBonus = 1.0)
{
    public static CtcDecoding Greedy { get; } = new(LanguageModel: null);

    /// <summary>How the decoding is described in reports.</summary>
    public string Describe() => LanguageModel is { } lm
        ? FormattableString.Invariant($"prefix beam search, beam {Beam}, {lm.Order}-gram character LM of {lm.Sentences} training sentences, α {LanguageModelWeight}, β {InsertionBonus}") +
          (Lexicon is { } words ? FormattableString.Invariant($", words of {words.Source} ({words.Count:N0})") : ", any spelling")
        : "greedy";
}

/// <summary>
/// CTC prefix beam search with a character language model (Hannun et al. 2014): every prefix carries the
/// probability of the paths that end in a blank and of those that end in its last character, so that repeats
/// collapse as in greedy decoding; the LM scores each character as it is added, and the end of the sentence last.
/// </summary>
public static class CtcBeamSearch
{
    // Characters whose frame log-probability is this far below the frame's best are not tried.
    private const float Prune = 10f;

    /// <summary>Decodes one utterance.</summary>
    /// <param name="logProbs">Log-probabilities, row-major [frames, <see cref="CtcAlphabet.Classes"/>]; class 0 is the blank.</param>
    public static string Decode(ReadOnlySpan<float> logProbs, int frames, CtcDecoding decoding)
    {
        var lm = decoding.LanguageModel ?? throw new ArgumentException("beam search needs a language model.", nameof(decoding));
        const int classes = CtcAlphabet.Classes;
        var root = new Prefix(-1, "", lm.Context(""), 0);
        var beam = new Dictionary<Prefix, Probability> { [root] = new(0, float.NegativeInfinity) };
        var next = new Dictionary<Prefix, Probability>();
        for (var t = 0; t < frames; t++)
        {
            var row = logProbs.Slice(t * classes, classes);
            var best = float.NegativeInfinity;
            foreach (var v in row) best = Math.Max(best, v);
            next.Clear();
            foreach (var (prefix, p) in beam)
            {
                var total = LogAdd(p.Blank, p.NonBlank);
                Add(next, prefix, blank: total + row[0]);
                // The same last character again without a blank between collapses into this prefix.
                if (prefix.Last >= 0) Add(next, prefix, nonBlank: p.NonBlank + row[prefix.Last + 1]);
                for (var c = 1; c < classes; c++)
                {
                    if (row[c] < best - Prune) continue;
                    var symbol = c - 1;
                    if (prefix.Child(symbol, lm, decoding) is not { } child) continue;
                    var from = symbol == prefix.Last ? p.Blank : total;
                    Add(next, child, nonBlank: from + row[c]);
                }
            }
            (beam, next) = (next, beam);
            if (beam.Count > decoding.Beam)
            {
                var kept = beam.OrderByDescending(e => Score(e.Key, e.Value)).Take(decoding.Beam).ToList();
                beam.Clear();
                foreach (var (k, v) in kept) beam[k] = v;
            }
        }
        // The sentence must end with a whole word; if no prefix does (a lexicon too narrow), the best one is taken.
        var ended = beam.Where(e => e.Key.EndsWord(decoding.Lexicon)).ToList();
        var winner = (ended.Count > 0 ? ended : beam.ToList())
            .MaxBy(e => Score(e.Key, e.Value) + decoding.LanguageModelWeight * lm.LogProbabilities(e.Key.Context)[CharacterLanguageModel.EndOfSentence]);
        return winner.Key.Text;
    }

    private static double Score(Prefix prefix, Probability p) => LogAdd(p.Blank, p.NonBlank) + prefix.LanguageScore;

    private static void Add(Dictionary<Prefix, Probability> beam, Prefix prefix, float blank = float.NegativeInfinity, float nonBlank = float.NegativeInfinity)
    {
        var p = beam.TryGetValue(prefix, out var old) ? old : new Probability(float.NegativeInfinity, float.NegativeInfinity);
        beam[prefix] = new Probability(LogAdd(p.Blank, blank), LogAdd(p.NonBlank, nonBlank));
    }

    private static float LogAdd(float a, float b)
    {
        if (float.IsNegativeInfinity(a)) return b;
        if (float.IsNegativeInfinity(b)) return a;
        var max = Math.Max(a, b);
        return max + MathF.Log(1 + MathF.Exp(-Math.Abs(a - b)));
    }

    private readonly record struct Probability(float Blank, float NonBlank);

    /// <summary>A decoded prefix, a node of a trie, so that a prefix reached by two paths is one dictionary key.</summary>
    private sealed class Prefix(int last, string text, string context, double languageScore)
    {
        private Dictionary<int, Prefix?>? _children;

        public int Last { get; } = last;
        public string Text { get; } = text;
        public string Context { get; } = context;

        /// <summary>α · log P_LM(text) + β · characters.</summary>
        public double LanguageScore { get; } = languageScore;

        /// <summary>Whether the text ends with a whole word of the lexicon (or with a space, or is empty).</summary>
        public bool EndsWord(Lexicon? lexicon) => lexicon is null || Text.Length == 0 || Text[^1] == ' ' || lexicon.IsWord(LastWord);

        private ReadOnlySpan<char> LastWord => Text.AsSpan(Text.LastIndexOf(' ') + 1);

        /// <summary>The prefix with one more character, or null where the lexicon has no word that starts so.</summary>
        public Prefix? Child(int symbol, CharacterLanguageModel lm, CtcDecoding decoding)
        {
            _children ??= [];
            if (_children.TryGetValue(symbol, out var child)) return child;
            var character = CtcAlphabet.Characters[symbol];
            if (decoding.Lexicon is { } lexicon && !Allowed(lexicon, character)) return _children[symbol] = null;
            var text = Text + character;
            var score = LanguageScore + decoding.LanguageModelWeight * lm.LogProbabilities(Context)[symbol] + decoding.InsertionBonus;
            return _children[symbol] = new Prefix(symbol, text, lm.Context(text), score);
        }

        // A space only after a whole word; a letter only where some word goes on with it.
        private bool Allowed(Lexicon lexicon, char character)
        {
            var word = LastWord;
            if (character == ' ') return word.Length > 0 && lexicon.IsWord(word);
            Span<char> longer = stackalloc char[word.Length + 1];
            word.CopyTo(longer);
            longer[^1] = character;
            return lexicon.IsPrefix(longer);
        }
    }
}
