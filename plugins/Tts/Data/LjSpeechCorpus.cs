using System.Buffers;
using System.Text;
using System.Text.Unicode;
using NAudio.Wave;
using SemiNas.Tts.Audio;
using SemiNas.Tts.Text;

namespace SemiNas.Tts.Data;

/// <summary>What to do with a bad metadata row, a missing or an unreadable WAV file.</summary>
public enum BadInputPolicy
{
    /// <summary>Report it and leave the utterance out.</summary>
    Skip,

    /// <summary>Stop with an error that lists every problem.</summary>
    Fail,
}

/// <summary>One utterance of an LJSpeech-format corpus.</summary>
/// <param name="Line">The line of <c>metadata.csv</c> it came from (1-based).</param>
public sealed record Utterance(string Id, string Text, string NormalizedText, string WavPath, int Line);

/// <summary>A problem with one row or file, reported as <c>file:line: message</c>.</summary>
public sealed record CorpusProblem(string File, int Line, string Message)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Message}" : $"{File}: {Message}";
}

/// <summary>
/// An LJSpeech-format corpus: <c>metadata.csv</c> with <c>id|text|normalized text</c> rows (no header; a missing
/// third field is filled by <see cref="TextNormalizer"/>) and <c>wavs/&lt;id&gt;.wav</c>.
/// </summary>
public sealed class LjSpeechCorpus
{
    public const string MetadataFile = "metadata.csv";
    public const string WavFolder = "wavs";

    private LjSpeechCorpus(string directory, IReadOnlyList<Utterance> utterances, IReadOnlyList<CorpusProblem> problems)
    {
        Directory = directory;
        Utterances = utterances;
        Problems = problems;
    }

    public string Directory { get; }

    public IReadOnlyList<Utterance> Utterances { get; }

    /// <summary>The rows and files that were skipped, with why.</summary>
    public IReadOnlyList<CorpusProblem> Problems { get; }

    /// <summary>
    /// Reads <c>metadata.csv</c> and checks that every WAV file exists and has a readable WAV header.
    /// </summary>
    /// <exception cref="InvalidDataException">With <see cref="BadInputPolicy.Fail"/>, any problem; always, a
    /// missing <c>metadata.csv</c> or a corpus with no usable utterance. The message lists the problems.</exception>
    public static LjSpeechCorpus Load(string directory, BadInputPolicy policy = BadInputPolicy.Skip)
    {
        var root = Path.GetFullPath(directory);
        var metadata = Path.Combine(root, MetadataFile);
        if (!File.Exists(metadata))
            throw new FileNotFoundException($"{metadata}: no such file; an LJSpeech-format corpus has metadata.csv and wavs/.", metadata);

        var utterances = new List<Utterance>();
        var problems = new List<CorpusProblem>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (lineNumber, decoded, encodingProblem) in ReadUtf8Lines(metadata))
        {
            if (encodingProblem is not null)
            {
                problems.Add(new(metadata, lineNumber, encodingProblem));
                continue;
            }
            var line = decoded!.TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            var fields = line.Split('|');
            if (fields.Length is < 2 or > 3)
            {
                problems.Add(new(metadata, lineNumber, $"expected 'id|text|normalized text', found {fields.Length} field(s)"));
                continue;
            }
            var id = fields[0].Trim();
            var text = fields[1].Trim();
            var normalized = fields.Length == 3 ? fields[2].Trim() : "";
            if (id.Length == 0 || id.IndexOfAny(['/', '\\']) >= 0 || id is "." or "..")
            {
                problems.Add(new(metadata, lineNumber, $"id '{id}' is empty or not a file name"));
                continue;
            }
            if (seen.TryGetValue(id, out var firstLine))
            {
                problems.Add(new(metadata, lineNumber, $"id '{id}' already appears on line {firstLine}"));
                continue;
            }
            seen[id] = lineNumber;
            if (normalized.Length == 0) normalized = TextNormalizer.Normalize(text);
            if (TextNormalizer.Words(normalized).Count == 0)
            {
                problems.Add(new(metadata, lineNumber, $"utterance '{id}' has no words"));
                continue;
            }
            var wav = Path.Combine(root, WavFolder, id + ".wav");
            if (CheckWav(wav) is { } wavProblem)
            {
                problems.Add(new(wav, 0, $"{wavProblem} (metadata.csv line {lineNumber}, id '{id}')"));
                continue;
            }
            utterances.Add(new Utterance(id, text, normalized, wav, lineNumber));
        }

        if (problems.Count > 0 && policy == BadInputPolicy.Fail)
            throw new InvalidDataException($"{problems.Count} problem(s) in the corpus {root}:{Environment.NewLine}" +
                                           string.Join(Environment.NewLine, problems.Select(p => "  " + p)));
        if (utterances.Count == 0)
            throw new InvalidDataException($"{metadata}: no usable utterance" +
                                           (problems.Count > 0 ? $"; {problems.Count} problem(s), the first: {problems[0]}" : "."));
        return new LjSpeechCorpus(root, utterances, problems);
    }

    /// <summary>
    /// The lines of a UTF-8 file (a BOM is skipped), each decoded strictly: a line with bytes that are not UTF-8 comes
    /// back as a problem naming the byte and its column, where File.ReadLines would quietly replace them with U+FFFD.
    /// </summary>
    private static IEnumerable<(int Line, string? Text, string? Problem)> ReadUtf8Lines(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var start = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        var lineNumber = 0;
        while (start < bytes.Length)
        {
            lineNumber++;
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) end = bytes.Length;
            yield return Decode(bytes.AsSpan(start, end - start), lineNumber);
            start = end + 1;
        }

        static (int, string?, string?) Decode(ReadOnlySpan<byte> line, int lineNumber)
        {
            var chars = new char[line.Length];
            var status = Utf8.ToUtf16(line, chars, out var read, out var written, replaceInvalidSequences: false);
            return status == OperationStatus.Done
                ? (lineNumber, new string(chars, 0, written), null)
                : (lineNumber, null, $"not valid UTF-8: byte 0x{line[read]:X2} at byte column {read + 1} (save metadata.csv as UTF-8)");
        }
    }

    private static string? CheckWav(string path)
    {
        if (!File.Exists(path)) return "missing WAV file";
        try
        {
            if (WavIo.CheckChunks(path) is { } layout) return layout;
            using var reader = new WaveFileReader(path);
            if (reader.SampleCount <= 0) return "WAV file has no samples";
            if (reader.WaveFormat.Encoding is not (WaveFormatEncoding.Pcm or WaveFormatEncoding.IeeeFloat or WaveFormatEncoding.Extensible))
                return $"{reader.WaveFormat.Encoding} WAV is not supported (use PCM or float)";
            return null;
        }
        catch (Exception e) when (e is FormatException or EndOfStreamException or ArgumentException or InvalidOperationException or IOException)
        {
            return $"unreadable WAV file ({e.Message})";
        }
    }
}
