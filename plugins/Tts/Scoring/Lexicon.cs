namespace SemiNas.Tts.Scoring;

/// <summary>A list of words, with every prefix of each, for a search that may only spell words of the list.</summary>
public sealed class Lexicon
{
    private static readonly Lazy<Lexicon> DebianLexicon = new(() => new Lexicon(Text.CmuDict.Debian.Words, "CMUdict"));
    private readonly HashSet<string> _words = new(StringComparer.Ordinal);
    private readonly HashSet<string> _prefixes = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _wordSpans;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _prefixSpans;

    /// <param name="words">Lower-case words; those with a character outside <see cref="CtcAlphabet"/> are left out.</param>
    public Lexicon(IEnumerable<string> words, string source)
    {
        Source = source;
        foreach (var word in words)
        {
            if (word.Length == 0 || word.Any(c => c == ' ' || !CtcAlphabet.Characters.Contains(c))) continue;
            _words.Add(word);
            for (var n = 1; n <= word.Length; n++) _prefixes.Add(word[..n]);
        }
        _wordSpans = _words.GetAlternateLookup<ReadOnlySpan<char>>();
        _prefixSpans = _prefixes.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The words of Debian's CMUdict (pocketsphinx-en-us), the open-vocabulary recogniser's dictionary too; no corpus text.</summary>
    public static Lexicon Debian => DebianLexicon.Value;

    public string Source { get; }

    public int Count => _words.Count;

    // Span lookups, so that the beam search asks about a word's end without making a string per character.
    public bool IsWord(ReadOnlySpan<char> word) => _wordSpans.Contains(word);

    public bool IsPrefix(ReadOnlySpan<char> start) => _prefixSpans.Contains(start);
}
