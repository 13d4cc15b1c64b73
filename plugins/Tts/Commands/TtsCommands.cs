using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SemiNas.Contracts;
using SemiNas.Tts.Audio;
using SemiNas.Tts.Data;
using SemiNas.Tts.Model;
using SemiNas.Tts.Scoring;
using SemiNas.Tts.Text;

namespace SemiNas.Tts.Commands;

/// <summary>
/// <c>seminas tts make-corpus …</c>, <c>evaluate</c>, <c>train-recognizer</c> and <c>anchor</c>. Each returns the exit
/// code: 0 success, 1 failure, 2 bad arguments.
/// </summary>
public static class TtsCommands
{
    private static readonly PluginOption[] SplitOptions =
    [
        new("--train", typeof(int), "Training utterances of the low-resource split (default 1500; giving it asks for that split)."),
        new("--valid", typeof(int), "Validation utterances (default 100, or a tenth of a small corpus)."),
        new("--test", typeof(int), "Test utterances (default 100, or a quarter of a small corpus)."),
        new("--seed", typeof(int), "Seed of the split's draw (default 1)."),
        new("--epochs", typeof(int), "Epochs of the in-domain recogniser's training."),
        new("--threads", typeof(int), "libtorch threads."),
    ];

    private static readonly PluginOption[] DecodingOptions =
    [
        new("--greedy", typeof(bool), "Decode the in-domain recogniser greedily, without its character LM of the training sentences."),
        new("--beam", typeof(int), "Prefixes the in-domain recogniser's beam search keeps (default 16)."),
        new("--lm-weight", typeof(double), "Weight α of the character LM's log-probability (default 0.5)."),
        new("--insertion-bonus", typeof(double), "Bonus β per decoded character (default 1)."),
        new("--any-spelling", typeof(bool), "Let the in-domain recogniser's beam search spell any word, not only CMUdict's."),
    ];

    public static PluginCommand Command { get; } = new("tts",
        "Text to speech: make an LJSpeech-format corpus with flite, train the in-domain recogniser, or score intelligibility.")
    {
        Subcommands =
        [
            new("make-corpus", "Synthesises the sentences with flite into an LJSpeech-format corpus (wavs/ID.wav, metadata.csv).")
            {
                Options =
                [
                    new("--sentences", typeof(string), "The sentences, one a line; shipped:sentences.txt and shipped:hard-sentences.txt are the lists inside the plugin.")
                        { Required = true, ValueName = "FILE" },
                    new("--out", typeof(string), "The corpus folder to write.") { Required = true, ValueName = "DIR" },
                    new("--voice", typeof(string), $"The flite voice: {string.Join(", ", Flite.Voices)} (default slt)."),
                    new("--rate", typeof(int), "Sample rate in Hz, 8000..96000 (default 22050)."),
                    new("--limit", typeof(int), "At most this many sentences (default all)."),
                    new("--prefix", typeof(string), "Prefix of the utterance ids (default FL)."),
                ],
                Run = Guard(MakeCorpusAsync),
            },
            new("evaluate",
                "Scores log-mels with models that never saw the scored sentences: the in-domain CTC recogniser (trained on the split's " +
                "training recordings only, cached in CORPUS/recognizers; its sentence accuracy is the intelligibility rate), pocketsphinx " +
                "with its general model through Griffin-Lim (WER, CER, sentence accuracy), pocketsphinx's phone loop (PER), MCD-DTW " +
                "against the recordings, and skips/repeats.")
            {
                Options =
                [
                    new("--corpus", typeof(string), "The LJSpeech-format corpus.") { Required = true, ValueName = "DIR" },
                    new("--model", typeof(string), "Score a model saved by `seminas train` (its folder) on the test sentences of its own split and on the hard sentences.")
                        { ValueName = "DIR" },
                    new("--ground-truth", typeof(bool), "Score the test recordings' own mels: the ceiling of the pipeline."),
                    new("--json", typeof(bool), "Print JSON instead of text."),
                    new("--out", typeof(string), "Where the WAV files go (default CORPUS/evaluation).") { ValueName = "DIR" },
                    new("--split", typeof(string), "test, or all: every utterance with pocketsphinx and MCD only (the recogniser would have heard them)."),
                    .. SplitOptions,
                    .. DecodingOptions,
                    new("--limit", typeof(int), "At most this many sentences."),
                    new("--noise", typeof(double), "Gaussian noise added to the log-mels first, 0..8 (to see the figures respond)."),
                    new("--power", typeof(double), "Griffin-Lim's power, 0.1..4 (default 1)."),
                    new("--iterations", typeof(int), "Griffin-Lim iterations (default 60)."),
                    new("--hard", typeof(string), "The hard sentences for --model: a file, or none (default the shipped list).") { ValueName = "FILE" },
                    new("--closed-set", typeof(bool), "Add a secondary closed-set figure (bigram LM of the training sentences only)."),
                    new("--no-sphinx", typeof(bool), "Skip pocketsphinx (recogniser and MCD only, no Griffin-Lim)."),
                    new("--no-phones", typeof(bool), "Skip pocketsphinx's phone loop (no PER), its slowest part."),
                    new("--no-ceiling", typeof(bool), "With --model: do not score the test recordings themselves beside it (the same for every model of a split)."),
                ],
                Run = Guard(EvaluateAsync),
            },
            new("train-recognizer", "Trains (or with --force retrains) the in-domain recogniser of a split and caches it; prints its training time and validation CER/WER.")
            {
                Options =
                [
                    new("--corpus", typeof(string), "The LJSpeech-format corpus.") { Required = true, ValueName = "DIR" },
                    .. SplitOptions,
                    .. DecodingOptions,
                    new("--force", typeof(bool), "Train again even if a recogniser is cached."),
                ],
                Run = Guard((input, cancellationToken) => Task.FromResult(TrainRecognizer(input, cancellationToken))),
            },
            new("anchor",
                "The open-vocabulary recogniser on natural speech: Debian's pocketsphinx-testdata LibriVox clips with their transcripts " +
                "(a sanity check of the recogniser, not of any TTS model).")
            {
                Options = [new("--json", typeof(bool), "Print JSON instead of text.")],
                Run = Guard(AnchorAsync),
            },
        ],
    };

    // The host has parsed the command line; what it cannot know (a range, a choice between options) is a usage error here.
    private static Func<PluginCommandInput, CancellationToken, Task<int>> Guard(Func<CommandArguments, CancellationToken, Task<int>> run) =>
        async (input, cancellationToken) =>
        {
            try
            {
                return await run(new CommandArguments(input), cancellationToken).ConfigureAwait(false);
            }
            catch (UsageException e)
            {
                await Console.Error.WriteLineAsync($"tts: {e.Message}").ConfigureAwait(false);
                return 2;
            }
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException or InvalidOperationException or IOException)
            {
                await Console.Error.WriteLineAsync($"tts: {e.Message}").ConfigureAwait(false);
                return 1;
            }
        };

    private static async Task<int> MakeCorpusAsync(CommandArguments args, CancellationToken cancellationToken)
    {
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

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The split a ground-truth evaluation or a recogniser uses: the paper's low-resource draw when the
    /// corpus holds enough utterances (or --train is given), else everything not held out trains.</summary>
    private static (CorpusSplit<Utterance> Split, object Description) SplitOf(LjSpeechCorpus corpus, CommandArguments args)
    {
        var n = corpus.Utterances.Count;
        var seed = args.Int("--seed", 1);
        var lowResource = args.Has("--train") || n >= 1700;
        var valid = args.Int("--valid", lowResource ? 100 : Math.Min(100, n / 10), 0);
        var test = args.Int("--test", lowResource ? 100 : Math.Min(100, Math.Max(1, n / 4)), 0);
        if (lowResource)
        {
            var train = args.Int("--train", 1500, 1);
            return (CorpusSplits.LowResource(corpus.Utterances, train, valid, test, seed), new { kind = "lowResource", train, valid, test, seed });
        }
        var split = CorpusSplits.Full(corpus.Utterances, valid, test, seed);
        return (split, new { kind = "full", train = split.Train.Count, valid, test, seed });
    }

    // libtorch's worker threads spin while they wait: on a machine busy with other jobs, fewer threads run faster.
    private static void SetThreads(CommandArguments args)
    {
        if (args.Has("--threads")) TorchSharp.torch.set_num_threads(args.Int("--threads", 1, 1, 256));
    }

    // The decoding the options ask for, from the recogniser's default (beam search with its character LM).
    private static Func<CtcDecoding, CtcDecoding> DecodingOf(CommandArguments args) => standard => args.Has("--greedy")
        ? CtcDecoding.Greedy
        : standard with
        {
            Beam = args.Int("--beam", standard.Beam, 1, 1000),
            LanguageModelWeight = args.Double("--lm-weight", standard.LanguageModelWeight, 0, 10),
            InsertionBonus = args.Double("--insertion-bonus", standard.InsertionBonus, -10, 10),
            Lexicon = args.Has("--any-spelling") ? null : standard.Lexicon,
        };

    private static RecognizerSettings RecognizerOf(CommandArguments args) =>
        new() { Epochs = args.Int("--epochs", new RecognizerSettings().Epochs, 1, 10_000) };

    private static int TrainRecognizer(CommandArguments args, CancellationToken cancellationToken)
    {
        SetThreads(args);
        var corpus = LjSpeechCorpus.Load(args.Required("--corpus"));
        foreach (var problem in corpus.Problems) Console.Error.WriteLine($"skipped: {problem}");
        var (split, description) = SplitOf(corpus, args);
        var settings = RecognizerOf(args);
        var folder = CtcRecognizer.CachePath(corpus.Directory, CtcRecognizer.Key(split.Train, settings, MelSettings.Paper));
        if (args.Has("--force") && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        args.Progress.Report(new CommandProgress(CommandArguments.RecogniserStage) { Message = args.Has("--force") ? "training it" : "loading it, or training it if it is not cached" });
        using var recognizer = CtcRecognizer.LoadOrTrain(corpus.Directory, split.Train, split.Valid, settings, args.RecogniserLog, cancellationToken);
        args.Progress.Report(new CommandProgress(CommandArguments.RecogniserStage, 1, 1) { Message = $"in {recognizer.Directory}" });
        // Measured again on the validation recordings (the manifest holds the greedy figures measured right after
        // training), greedily and with the decoding asked for, which the evaluations use.
        var chosen = DecodingOf(args)(recognizer.Decoding);
        recognizer.Decoding = CtcDecoding.Greedy;
        var greedy = recognizer.Measure(split.Valid);
        recognizer.Decoding = chosen;
        var valid = recognizer.Measure(split.Valid);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            folder = recognizer.Directory,
            split = description,
            decoding = chosen.Describe(),
            validation = new { sentences = valid.Sentences.Count, cer = valid.CharacterErrorRate, wer = valid.WordErrorRate, sentenceAccuracy = valid.IntelligibilityRate },
            validationGreedy = new { cer = greedy.CharacterErrorRate, wer = greedy.WordErrorRate, sentenceAccuracy = greedy.IntelligibilityRate },
            recognizer = recognizer.Manifest,
        }, Indented));
        return 0;
    }

    private static async Task<int> AnchorAsync(CommandArguments args, CancellationToken cancellationToken)
    {
        var report = await Anchor.ScoreAsync(new PocketSphinx(), cancellationToken).ConfigureAwait(false);
        if (args.Has("--json"))
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                source = Anchor.Directory,
                sentences = report.Sentences.Count,
                openVocabulary = new { wer = report.WordErrorRate, cer = report.CharacterErrorRate, sentenceAccuracy = report.IntelligibilityRate, words = report.WordCounts.ReferenceLength },
                perSentence = report.Sentences.Select(s => new { id = s.Id, reference = string.Join(' ', s.Reference), hypothesis = string.Join(' ', s.Hypothesis) }),
            }, Indented));
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pocketsphinx, general en-us model, on {report.Sentences.Count} natural LibriVox recordings ({Anchor.Directory}): WER {report.WordErrorRate:P1}, CER {report.CharacterErrorRate:P1}, sentence accuracy {report.IntelligibilityRate:P1}."));
            foreach (var s in report.Sentences)
                Console.WriteLine($"  {s.Id}: said \"{string.Join(' ', s.Reference)}\", heard \"{string.Join(' ', s.Hypothesis)}\"");
        }
        return 0;
    }

    private static async Task<int> EvaluateAsync(CommandArguments args, CancellationToken cancellationToken)
    {
        SetThreads(args);
        var corpusDirectory = args.Required("--corpus");
        var model = args.Get("--model");
        var groundTruth = args.Has("--ground-truth");
        if (groundTruth == (model is not null)) throw new UsageException("give exactly one of --model FILE and --ground-truth.");
        var split = args.Get("--split") ?? "test";
        if (split is not ("all" or "test")) throw new UsageException($"--split must be all or test, not '{split}'.");
        var sphinx = !args.Has("--no-sphinx");
        var settings = new ScoringSettings
        {
            NoiseSigma = args.Double("--noise", 0, 0, 8),
            Power = args.Double("--power", 1.0, 0.1, 4),
            GriffinLimIterations = args.Int("--iterations", 60, 1, 10_000),
            Seed = args.Int("--seed", 1),
            WavDirectory = Path.GetFullPath(args.Get("--out") ?? Path.Combine(corpusDirectory, "evaluation")),
            OpenVocabulary = sphinx,
            Phones = sphinx && !args.Has("--no-phones"),
        };
        var limit = args.Int("--limit", int.MaxValue, 1);
        var json = args.Has("--json");
        var recognizerSettings = RecognizerOf(args);

        var corpus = LjSpeechCorpus.Load(corpusDirectory);
        foreach (var problem in corpus.Problems) await Console.Error.WriteLineAsync($"skipped: {problem}").ConfigureAwait(false);
        if (new PocketSphinx().CheckInstalled() is { } missing) throw new InvalidOperationException(missing);
        if (model is not null)
            return await EvaluateModelAsync(model, corpus, args.Get("--hard") ?? "shipped:" + SentenceList.ShippedHard, settings, recognizerSettings,
                json, args, cancellationToken).ConfigureAwait(false);

        var started = DateTime.UtcNow;
        var (parts, description) = SplitOf(corpus, args);
        IReadOnlyList<Utterance> utterances = (split == "all" ? corpus.Utterances : parts.Test).Take(limit).ToList();
        // Every utterance includes the recogniser's training recordings: it is left out rather than leak.
        if (split != "all") args.Progress.Report(new CommandProgress(CommandArguments.RecogniserStage) { Message = "loading it, or training it if it is not cached" });
        using var recognizer = split == "all" ? null
            : CtcRecognizer.LoadOrTrain(corpus.Directory, parts.Train, parts.Valid, recognizerSettings, args.RecogniserLog, cancellationToken);
        if (recognizer is not null) recognizer.Decoding = DecodingOf(args)(recognizer.Decoding);
        if (split == "all") await Console.Error.WriteLineAsync("--split all: no in-domain recogniser (it was trained on some of these recordings).").ConfigureAwait(false);
        if (args.Has("--closed-set"))
        {
            if (split == "all") throw new UsageException("--closed-set needs --split test: its language model is the training sentences.");
            settings = settings with { ClosedSet = SpeechScorer.LanguageModel(parts.Train.Select(u => u.NormalizedText)) };
        }

        using var features = new MelSpectrogram(MelSettings.Paper);
        var scorer = new SpeechScorer(features, new PocketSphinx(), CmuDict.Debian, recognizer);
        args.Progress.Report(new CommandProgress("log-mels of the recordings", 0, utterances.Count) { Unit = "utterances" });
        var mels = scorer.GroundTruthMels(utterances);
        args.Progress.Report(new CommandProgress("log-mels of the recordings", utterances.Count, utterances.Count) { Unit = "utterances" });
        Directory.CreateDirectory(settings.WavDirectory);
        var report = await scorer.ScoreAsync(mels, settings, cancellationToken, args.Progress, "recordings").ConfigureAwait(false);
        var elapsed = (DateTime.UtcNow - started).TotalSeconds;
        foreach (var mel in mels) mel.LogMel.Dispose();

        if (json)
        {
            var document = JsonSerializer.SerializeToNode(report.ToJson(perSentence: true), Indented)!.AsObject();
            document.Insert(0, "corpus", corpus.Directory);
            document.Insert(1, "source", "ground-truth");
            document.Insert(2, "split", JsonSerializer.SerializeToNode(new { scored = split, draw = description }));
            document["recogniserModel"] = recognizer is null ? null : JsonSerializer.SerializeToNode(recognizer.Manifest);
            document["recogniserDecoding"] = recognizer?.Decoding.Describe();
            document["noiseSigma"] = settings.NoiseSigma;
            document["power"] = settings.Power;
            document["griffinLimIterations"] = settings.GriffinLimIterations;
            document["wavDirectory"] = settings.WavDirectory;
            document["seconds"] = elapsed;
            Console.WriteLine(document.ToJsonString(Indented));
        }
        else
        {
            var c = CultureInfo.InvariantCulture;
            var noise = settings.NoiseSigma > 0 ? string.Create(c, $", log-mel noise σ {settings.NoiseSigma}") : "";
            Console.WriteLine(string.Create(c, $"Corpus {corpus.Directory}: {report.Sentences} {(split == "all" ? "utterances" : "test utterances")}, the recordings' own mels (ceiling){noise}."));
            PrintReport("", report);
            Console.WriteLine(string.Create(c, $"WAV files in {settings.WavDirectory}; {elapsed:F1} s."));
        }
        return 0;
    }

    private static async Task<int> EvaluateModelAsync(string modelDirectory, LjSpeechCorpus corpus, string hard, ScoringSettings settings,
        RecognizerSettings recognizerSettings, bool json, CommandArguments args, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        args.Progress.Report(new CommandProgress("loading the model and the test sentences") { Message = Path.GetFullPath(modelDirectory) });
        var device = TorchSharp.torch.CPU;
        var (model, manifest) = TtsModelFile.Load(modelDirectory, device);
        using (model)
        {
            var split = ModelEvaluation.Split(corpus, manifest);
            var phonemes = new PhonemeSet(CmuDict.Debian);
            using var features = new MelSpectrogram(MelSettings.Paper);
            var test = TtsData.Prepare(split.Test, phonemes, features, cancellationToken);
            var hardSentences = hard == "none"
                ? []
                : SentenceList.LoadPathOrShipped(hard).Select((h, i) => (string.Create(CultureInfo.InvariantCulture, $"HARD-{i + 1:D3}"), TextNormalizer.Normalize(h.Text))).ToList();
            var result = await ModelEvaluation.EvaluateAsync(model, manifest, test, TtsData.TextOnly(hardSentences, phonemes), corpus,
                // A model's own output is scored as it is: --noise, --power and --closed-set are for --ground-truth.
                settings.WavDirectory!, settings with { NoiseSigma = 0, Power = 1.0, ClosedSet = null }, 2.0, recognizerSettings, args.RecogniserLog,
                cancellationToken, args.Progress, DecodingOf(args), ceiling: !args.Has("--no-ceiling")).ConfigureAwait(false);
            var elapsed = (DateTime.UtcNow - started).TotalSeconds;
            if (json)
            {
                var document = JsonSerializer.SerializeToNode(result.Test.ToJson(perSentence: true), Indented)!.AsObject();
                document.Insert(0, "corpus", corpus.Directory);
                document.Insert(1, "source", "model");
                document.Insert(2, "model", Path.GetFullPath(modelDirectory));
                document.Insert(3, "architecture", JsonSerializer.SerializeToNode(manifest.Architecture));
                document.Insert(4, "steps", manifest.StepsDone);
                // Robustness is measured on the hard sentences (the paper's robustness test) when there are any.
                if (result.Hard is { } h) document["robustness"] = JsonSerializer.SerializeToNode(h.Robustness.ToJson());
                document["testRobustness"] = JsonSerializer.SerializeToNode(result.Test.Robustness.ToJson());
                document["hard"] = result.Hard is null ? null : JsonSerializer.SerializeToNode(result.Hard.ToJson());
                document["groundTruth"] = result.GroundTruth is { } truth ? JsonSerializer.SerializeToNode(truth.ToJson()) : null;
                document["testDfr"] = result.TestDfr;
                document["recogniserModel"] = JsonSerializer.SerializeToNode(result.Recogniser);
                document["recogniserDecoding"] = result.RecogniserDecoding;
                document["metrics"] = JsonSerializer.SerializeToNode(result.Metrics);
                document["wavDirectory"] = settings.WavDirectory;
                document["seconds"] = elapsed;
                Console.WriteLine(document.ToJsonString(Indented));
            }
            else
            {
                Console.WriteLine($"Model {Path.GetFullPath(modelDirectory)} (architecture {string.Join(' ', manifest.Architecture)}, {manifest.StepsDone} steps) on {corpus.Directory}:");
                PrintReport("test ", result.Test);
                if (result.Hard is { } h) PrintReport("hard ", h);
                if (result.GroundTruth is { } truth) PrintReport("ceiling ", truth);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"WAV files in {settings.WavDirectory}; {elapsed:F1} s."));
            }
        }
        return 0;
    }

    private static void PrintReport(string label, EvaluationReport report)
    {
        var c = CultureInfo.InvariantCulture;
        if (report.Recogniser is { } r)
            Console.WriteLine(string.Create(c, $"  {label}in-domain recogniser   intelligibility rate {r.IntelligibilityRate:P1}, WER {r.WordErrorRate:P1}, CER {r.CharacterErrorRate:P1}"));
        if (report.OpenVocabulary is { } o)
            Console.WriteLine(string.Create(c, $"  {label}open vocabulary        sentence accuracy {o.IntelligibilityRate:P1}, WER {o.WordErrorRate:P1}, CER {o.CharacterErrorRate:P1}"));
        if (report.Phones is { } p) Console.WriteLine(string.Create(c, $"  {label}phone loop             PER {p.PhoneErrorRate:P1}"));
        if (report.Mcd is { } m) Console.WriteLine(string.Create(c, $"  {label}MCD-DTW                {m:F2} dB"));
        if (report.ClosedSet is { } cs) Console.WriteLine(string.Create(c, $"  {label}closed set (secondary) sentence accuracy {cs.IntelligibilityRate:P1}, WER {cs.WordErrorRate:P1}"));
        Console.WriteLine(string.Create(c, $"  {label}robustness error rate  {report.Robustness.ErrorRate:P1} of {report.Sentences} (attention skip/repeat or a recogniser deletion/insertion)"));
    }
}
