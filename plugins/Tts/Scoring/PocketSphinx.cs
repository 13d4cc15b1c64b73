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
        if (CheckInstalled() is { } missing) throw new InvalidOperationException(missing);
        var work = Directory.CreateTempSubdirectory("seminas-asr-");
        try
        {
            var lm = Path.Combine(work.FullName, "lm.arpa");
            await File.WriteAllTextAsync(lm, languageModel.ToArpa(), cancellationToken).ConfigureAwait(false);
            var dict = Path.Combine(work.FullName, "words.dict");
            await File.WriteAllLinesAsync(dict, dictionary.EntriesFor(languageModel.Vocabulary), cancellationToken).ConfigureAwait(false);

            var names = new string[utterances.Count];
            for (var i = 0; i < utterances.Count; i++)
            {
                names[i] = $"u{i:D5}";
                var samples = WavIo.Resample(utterances[i].Samples, sampleRate, SampleRate);
                WavIo.WriteMono16(Path.Combine(work.FullName, names[i] + ".wav"), samples, SampleRate);
            }

            var parts = Math.Max(1, Math.Min(Processes, utterances.Count));
            var tasks = new List<Task<Dictionary<string, string[]>>>();
            for (var p = 0; p < parts; p++)
            {
                var slice = names.Where((_, i) => i % parts == p).ToArray();
                if (slice.Length > 0) tasks.Add(RunBatchAsync(work.FullName, p, slice, lm, dict, cancellationToken));
            }
            var found = new Dictionary<string, string[]>(StringComparer.Ordinal);
            foreach (var result in await Task.WhenAll(tasks).ConfigureAwait(false))
                foreach (var (name, words) in result) found[name] = words;

            return utterances.Select((u, i) => new Recognition(u.Id, found.TryGetValue(names[i], out var w) ? w : [])).ToList();
        }
        finally
        {
            try { work.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private async Task<Dictionary<string, string[]>> RunBatchAsync(string folder, int part, string[] names, string lm, string dict,
        CancellationToken cancellationToken)
    {
        var ctl = Path.Combine(folder, $"part{part}.ctl");
        var hyp = Path.Combine(folder, $"part{part}.hyp");
        var log = Path.Combine(folder, $"part{part}.log");
        await File.WriteAllLinesAsync(ctl, names, cancellationToken).ConfigureAwait(false);
        string[] arguments =
        [
            "-adcin", "yes", "-adchdr", "44", "-cepdir", folder, "-cepext", ".wav", "-ctl", ctl,
            "-hmm", Path.Combine(ModelDirectory, "en-us"), "-lm", lm, "-dict", dict, "-hyp", hyp,
            "-logfn", log,
        ];
        var (exitCode, error) = await ExternalTool.RunAsync(Executable, arguments, "pocketsphinx", cancellationToken).ConfigureAwait(false);
        if (exitCode != 0 || !File.Exists(hyp))
        {
            var detail = File.Exists(log) ? string.Join('\n', File.ReadLines(log).Where(l => l.StartsWith("ERROR", StringComparison.Ordinal)).Take(5)) : error;
            throw new InvalidOperationException($"{Executable} failed (exit code {exitCode}): {detail.Trim()}");
        }

        // Lines read "the words said (name score)"; an utterance with nothing recognised reads " (name score)".
        var results = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var line in await File.ReadAllLinesAsync(hyp, Encoding.UTF8, cancellationToken).ConfigureAwait(false))
        {
            var open = line.LastIndexOf('(');
            if (open < 0) continue;
            var inside = line[(open + 1)..].TrimEnd(')', ' ').Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (inside.Length == 0) continue;
            var words = line[..open].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Where(w => !w.StartsWith('<') && !w.StartsWith('[')).Select(w => StripAlternate(w)).ToArray();
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
