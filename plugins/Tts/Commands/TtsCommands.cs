using System.Globalization;
using System.Text.Json;
using SemiNas.Contracts;
using SemiNas.Tts.Audio;
using SemiNas.Tts.Data;
using SemiNas.Tts.Model;
using SemiNas.Tts.Scoring;
using SemiNas.Tts.Text;

namespace SemiNas.Tts.Commands;

/// <summary>
/// <c>seminas tts make-corpus …</c> and <c>seminas tts evaluate …</c>. Each returns the exit code: 0 success,
/// 1 failure, 2 bad arguments.
/// </summary>
public static class TtsCommands
{
    public const string Usage = """
        usage: seminas tts make-corpus --sentences FILE --out DIR [--voice slt] [--rate 22050] [--limit N] [--prefix FL]
               seminas tts evaluate --corpus DIR (--model FILE | --ground-truth) [--json] [--out DIR]
                                    [--split all|test] [--valid N] [--test N] [--seed N] [--limit N]
                                    [--noise SIGMA] [--power 1.0] [--iterations 60] [--hard FILE|none]

          make-corpus  synthesises the sentences with flite into an LJSpeech-format corpus (wavs/ID.wav, metadata.csv).
                       FILE may be shipped:sentences.txt or shipped:hard-sentences.txt, the lists inside the plugin.
          evaluate     voices log-mels with Griffin-Lim, recognises them with pocketsphinx (language model: the
                       corpus text) and reports the intelligibility rate, WER, CER and robustness error rate.
                       --ground-truth scores the recordings' own mels: the ceiling of the pipeline.
                       --model scores a model saved by `seminas train` (its folder) on the test sentences of
                       its own split and on the hard sentences (--hard; default the shipped list).
                       --noise adds Gaussian noise to the log-mels first (to see the metric respond).
                       WAV files go to --out (default: DIR/evaluation).
        """;

    public static PluginCommand Command { get; } = new("tts",
        "Text to speech: make an LJSpeech-format corpus with flite, or score intelligibility with pocketsphinx.",
        RunAsync);

    public static async Task<int> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        if (arguments.Count == 0 || arguments[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return arguments.Count == 0 ? 2 : 0;
        }
        try
        {
            var rest = arguments.Skip(1).ToList();
            return arguments[0] switch
            {
                "make-corpus" => await MakeCorpusAsync(rest, cancellationToken).ConfigureAwait(false),
                "evaluate" => await EvaluateAsync(rest, cancellationToken).ConfigureAwait(false),
                _ => throw new UsageException($"unknown tts command '{arguments[0]}' (make-corpus, evaluate)."),
            };
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"tts: {e.Message}\n{Usage}").ConfigureAwait(false);
            return 2;
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException or InvalidOperationException or IOException)
        {
            await Console.Error.WriteLineAsync($"tts: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static async Task<int> MakeCorpusAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var args = new CommandArguments(arguments, ["--sentences", "--out", "--voice", "--rate", "--limit", "--prefix"], []);
        var source = args.Required("--sentences");
        var output = args.Required("--out");
        var voice = args.Get("--voice") ?? "slt";
        if (!Flite.Voices.Contains(voice)) throw new UsageException($"--voice must be one of {string.Join(", ", Flite.Voices)}, not '{voice}'.");
        var rate = args.Int("--rate", 22_050, 8000, 96_000);
        var limit = args.Int("--limit", int.MaxValue, 1);
        var prefix = args.Get("--prefix") ?? "FL";
        if (prefix.Length == 0 || prefix.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || prefix.Contains('|'))
            throw new UsageException($"--prefix '{prefix}' is not usable in file names.");

        var sentences = SentenceList.LoadPathOrShipped(source).Take(limit).ToList();
        var started = DateTime.UtcNow;
        var corpus = await CorpusMaker.MakeAsync(sentences, output, voice, rate, prefix, null, cancellationToken).ConfigureAwait(false);
        var seconds = corpus.Utterances.Sum(u => Duration(u.WavPath));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Wrote {corpus.Utterances.Count} utterances ({seconds / 60:F1} min of audio, {rate} Hz, flite voice {voice}) to {corpus.Directory} in {(DateTime.UtcNow - started).TotalSeconds:F1} s."));
        return 0;
    }

    private static double Duration(string wav)
    {
        using var reader = new NAudio.Wave.WaveFileReader(wav);
        return reader.TotalTime.TotalSeconds;
    }

    private static async Task<int> EvaluateAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var args = new CommandArguments(arguments,
            ["--corpus", "--model", "--out", "--split", "--valid", "--test", "--seed", "--limit", "--noise", "--power", "--iterations", "--hard"],
            ["--ground-truth", "--json"]);
        var corpusDirectory = args.Required("--corpus");
        var model = args.Get("--model");
        var groundTruth = args.Has("--ground-truth");
        if (groundTruth == (model is not null)) throw new UsageException("give exactly one of --model FILE and --ground-truth.");
        var split = args.Get("--split") ?? (groundTruth ? "all" : "test");
        if (split is not ("all" or "test")) throw new UsageException($"--split must be all or test, not '{split}'.");
        var settings = new ScoringSettings
        {
            NoiseSigma = args.Double("--noise", 0, 0, 8),
            Power = args.Double("--power", 1.0, 0.1, 4),
            GriffinLimIterations = args.Int("--iterations", 60, 1, 10_000),
            Seed = args.Int("--seed", 1),
            WavDirectory = Path.GetFullPath(args.Get("--out") ?? Path.Combine(corpusDirectory, "evaluation")),
        };
        var valid = args.Int("--valid", 100, 0);
        var test = args.Int("--test", 100, 0);
        var limit = args.Int("--limit", int.MaxValue, 1);
        var json = args.Has("--json");

        var corpus = LjSpeechCorpus.Load(corpusDirectory);
        foreach (var problem in corpus.Problems) await Console.Error.WriteLineAsync($"skipped: {problem}").ConfigureAwait(false);
        IReadOnlyList<Utterance> utterances = split == "all"
            ? corpus.Utterances
            : CorpusSplits.Full(corpus.Utterances, Math.Min(valid, corpus.Utterances.Count / 4), Math.Min(test, corpus.Utterances.Count / 4), settings.Seed).Test;
        utterances = utterances.Take(limit).ToList();

        using var features = new MelSpectrogram(MelSettings.Paper);
        var scorer = new SpeechScorer(features, new PocketSphinx(), CmuDict.Debian);
        if (scorer.Recognizer.CheckInstalled() is { } missing) throw new InvalidOperationException(missing);
        if (model is not null)
            return await EvaluateModelAsync(model, corpus, args.Get("--hard") ?? "shipped:" + SentenceList.ShippedHard, settings, json, cancellationToken).ConfigureAwait(false);

        var started = DateTime.UtcNow;
        var mels = scorer.GroundTruthMels(utterances);
        var languageModel = SpeechScorer.LanguageModel(corpus.Utterances.Select(u => u.NormalizedText));
        Directory.CreateDirectory(settings.WavDirectory);
        var report = await scorer.ScoreAsync(mels, languageModel, settings, cancellationToken).ConfigureAwait(false);
        var elapsed = (DateTime.UtcNow - started).TotalSeconds;
        foreach (var mel in mels) mel.LogMel.Dispose();

        if (json) Console.WriteLine(ToJson(report, corpus.Directory, groundTruth ? "ground-truth" : "model", settings, elapsed));
        else PrintReport(report, corpus.Directory, groundTruth ? "the recordings' own mels (ceiling)" : model!, settings, elapsed);
        return 0;
    }

    private static async Task<int> EvaluateModelAsync(string modelDirectory, LjSpeechCorpus corpus, string hard, ScoringSettings settings,
        bool json, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var device = TorchSharp.torch.CPU;
        var (model, manifest) = TtsModelFile.Load(modelDirectory, device);
        using (model)
        {
            var split = manifest.Split == SplitKind.LowResource
                ? CorpusSplits.LowResource(corpus.Utterances, manifest.TrainUtterances, manifest.ValidUtterances, manifest.TestUtterances, manifest.SplitSeed)
                : CorpusSplits.Full(corpus.Utterances, manifest.ValidUtterances, manifest.TestUtterances, manifest.SplitSeed);
            var phonemes = new PhonemeSet(CmuDict.Debian);
            using var features = new MelSpectrogram(MelSettings.Paper);
            var test = TtsData.Prepare(split.Test, phonemes, features, cancellationToken);
            var hardSentences = hard == "none"
                ? []
                : SentenceList.LoadPathOrShipped(hard).Select((h, i) => (string.Create(CultureInfo.InvariantCulture, $"HARD-{i + 1:D3}"), TextNormalizer.Normalize(h.Text))).ToList();
            var metrics = await ModelEvaluation.RunAsync(model, manifest, test, TtsData.TextOnly(hardSentences, phonemes), corpus, hardSentences,
                settings.WavDirectory!, settings.GriffinLimIterations, 2.0, settings.Seed, cancellationToken).ConfigureAwait(false);
            var elapsed = (DateTime.UtcNow - started).TotalSeconds;
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new { corpus = corpus.Directory, model = Path.GetFullPath(modelDirectory), architecture = manifest.Architecture,
                    steps = manifest.StepsDone, metrics, wavDirectory = settings.WavDirectory, seconds = elapsed }, new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                Console.WriteLine($"Model {Path.GetFullPath(modelDirectory)} (architecture {string.Join(' ', manifest.Architecture)}, {manifest.StepsDone} steps) on {corpus.Directory}:");
                foreach (var (name, value) in metrics.OrderBy(p => p.Key, StringComparer.Ordinal))
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-40} {value:0.####}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"WAV files in {settings.WavDirectory}; {elapsed:F1} s."));
            }
        }
        return 0;
    }

    internal static string ToJson(IntelligibilityReport report, string corpus, string source, ScoringSettings settings, double seconds)
    {
        var document = new
        {
            corpus,
            source,
            sentences = report.Sentences.Count,
            intelligibilityRate = report.IntelligibilityRate,
            wer = report.WordErrorRate,
            cer = report.CharacterErrorRate,
            robustnessErrorRate = report.RobustnessErrorRate,
            noiseSigma = settings.NoiseSigma,
            power = settings.Power,
            griffinLimIterations = settings.GriffinLimIterations,
            wavDirectory = settings.WavDirectory,
            seconds,
            perSentence = report.Sentences.Select(s => new
            {
                id = s.Id,
                reference = string.Join(' ', s.Reference),
                hypothesis = string.Join(' ', s.Hypothesis),
                substitutions = s.Words.Substitutions,
                deletions = s.Words.Deletions,
                insertions = s.Words.Insertions,
                words = s.Words.ReferenceLength,
                intelligible = s.Intelligible,
                robustnessError = s.RobustnessError,
            }),
        };
        return JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true });
    }

    private static void PrintReport(IntelligibilityReport report, string corpus, string source, ScoringSettings settings, double seconds)
    {
        var c = CultureInfo.InvariantCulture;
        var noise = settings.NoiseSigma > 0 ? string.Create(c, $", log-mel noise σ {settings.NoiseSigma}") : "";
        Console.WriteLine(string.Create(c, $"Corpus {corpus}: {report.Sentences.Count} sentences from {source}, Griffin-Lim {settings.GriffinLimIterations} iterations, power {settings.Power}{noise}."));
        Console.WriteLine(string.Create(c, $"  intelligibility rate   {report.IntelligibilityRate:P1}  (sentences recognised with no word error)"));
        Console.WriteLine(string.Create(c, $"  word error rate        {report.WordErrorRate:P1}  ({report.WordCounts.Substitutions} substitutions, {report.WordCounts.Deletions} deletions, {report.WordCounts.Insertions} insertions in {report.WordCounts.ReferenceLength} words)"));
        Console.WriteLine(string.Create(c, $"  character error rate   {report.CharacterErrorRate:P1}"));
        Console.WriteLine(string.Create(c, $"  robustness error rate  {report.RobustnessErrorRate:P1}  (sentences with a skipped or repeated word)"));
        foreach (var s in report.Sentences.Where(s => !s.Intelligible).OrderByDescending(s => s.Words.Errors).Take(5))
            Console.WriteLine($"  {s.Id}: said \"{string.Join(' ', s.Reference)}\", heard \"{string.Join(' ', s.Hypothesis)}\"");
        Console.WriteLine(string.Create(c, $"WAV files in {settings.WavDirectory}; {seconds:F1} s."));
    }
}
