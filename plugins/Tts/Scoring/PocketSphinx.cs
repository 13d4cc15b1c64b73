using System.Text;
using SemiNas.Tts.Audio;
using SemiNas.Tts.Data;
using SemiNas.Tts.Text;

namespace SemiNas.Tts.Scoring;

/// <summary>One recognised utterance.</summary>
public sealed record Recognition(string Id, IReadOnlyList<string> Words);

/// <summary>
/// Debian's pocketsphinx (CMU Sphinx en-us PTM acoustic model, BSD-2) run as <c>pocketsphinx_batch</c> on 16 kHz
/// mono 16-bit WAV files, with a language model and a dictionary restricted to the words it may hear. Batch mode
/// loads the model once for many files; the files are split over parallel processes.
/// </summary>
public sealed class PocketSphinx
{
    public const string Executable = "pocketsphinx_batch";
    public const string DebianModelDirectory = "/usr/share/pocketsphinx/model/en-us";
    public const int SampleRate = 16_000;

    public PocketSphinx(string modelDirectory = DebianModelDirectory, int processes = 0)
    {
        ModelDirectory = modelDirectory;
        Processes = processes > 0 ? processes : Environment.ProcessorCount;
    }

    public string ModelDirectory { get; }

    public int Processes { get; }

    /// <summary>The recogniser, its model and CMUdict are installed; otherwise says what is missing.</summary>
    public string? CheckInstalled()
    {
        var acoustic = Path.Combine(ModelDirectory, "en-us");
        if (!Directory.Exists(acoustic))
            return $"the pocketsphinx en-us model is missing ({acoustic}): install the Debian package pocketsphinx-en-us " +
                   "(build/install-debian-packages.sh)";
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(d => File.Exists(Path.Combine(d, Executable)));
        return onPath ? null : $"{Executable} is not installed: install the Debian package pocketsphinx (build/install-debian-packages.sh)";
    }

    /// <summary>
    /// Recognises mono waveforms at <paramref name="sampleRate"/> (resampled to 16 kHz) against the language model.
    /// Words of the model that CMUdict lacks cannot be recognised and are left out of the dictionary.
    /// </summary>
    public async Task<IReadOnlyList<Recognition>> RecognizeAsync(IReadOnlyList<(string Id, float[] Samples)> utterances,
        int sampleRate, BigramLanguageModel languageModel, CmuDict dictionary, CancellationToken cancellationToken = default)
    {
        var decoding = SphinxDecoding.Closed(languageModel, dictionary);
        return (await RecognizeAsync(utterances, sampleRate, [decoding], cancellationToken).ConfigureAwait(false))[decoding.Name];
    }

    /// <summary>
    /// Recognises mono waveforms at <paramref name="sampleRate"/> (resampled to 16 kHz, written once) with each of
    /// <paramref name="decodings"/>; the results are keyed by the decoding's name.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<Recognition>>> RecognizeAsync(
        IReadOnlyList<(string Id, float[] Samples)> utterances, int sampleRate, IReadOnlyList<SphinxDecoding> decodings,
        CancellationToken cancellationToken = default)
    {
        if (CheckInstalled() is { } missing) throw new InvalidOperationException(missing);
        var work = Directory.CreateTempSubdirectory("seminas-asr-");
        try
        {
            var names = new string[utterances.Count];
            for (var i = 0; i < utterances.Count; i++)
            {
                names[i] = $"u{i:D5}";
                var samples = WavIo.Resample(utterances[i].Samples, sampleRate, SampleRate);
                WavIo.WriteMono16(Path.Combine(work.FullName, names[i] + ".wav"), samples, SampleRate);
            }

            var results = new Dictionary<string, IReadOnlyList<Recognition>>(StringComparer.Ordinal);
            foreach (var decoding in decodings)
            {
                var arguments = await decoding.ArgumentsAsync(ModelDirectory, work.FullName, cancellationToken).ConfigureAwait(false);
                var parts = Math.Max(1, Math.Min(Processes, utterances.Count));
                var tasks = new List<Task<Dictionary<string, string[]>>>();
                for (var p = 0; p < parts; p++)
                {
                    var slice = names.Where((_, i) => i % parts == p).ToArray();
                    if (slice.Length > 0) tasks.Add(RunBatchAsync(work.FullName, $"{decoding.Name}-{p}", slice, arguments, cancellationToken));
                }
                var found = new Dictionary<string, string[]>(StringComparer.Ordinal);
                foreach (var result in await Task.WhenAll(tasks).ConfigureAwait(false))
                    foreach (var (name, words) in result) found[name] = words;
                results[decoding.Name] = utterances.Select((u, i) => new Recognition(u.Id, found.TryGetValue(names[i], out var w) ? w : [])).ToList();
            }
            return results;
        }
        finally
        {
            try { work.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private async Task<Dictionary<string, string[]>> RunBatchAsync(string folder, string part, string[] names, IReadOnlyList<string> decoding,
        CancellationToken cancellationToken)
    {
        var ctl = Path.Combine(folder, $"{part}.ctl");
        var hyp = Path.Combine(folder, $"{part}.hyp");
        var log = Path.Combine(folder, $"{part}.log");
        await File.WriteAllLinesAsync(ctl, names, cancellationToken).ConfigureAwait(false);
        string[] arguments =
        [
            "-adcin", "yes", "-adchdr", "44", "-cepdir", folder, "-cepext", ".wav", "-ctl", ctl,
            "-hmm", Path.Combine(ModelDirectory, "en-us"), .. decoding, "-hyp", hyp, "-logfn", log,
        ];
        var (exitCode, error) = await ExternalTool.RunAsync(Executable, arguments, "pocketsphinx", cancellationToken).ConfigureAwait(false);
        if (exitCode != 0 || !File.Exists(hyp))
        {
            var detail = File.Exists(log) ? string.Join('\n', File.ReadLines(log).Where(l => l.StartsWith("ERROR", StringComparison.Ordinal)).Take(5)) : error;
            throw new InvalidOperationException($"{Executable} failed (exit code {exitCode}): {detail.Trim()}");
        }

        // Lines read "the words said (name score)"; an utterance with nothing recognised reads " (name score)".
        // Fillers (<s>, [NOISE], +SPN+) and the phone loop's silences (SIL) are no words.
        var results = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var line in await File.ReadAllLinesAsync(hyp, Encoding.UTF8, cancellationToken).ConfigureAwait(false))
        {
            var open = line.LastIndexOf('(');
            if (open < 0) continue;
            var inside = line[(open + 1)..].TrimEnd(')', ' ').Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (inside.Length == 0) continue;
            var words = line[..open].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Where(w => !w.StartsWith('<') && !w.StartsWith('[') && !w.StartsWith('+') && w != "SIL").Select(w => StripAlternate(w)).ToArray();
            results[inside[0]] = words;
        }
        return results;
    }

    // Dictionary alternates are printed as word(2).
    private static string StripAlternate(string word)
    {
        var paren = word.IndexOf('(');
        return paren > 0 ? word[..paren] : word;
    }
}

/// <summary>What pocketsphinx decodes against.</summary>
public abstract record SphinxDecoding(string Name)
{
    /// <summary>
    /// Open vocabulary: Debian's general US-English trigram model (<c>en-us.lm.bin</c>) and the whole CMUdict, no
    /// corpus text at all.
    /// </summary>
    public static SphinxDecoding OpenVocabulary { get; } = new General("open", "en-us.lm.bin");

    /// <summary>
    /// The phone loop: <c>en-us-phone.lm.bin</c>, a phone trigram, with the wide beams and language weight CMU
    /// recommends for phoneme recognition; prints ARPAbet phones (tts-notes §3.2).
    /// </summary>
    public static SphinxDecoding PhoneLoop { get; } = new Phones();

    /// <summary>A closed set: a bigram model of the given text and a dictionary of just its words.</summary>
    public static SphinxDecoding Closed(BigramLanguageModel languageModel, CmuDict dictionary, string name = "closed") =>
        new ClosedSet(name, languageModel, dictionary);

    /// <summary>The decoder's command-line arguments; files it needs are written into <paramref name="work"/>.</summary>
    public abstract Task<IReadOnlyList<string>> ArgumentsAsync(string modelDirectory, string work, CancellationToken cancellationToken);

    private sealed record General(string Name, string LanguageModel) : SphinxDecoding(Name)
    {
        public override Task<IReadOnlyList<string>> ArgumentsAsync(string modelDirectory, string work, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<string>>(["-lm", Path.Combine(modelDirectory, LanguageModel), "-dict", Path.Combine(modelDirectory, "cmudict-en-us.dict")]);
    }

    private sealed record Phones() : SphinxDecoding("phones")
    {
        public override Task<IReadOnlyList<string>> ArgumentsAsync(string modelDirectory, string work, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<string>>(["-allphone", Path.Combine(modelDirectory, "en-us-phone.lm.bin"), "-backtrace", "yes",
                "-beam", "1e-20", "-pbeam", "1e-20", "-lw", "2.0", "-dict", Path.Combine(modelDirectory, "cmudict-en-us.dict")]);
    }

    private sealed record ClosedSet(string Name, BigramLanguageModel LanguageModel, CmuDict Dictionary) : SphinxDecoding(Name)
    {
        public override async Task<IReadOnlyList<string>> ArgumentsAsync(string modelDirectory, string work, CancellationToken cancellationToken)
        {
            var lm = Path.Combine(work, Name + ".arpa");
            await File.WriteAllTextAsync(lm, LanguageModel.ToArpa(), cancellationToken).ConfigureAwait(false);
            var dict = Path.Combine(work, Name + ".dict");
            await File.WriteAllLinesAsync(dict, Dictionary.EntriesFor(LanguageModel.Vocabulary), cancellationToken).ConfigureAwait(false);
            return ["-lm", lm, "-dict", dict];
        }
    }
}
