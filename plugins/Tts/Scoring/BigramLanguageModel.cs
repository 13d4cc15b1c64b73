using System.Globalization;
using System.Text;

namespace SemiNas.Tts.Scoring;

/// <summary>
/// A word bigram language model with absolute discounting and Katz-style back-off to unigrams, written as an ARPA
/// file for pocketsphinx. Built from the corpus text, it makes the recogniser judge whether the expected words
/// were said rather than guess among all of English (tts-notes §3.2: 61 % WER with the generic model on clean
/// Griffin-Lim audio, 0 % with an in-domain bigram).
/// </summary>
public sealed class BigramLanguageModel
{
    public const string SentenceStart = "<s>";
    public const string SentenceEnd = "</s>";
    public const double DefaultDiscount = 0.1;

    private readonly double _discount;

    private readonly Dictionary<string, int> _unigrams = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), int> _bigrams = new();
    private readonly Dictionary<string, int> _historyCounts = new(StringComparer.Ordinal);

    /// <summary>
    /// Counts the sentences (each a list of words). <paramref name="extraVocabulary"/> are words that may be said
    /// but are not in the sentences: they get a unigram count of one, so they are recognisable without bigrams.
    /// </summary>
    /// <param name="discount">Subtracted from every bigram count (absolute discounting, 0 &lt; D &lt; 1): the mass
    /// left for word pairs the text never showed.</param>
    public BigramLanguageModel(IEnumerable<IReadOnlyList<string>> sentences, IEnumerable<string>? extraVocabulary = null,
        double discount = DefaultDiscount)
    {
        if (!(discount is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(discount), discount, "The discount must be in (0, 1).");
        _discount = discount;
        foreach (var sentence in sentences)
        {
            if (sentence.Count == 0) continue;
            var previous = SentenceStart;
            foreach (var word in sentence.Append(SentenceEnd))
            {
                Increment(_unigrams, word);
                Increment(_historyCounts, previous);
                _bigrams[(previous, word)] = _bigrams.GetValueOrDefault((previous, word)) + 1;
                previous = word;
            }
        }
        foreach (var word in extraVocabulary ?? []) _unigrams.TryAdd(word, 1);
        if (_unigrams.Count <= 1) throw new ArgumentException("A language model needs at least one sentence with words.", nameof(sentences));
    }

    /// <summary>Every word the model knows (without &lt;s&gt; and &lt;/s&gt;).</summary>
    public IEnumerable<string> Vocabulary => _unigrams.Keys.Where(w => w != SentenceEnd).Order(StringComparer.Ordinal);

    public string ToArpa()
    {
        var total = (double)_unigrams.Values.Sum();
        var unigram = _unigrams.ToDictionary(p => p.Key, p => p.Value / total, StringComparer.Ordinal);
        var followers = _bigrams.GroupBy(p => p.Key.Item1, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

        var text = new StringBuilder();
        text.Append("\\data\\\n");
        text.Append(CultureInfo.InvariantCulture, $"ngram 1={_unigrams.Count + 1}\n");
        text.Append(CultureInfo.InvariantCulture, $"ngram 2={_bigrams.Count}\n\n");
        text.Append("\\1-grams:\n");
        text.Append(CultureInfo.InvariantCulture, $"-99.0000 {SentenceStart} {Log(BackOff(SentenceStart)):F4}\n");
        foreach (var word in _unigrams.Keys.Order(StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"{Log(unigram[word]):F4} {word}");
            if (word != SentenceEnd) text.Append(CultureInfo.InvariantCulture, $" {Log(BackOff(word)):F4}");
            text.Append('\n');
        }
        text.Append("\n\\2-grams:\n");
        foreach (var ((history, word), count) in _bigrams.OrderBy(p => p.Key.Item1, StringComparer.Ordinal).ThenBy(p => p.Key.Item2, StringComparer.Ordinal))
            text.Append(CultureInfo.InvariantCulture, $"{Log((count - _discount) / _historyCounts[history]):F4} {history} {word}\n");
        text.Append("\n\\end\\\n");
        return text.ToString();

        // The mass taken from a history's seen bigrams goes to the unigrams of the words never seen after it.
        double BackOff(string history)
        {
            if (!followers.TryGetValue(history, out var seen)) return 1;
            var left = _discount * seen.Count / _historyCounts[history];
            var unseen = 1 - seen.Sum(p => unigram[p.Key.Item2]);
            return unseen > 1e-9 ? left / unseen : 1e-9;
        }
    }

    private static double Log(double p) => Math.Log10(Math.Max(p, 1e-99));

    private static void Increment(Dictionary<string, int> counts, string key) => counts[key] = counts.GetValueOrDefault(key) + 1;
}
