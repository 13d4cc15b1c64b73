using System.Reflection;

namespace SemiNas.Tts.Data;

/// <summary>A sentence of a sentence file, with the line it came from.</summary>
public sealed record Sentence(string Text, int Line);

/// <summary>
/// Sentence files: one sentence per line, blank lines and lines starting with <c>#</c> ignored. Two ship with the
/// plugin: <c>sentences.txt</c> (short everyday sentences) and <c>hard-sentences.txt</c> (robustness test).
/// </summary>
public static class SentenceList
{
    public const string Shipped = "sentences.txt";
    public const string ShippedHard = "hard-sentences.txt";

    public static IReadOnlyList<Sentence> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such sentence file.", path);
        var sentences = Parse(File.ReadLines(path));
        if (sentences.Count == 0) throw new InvalidDataException($"{path}: no sentences (blank lines and # comments only).");
        return sentences;
    }

    /// <summary>A sentence list shipped inside the plugin: <see cref="Shipped"/> or <see cref="ShippedHard"/>.</summary>
    public static IReadOnlyList<Sentence> LoadShipped(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("SemiNas.Tts." + name)
            ?? throw new FileNotFoundException($"No shipped sentence list '{name}' (there are {Shipped} and {ShippedHard}).");
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        return Parse(lines);
    }

    /// <summary>A path, or "shipped:NAME" for a list inside the plugin.</summary>
    public static IReadOnlyList<Sentence> LoadPathOrShipped(string source) =>
        source.StartsWith("shipped:", StringComparison.Ordinal) ? LoadShipped(source["shipped:".Length..]) : Load(source);

    private static List<Sentence> Parse(IEnumerable<string> lines)
    {
        var sentences = new List<Sentence>();
        var number = 0;
        foreach (var line in lines)
        {
            number++;
            var text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#')) continue;
            sentences.Add(new Sentence(text, number));
        }
        return sentences;
    }
}
