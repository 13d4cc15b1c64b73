namespace SemiNas.Tts.Text;

/// <summary>
/// The model's input symbols: padding, end of sentence, the word boundary <c>|</c>, the 39 CMUdict phonemes, pause
/// punctuation, and letters, which spell words CMUdict lacks. As in SemiNAS, words are separated by <c>|</c> and the
/// sequence ends with EOS.
/// </summary>
public sealed class PhonemeSet
{
    public const int Pad = 0;
    public const int Eos = 1;
    public const int WordBoundary = 2;
    public const string WordBoundarySymbol = "|";
    public const string EosSymbol = "~";

    private static readonly string[] Punctuation = [",", ".", "?", "!"];
    private const string Letters = "abcdefghijklmnopqrstuvwxyz'";

    /// <summary>Number of symbols including padding, known without loading the dictionary.</summary>
    public static int Size => 3 + CmuDict.Phones.Count + Punctuation.Length + Letters.Length;

    private readonly Dictionary<string, int> _ids;
    private readonly string[] _symbols;

    public PhonemeSet(CmuDict dictionary)
    {
        Dictionary = dictionary;
        var symbols = new List<string> { "_", EosSymbol, WordBoundarySymbol };
        symbols.AddRange(CmuDict.Phones);
        symbols.AddRange(Punctuation);
        symbols.AddRange(Letters.Select(c => "#" + c));
        _symbols = symbols.ToArray();
        _ids = symbols.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => p.i, StringComparer.Ordinal);
    }

    public CmuDict Dictionary { get; }

    /// <summary>Number of symbols including padding: the embedding table's size.</summary>
    public int Count => _symbols.Length;

    public string Symbol(int id) => _symbols[id];

    /// <summary>Whether the symbol is spoken (a phoneme or a spelled letter), as opposed to a boundary or pause mark.</summary>
    public bool IsSpoken(int id) => id > WordBoundary && !Punctuation.Contains(_symbols[id]);

    /// <summary>
    /// A normalised text as symbol ids: each word's phonemes (or its letters when CMUdict lacks it), words separated
    /// by <c>|</c>, punctuation kept as pause marks, EOS last. <paramref name="unknownWords"/> receives the words
    /// that had to be spelled.
    /// </summary>
    public int[] Encode(string normalizedText, ICollection<string>? unknownWords = null)
    {
        var ids = new List<int>();
        foreach (var token in TextNormalizer.Tokens(normalizedText))
        {
            if (_ids.TryGetValue(token, out var punctuation) && Punctuation.Contains(token))
            {
                if (ids.Count > 0 && ids[^1] == WordBoundary) ids.RemoveAt(ids.Count - 1);
                ids.Add(punctuation);
                ids.Add(WordBoundary);
                continue;
            }
            if (Dictionary.TryGetPhones(token, out var phones))
            {
                foreach (var phone in phones) ids.Add(_ids[phone]);
            }
            else
            {
                unknownWords?.Add(token);
                foreach (var c in token) ids.Add(_ids["#" + c]);
            }
            ids.Add(WordBoundary);
        }
        if (ids.Count > 0 && ids[^1] == WordBoundary) ids.RemoveAt(ids.Count - 1);
        ids.Add(Eos);
        return ids.ToArray();
    }

    public string Decode(IEnumerable<int> ids) => string.Join(' ', ids.Select(Symbol));
}
