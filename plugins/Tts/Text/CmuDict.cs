namespace SemiNas.Tts.Text;

/// <summary>
/// The CMU pronouncing dictionary as Debian's <c>pocketsphinx-en-us</c> ships it (<c>word PH PH …</c>, alternates as
/// <c>word(2)</c>, ARPAbet without stress marks): the same phone set the recogniser and flite use.
/// </summary>
public sealed class CmuDict
{
    /// <summary>Where Debian's <c>pocketsphinx-en-us</c> installs it.</summary>
    public const string DebianPath = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";

    /// <summary>The 39 ARPAbet phonemes of CMUdict, in its own order.</summary>
    public static readonly IReadOnlyList<string> Phones =
    [
        "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH", "IY", "JH",
        "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH",
    ];

    private static readonly Lazy<CmuDict> DebianDictionary = new(() => Load(DebianPath));

    private readonly Dictionary<string, string[]> _entries;
    private readonly Dictionary<string, List<string[]>> _alternates;

    private CmuDict(Dictionary<string, string[]> entries, Dictionary<string, List<string[]>> alternates, string path)
    {
        _entries = entries;
        _alternates = alternates;
        Path = path;
    }

    public string Path { get; }

    public int Count => _entries.Count;

    /// <summary>The words of the dictionary, lower case.</summary>
    public IEnumerable<string> Words => _entries.Keys;

    /// <summary>The dictionary of Debian's pocketsphinx-en-us, loaded once per process.</summary>
    public static CmuDict Debian
    {
        get
        {
            if (!File.Exists(DebianPath))
                throw new FileNotFoundException(
                    $"CMUdict not found at {DebianPath}: install the Debian package pocketsphinx-en-us " +
                    "(build/install-debian-packages.sh does it).", DebianPath);
            return DebianDictionary.Value;
        }
    }

    /// <summary>Reads a dictionary file; the first pronunciation of each word is kept.</summary>
    public static CmuDict Load(string path)
    {
        var entries = new Dictionary<string, string[]>(140_000, StringComparer.Ordinal);
        var alternates = new Dictionary<string, List<string[]>>(StringComparer.Ordinal);
        var phoneSet = Phones.ToHashSet(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0 || line.StartsWith(";;;", StringComparison.Ordinal)) continue;
            var parts = line.Split(' ', '\t');
            var fields = parts.Where(p => p.Length > 0).ToArray();
            if (fields.Length < 2)
                throw new InvalidDataException($"{path}:{lineNumber}: expected 'word PHONE …', found '{line}'.");
            var word = fields[0].ToLowerInvariant();
            var alternate = word.EndsWith(')') && word.IndexOf('(') > 0;
            if (alternate) word = word[..word.IndexOf('(')];
            var phones = new string[fields.Length - 1];
            for (var i = 1; i < fields.Length; i++)
            {
                // Some CMUdict editions carry stress digits (AH0); this project's phone set has none.
                var phone = fields[i].TrimEnd('0', '1', '2').ToUpperInvariant();
                if (!phoneSet.Contains(phone))
                    throw new InvalidDataException($"{path}:{lineNumber}: '{fields[i]}' is not an ARPAbet phone.");
                phones[i - 1] = phone;
            }
            // A model reads the first pronunciation; the recogniser must accept every one ("read" is R EH D first).
            if (alternate)
            {
                if (!alternates.TryGetValue(word, out var list)) alternates[word] = list = [];
                list.Add(phones);
            }
            else entries.TryAdd(word, phones);
        }
        return new CmuDict(entries, alternates, path);
    }

    public bool Contains(string word) => _entries.ContainsKey(word.ToLowerInvariant());

    public bool TryGetPhones(string word, out IReadOnlyList<string> phones)
    {
        if (_entries.TryGetValue(word.ToLowerInvariant(), out var found))
        {
            phones = found;
            return true;
        }
        phones = [];
        return false;
    }

    /// <summary>
    /// The dictionary lines (<c>word PH PH</c>, then <c>word(2) …</c> for alternates) for the given words that it
    /// knows, for a recogniser.
    /// </summary>
    public IEnumerable<string> EntriesFor(IEnumerable<string> words)
    {
        foreach (var word in words.Select(w => w.ToLowerInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (!_entries.TryGetValue(word, out var phones)) continue;
            yield return word + " " + string.Join(' ', phones);
            if (!_alternates.TryGetValue(word, out var others)) continue;
            for (var i = 0; i < others.Count; i++) yield return $"{word}({i + 2}) {string.Join(' ', others[i])}";
        }
    }
}
