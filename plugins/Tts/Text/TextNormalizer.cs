using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SemiNas.Tts.Text;

/// <summary>
/// English text normalisation for synthesis and for scoring: numbers, ordinals, years and a few abbreviations are
/// spelled out, so that the text the synthesiser reads, the phonemes a model learns and the transcript the
/// recogniser is scored against are the same words.
/// </summary>
public static partial class TextNormalizer
{
    private static readonly string[] Ones =
    [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    ];

    private static readonly string[] Tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

    private static readonly (long Value, string Name)[] Scales =
        [(1_000_000_000_000, "trillion"), (1_000_000_000, "billion"), (1_000_000, "million"), (1000, "thousand")];

    private static readonly Dictionary<string, string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mr"] = "mister", ["mrs"] = "missus", ["dr"] = "doctor", ["st"] = "saint", ["co"] = "company",
        ["jr"] = "junior", ["sr"] = "senior", ["lt"] = "lieutenant", ["gen"] = "general", ["capt"] = "captain",
        ["col"] = "colonel", ["maj"] = "major", ["sgt"] = "sergeant", ["rev"] = "reverend", ["hon"] = "honorable",
        ["ft"] = "fort", ["mt"] = "mount", ["no"] = "number",
    };

    /// <summary>
    /// Spells out numbers and abbreviations and tidies spacing; keeps case and the punctuation that marks pauses
    /// (<c>, . ; : ? !</c>). This is LJSpeech's "normalized text" column.
    /// </summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Replace('\u2019', '\'').Replace('\u2018', '\'').Replace('`', '\'')
            .Replace('\u201C', '"').Replace('\u201D', '"').Replace('\u2014', ',').Replace('\u2013', '-');
        s = AbbreviationPattern().Replace(s, m =>
            Abbreviations.TryGetValue(m.Groups[1].Value, out var full) && !(m.Groups[1].Value.Equals("no", StringComparison.OrdinalIgnoreCase) && !m.Groups[2].Success)
                ? MatchCase(full, m.Groups[1].Value) + m.Groups[2].Value : m.Value);
        s = MoneyPattern().Replace(s, m => SpellNumber(m.Groups[1].Value) + (m.Groups[1].Value == "1" ? " dollar" : " dollars"));
        s = PercentPattern().Replace(s, m => SpellNumber(m.Groups[1].Value) + " percent");
        s = OrdinalPattern().Replace(s, m => SpellOrdinal(long.Parse(m.Groups[1].Value.Replace(",", ""), CultureInfo.InvariantCulture)));
        s = NumberPattern().Replace(s, m => " " + SpellNumber(m.Value) + " ");
        s = s.Replace('-', ' ').Replace('"', ' ').Replace("(", ", ").Replace(")", ", ");
        s = OtherSymbols().Replace(s, " ");
        s = SpaceBeforePunctuation().Replace(s, "$1");
        s = Spaces().Replace(s, " ").Trim();
        return s;
    }

    /// <summary>
    /// The words of a text as a recogniser transcribes them: normalised, lower case, no punctuation.
    /// WER and CER compare these.
    /// </summary>
    public static IReadOnlyList<string> Words(string text)
    {
        var normalized = Normalize(text).ToLowerInvariant();
        var words = new List<string>();
        foreach (var raw in WordSplit().Split(normalized))
        {
            var word = raw.Trim('\'');
            if (word.Length > 0) words.Add(word);
        }
        return words;
    }

    /// <summary>
    /// Splits a normalised text into words (lower case) and pause punctuation marks, in order.
    /// </summary>
    public static IReadOnlyList<string> Tokens(string normalizedText)
    {
        var tokens = new List<string>();
        foreach (Match m in TokenPattern().Matches(normalizedText.ToLowerInvariant()))
        {
            var token = m.Value.Trim('\'');
            if (token.Length == 0) continue;
            tokens.Add(token is ";" or ":" ? "," : token);
        }
        return tokens;
    }

    /// <summary>Cardinal number in words: "2,500" → "two thousand five hundred", "1984" → "nineteen eighty four".</summary>
    public static string SpellNumber(string digits)
    {
        var clean = digits.Replace(",", "");
        var point = clean.IndexOf('.');
        if (point >= 0)
        {
            var whole = point == 0 ? "zero" : SpellNumber(clean[..point]);
            var fraction = string.Join(' ', clean[(point + 1)..].Select(c => Ones[c - '0']));
            return fraction.Length == 0 ? whole : whole + " point " + fraction;
        }
        if (clean.Length > 15) return string.Join(' ', clean.Select(c => Ones[c - '0']));
        var value = long.Parse(clean, CultureInfo.InvariantCulture);
        // Four-digit numbers without a thousands comma read as years, as people say them.
        if (!digits.Contains(',') && clean.Length == 4 && value is >= 1100 and <= 2099 && value % 1000 >= 10 && !(value is >= 2000 and < 2010))
        {
            var high = value / 100;
            var low = value % 100;
            return SpellCardinal(high) + " " + (low == 0 ? "hundred" : low < 10 ? "oh " + Ones[low] : SpellCardinal(low));
        }
        return SpellCardinal(value);
    }

    public static string SpellCardinal(long value)
    {
        if (value < 0) return "minus " + SpellCardinal(-value);
        if (value < 20) return Ones[value];
        if (value < 100) return Tens[value / 10] + (value % 10 == 0 ? "" : " " + Ones[value % 10]);
        if (value < 1000) return Ones[value / 100] + " hundred" + (value % 100 == 0 ? "" : " " + SpellCardinal(value % 100));
        var parts = new StringBuilder();
        var rest = value;
        foreach (var (scale, name) in Scales)
        {
            if (rest < scale) continue;
            if (parts.Length > 0) parts.Append(' ');
            parts.Append(SpellCardinal(rest / scale)).Append(' ').Append(name);
            rest %= scale;
        }
        if (rest > 0) parts.Append(' ').Append(SpellCardinal(rest));
        return parts.ToString();
    }

    public static string SpellOrdinal(long value)
    {
        var cardinal = SpellCardinal(value);
        var lastSpace = cardinal.LastIndexOf(' ');
        var head = lastSpace < 0 ? "" : cardinal[..(lastSpace + 1)];
        var last = cardinal[(lastSpace + 1)..];
        var ordinal = last switch
        {
            "one" => "first", "two" => "second", "three" => "third", "five" => "fifth", "eight" => "eighth",
            "nine" => "ninth", "twelve" => "twelfth",
            _ when last.EndsWith('y') => last[..^1] + "ieth",
            _ => last + "th",
        };
        return head + ordinal;
    }

    private static string MatchCase(string word, string like) =>
        like.Length > 0 && char.IsUpper(like[0]) ? char.ToUpperInvariant(word[0]) + word[1..] : word;

    [GeneratedRegex(@"\b(mr|mrs|dr|st|co|jr|sr|lt|gen|capt|col|maj|sgt|rev|hon|ft|mt|no)\.(\s*\d)?", RegexOptions.IgnoreCase)]
    private static partial Regex AbbreviationPattern();

    [GeneratedRegex(@"\$(\d[\d,]*(?:\.\d+)?)")]
    private static partial Regex MoneyPattern();

    [GeneratedRegex(@"(\d[\d,]*(?:\.\d+)?)\s*%")]
    private static partial Regex PercentPattern();

    [GeneratedRegex(@"\b(\d[\d,]*)(?:st|nd|rd|th)\b", RegexOptions.IgnoreCase)]
    private static partial Regex OrdinalPattern();

    [GeneratedRegex(@"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"[^A-Za-z',.;:?!\s]")]
    private static partial Regex OtherSymbols();

    [GeneratedRegex(@"\s+([,.;:?!])")]
    private static partial Regex SpaceBeforePunctuation();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"[^a-z']+")]
    private static partial Regex WordSplit();

    [GeneratedRegex(@"[a-z']+|[,.;:?!]")]
    private static partial Regex TokenPattern();
}
