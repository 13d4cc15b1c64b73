using SemiNas.Tts.Text;

namespace SemiNas.Tts.Scoring;

/// <summary>
/// A character n-gram language model over the recogniser's alphabet (space, a–z, apostrophe) plus an end-of-sentence
/// symbol, interpolated Witten–Bell smoothing down to a uniform distribution. Characters rather than words keep the
/// vocabulary open: a word never seen in training is still spelt, only with less help. Built from the training split's
/// sentences only, so it never holds a scored sentence (<see cref="CtcRecognizer"/>).
/// </summary>
public sealed class CharacterLanguageModel
{
    /// <summary>Symbols: the CTC alphabet's characters (index = class id − 1), then the end of the sentence.</summary>
    public const int Symbols = CtcAlphabet.Classes - 1 + 1;

    public const int EndOfSentence = Symbols - 1;

    private const char Start = '^';

    // Counts of the symbol after each context of 0..Order−1 characters (the context "" is the unigram).
    private readonly Dictionary<string, int[]> _counts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, float[]> _distributions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _sentences = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    private CharacterLanguageModel(int order) => Order = order;

    public int Order { get; }

    /// <summary>Sentences the model was built from.</summary>
    public int Sentences { get; private set; }

    /// <summary>Whether a sentence with these words was among those the model was built from (a score of it would leak).</summary>
    public bool Holds(string normalizedText) => _sentences.Contains(string.Join(' ', TextNormalizer.Words(normalizedText)));

    /// <summary>Builds the model from normalised sentences (their words as <see cref="TextNormalizer.Words"/> gives them).</summary>
    public static CharacterLanguageModel Train(IEnumerable<string> normalizedTexts, int order = 6)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(order, 1);
        var model = new CharacterLanguageModel(order);
        foreach (var text in normalizedTexts)
        {
            model._sentences.Add(string.Join(' ', TextNormalizer.Words(text)));
            var symbols = CtcAlphabet.Encode(TextNormalizer.Words(text)).Select(c => (int)c - 1).Append(EndOfSentence).ToArray();
            var history = new string(Start, order - 1);
            foreach (var symbol in symbols)
            {
                for (var n = 0; n < order; n++) model.Count(history[(history.Length - n)..], symbol);
                if (symbol != EndOfSentence) history = history[1..] + CtcAlphabet.Characters[symbol];
            }
            model.Sentences++;
        }
        return model;
    }

    /// <summary>The context a model of this order conditions on after <paramref name="text"/> (the sentence so far).</summary>
    public string Context(string text)
    {
        var padded = new string(Start, Order - 1) + text;
        return padded[(padded.Length - (Order - 1))..];
    }

    /// <summary>Natural-log probabilities of every symbol after <paramref name="context"/> (a <see cref="Context"/>), cached.</summary>
    public float[] LogProbabilities(string context)
    {
        lock (_gate)
        {
            if (_distributions.TryGetValue(context, out var cached)) return cached;
            var p = Probabilities(context);
            var log = p.Select(x => (float)Math.Log(x)).ToArray();
            _distributions[context] = log;
            return log;
        }
    }

    private double[] Probabilities(string context)
    {
        var lower = context.Length == 0 ? Enumerable.Repeat(1.0 / Symbols, Symbols).ToArray() : Probabilities(context[1..]);
        if (!_counts.TryGetValue(context, out var counts)) return lower;
        double total = counts.Sum(), types = counts.Count(c => c > 0);
        return lower.Select((q, s) => (counts[s] + types * q) / (total + types)).ToArray();
    }

    private void Count(string context, int symbol)
    {
        if (!_counts.TryGetValue(context, out var counts)) _counts[context] = counts = new int[Symbols];
        counts[symbol]++;
    }
}
