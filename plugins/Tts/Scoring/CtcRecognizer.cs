using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SemiNas.Optim;
using SemiNas.Tts.Audio;
using SemiNas.Tts.Data;
using SemiNas.Tts.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiNas.Tts.Scoring;

/// <summary>Size and training recipe of the in-domain CTC recogniser.</summary>
public sealed record RecognizerSettings
{
    /// <summary>Channels of the convolutional front end.</summary>
    public int Channels { get; init; } = 128;

    /// <summary>Hidden units per direction of the bidirectional GRU.</summary>
    public int RnnHidden { get; init; } = 96;

    public int RnnLayers { get; init; } = 2;

    /// <summary>Time stride of the front end: 86 mel frames/s become 29 outputs/s, about two per character of
    /// flite's speech (CTC needs at least one per character plus a blank between doubled letters).</summary>
    public int Stride { get; init; } = 3;

    public double Dropout { get; init; } = 0.1;

    /// <summary>Passes over the training split.</summary>
    public int Epochs { get; init; } = 60;

    /// <summary>Peak Adam learning rate (100 warm-up steps, then linear decay to a tenth at the end).</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>Padded mel frames per batch.</summary>
    public int MaxFramesPerBatch { get; init; } = 4_000;

    /// <summary>SpecAugment-style masks on the training mels (one band of ≤ 10 bins, two spans of ≤ 12 frames).</summary>
    public bool Masking { get; init; } = true;

    public int Seed { get; init; } = 1;
}

/// <summary>What a cached recogniser records beside its weights.</summary>
public sealed record RecognizerManifest
{
    public string Key { get; init; } = "";
    public RecognizerSettings Settings { get; init; } = new();
    public string Corpus { get; init; } = "";
    public int TrainUtterances { get; init; }
    public double TrainMinutes { get; init; }
    public int ValidUtterances { get; init; }
    public long Parameters { get; init; }
    public int Steps { get; init; }
    /// <summary>Wall-clock seconds of the training loop (mel extraction included).</summary>
    public double TrainingSeconds { get; init; }

    /// <summary>CPU seconds this process spent meanwhile (all threads): unlike the wall time, not inflated by other jobs.</summary>
    public double TrainingCpuSeconds { get; init; }

    public int Threads { get; init; }
    public double FinalLoss { get; init; }

    /// <summary>Greedy CER, WER and sentence accuracy on the validation recordings (never on the scored test sentences).</summary>
    public double ValidCer { get; init; }
    public double ValidWer { get; init; }
    public double ValidSentenceAccuracy { get; init; }
    public DateTime TrainedUtc { get; init; }
}

/// <summary>
/// Log-mel frames → characters: two 1-D convolutions (the second strided), a bidirectional GRU and a linear layer
/// to the CTC classes (blank, space, a–z, apostrophe).
/// </summary>
internal sealed class CtcNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Conv1d _conv1;
    private readonly Conv1d _conv2;
    private readonly GRU _rnn;
    private readonly Linear _output;
    private readonly Dropout _dropout;

    public CtcNetwork(RecognizerSettings settings, int melBins) : base(nameof(CtcNetwork))
    {
        Settings = settings;
        _conv1 = nn.Conv1d(melBins, settings.Channels, 5, padding: 2);
        _conv2 = nn.Conv1d(settings.Channels, settings.Channels, 5, stride: settings.Stride, padding: 2);
        _rnn = nn.GRU(settings.Channels, settings.RnnHidden, settings.RnnLayers, batchFirst: true,
            dropout: settings.RnnLayers > 1 ? settings.Dropout : 0, bidirectional: true);
        _output = nn.Linear(2 * settings.RnnHidden, CtcAlphabet.Classes);
        _dropout = nn.Dropout(settings.Dropout);
        RegisterComponents();
    }

    public RecognizerSettings Settings { get; }

    /// <summary>Output steps for <paramref name="frames"/> input frames.</summary>
    public long OutputLength(long frames) => (frames - 1) / Settings.Stride + 1;

    /// <param name="mel">[B, T, mels]</param>
    /// <returns>Log-probabilities [B, T', classes].</returns>
    public override Tensor forward(Tensor mel)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(_conv1.call(mel.transpose(1, 2)));
        x = _dropout.call(nn.functional.relu(_conv2.call(_dropout.call(x))));
        // libtorch's oneDNN recurrent kernel, chosen under no_grad, is wrong for some sizes (LstmCalls): always run
        // the training kernel and detach when no gradient is wanted.
        Tensor y;
        if (is_grad_enabled()) y = _rnn.call(x.transpose(1, 2)).Item1;
        else
            using (enable_grad())
                y = _rnn.call(x.transpose(1, 2)).Item1.detach();
        return _output.call(_dropout.call(y)).log_softmax(-1).MoveToOuterDisposeScope();
    }

    public long ParameterCount => parameters().Sum(p => p.numel());
}

/// <summary>The recogniser's characters. Class 0 is the CTC blank.</summary>
public static class CtcAlphabet
{
    public const string Characters = " abcdefghijklmnopqrstuvwxyz'";
    public const int Classes = 1 + 28;

    /// <summary>Normalised words → class ids (words joined by spaces; characters outside the alphabet dropped).</summary>
    public static long[] Encode(IReadOnlyList<string> words) =>
        string.Join(' ', words).Select(c => (long)(Characters.IndexOf(c) + 1)).Where(i => i > 0).ToArray();

    /// <summary>Greedy CTC decoding of one utterance's best classes: repeats merged, blanks dropped, split into words.</summary>
    public static IReadOnlyList<string> Decode(ReadOnlySpan<long> best)
    {
        var text = new StringBuilder();
        long previous = 0;
        foreach (var c in best)
        {
            if (c != previous && c != 0) text.Append(Characters[(int)c - 1]);
            previous = c;
        }
        return text.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }
}

/// <summary>
/// The in-domain recogniser (tts-notes §3.3): a small character CTC model trained on the real log-mels of a corpus's
/// training split only, which then reads synthesised log-mels directly, with no vocoder. It never hears the
/// validation or test sentences while training, so its errors on them are honest. Trained once per corpus, split
/// and settings and cached on disk (<see cref="LoadOrTrain"/>).
/// </summary>
public sealed class CtcRecognizer : IDisposable
{
    public const string ManifestFile = "recognizer.json";
    public const string WeightsFile = "recognizer.bin";
    public const string CacheFolder = "recognizers";
    private const int FormatVersion = 1;
    private const float Silence = -4f;   // the log-mel floor: padding reads as trailing silence, as recordings end
    private const int ShapeQuantum = 16;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private static readonly SemaphoreSlim TrainingGate = new(1, 1);

    private readonly CtcNetwork _network;

    private CtcRecognizer(CtcNetwork network, RecognizerManifest manifest, string? directory)
    {
        _network = network;
        Manifest = manifest;
        Directory = directory;
    }

    public RecognizerManifest Manifest { get; private set; }

    /// <summary>
    /// How frames become words: greedy for a recogniser just trained; <see cref="LoadOrTrain"/> sets a beam search with
    /// a character LM of the training sentences and the CMUdict word list (measured better on the validation
    /// recordings, docs/benchmarks.md).
    /// </summary>
    public CtcDecoding Decoding { get; set; } = CtcDecoding.Greedy;

    /// <summary>Where the recogniser is cached, or null for one kept in memory only.</summary>
    public string? Directory { get; }

    /// <summary>
    /// The cache key: the settings, the mel features and each training utterance's id, normalised text and WAV size,
    /// so a changed corpus, split or recipe trains a new recogniser.
    /// </summary>
    public static string Key(IReadOnlyList<Utterance> train, RecognizerSettings settings, MelSettings mel)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"v{FormatVersion}\n{JsonSerializer.Serialize(settings)}\n{JsonSerializer.Serialize(mel)}\n");
        foreach (var u in train)
            text.Append(CultureInfo.InvariantCulture, $"{u.Id}|{u.NormalizedText}|{(File.Exists(u.WavPath) ? new FileInfo(u.WavPath).Length : -1)}\n");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    /// <summary>The cache folder of a corpus's recogniser: <c>CORPUS/recognizers/KEY</c>.</summary>
    public static string CachePath(string corpusDirectory, string key) => Path.Combine(corpusDirectory, CacheFolder, key);

    /// <summary>
    /// Loads the recogniser cached for this training split and settings, or trains it (and caches it) when there is
    /// none. <paramref name="valid"/> (never the scored sentences) only measures it after training. It decodes with
    /// <see cref="LanguageModelDecoding"/> of <paramref name="train"/>.
    /// </summary>
    public static CtcRecognizer LoadOrTrain(string corpusDirectory, IReadOnlyList<Utterance> train, IReadOnlyList<Utterance> valid,
        RecognizerSettings settings, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        var key = Key(train, settings, MelSettings.Paper);
        var folder = CachePath(corpusDirectory, key);
        // One training at a time in a process: two trials of a search that need the same recogniser wait for the
        // first to train it and then load it.
        TrainingGate.Wait(cancellationToken);
        try
        {
            if (TryLoad(folder) is { } cached) return cached.WithDecoding(LanguageModelDecoding(train));
            log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"Training the in-domain recogniser on {train.Count} training recordings ({settings.Epochs} epochs); it is cached in {folder}."));
            var trained = Train(corpusDirectory, train, valid, settings, log, cancellationToken);
            trained.Save(folder, key);
            trained.Dispose();
            return (TryLoad(folder) ?? throw new InvalidOperationException($"{folder}: the recogniser just saved does not load."))
                .WithDecoding(LanguageModelDecoding(train));
        }
        finally
        {
            TrainingGate.Release();
        }
    }

    /// <summary>
    /// The default decoding: beam search with a character LM of the training sentences, spelling only words of
    /// CMUdict (the dictionary of the open-vocabulary recogniser); nothing else.
    /// </summary>
    public static CtcDecoding LanguageModelDecoding(IReadOnlyList<Utterance> train) =>
        new(CharacterLanguageModel.Train(train.Select(u => u.NormalizedText)), Lexicon.Debian);

    private CtcRecognizer WithDecoding(CtcDecoding decoding)
    {
        Decoding = decoding;
        return this;
    }

    /// <summary>The recogniser saved in <paramref name="folder"/>, or null if there is none.</summary>
    public static CtcRecognizer? TryLoad(string folder)
    {
        var manifestPath = Path.Combine(folder, ManifestFile);
        var weights = Path.Combine(folder, WeightsFile);
        if (!File.Exists(manifestPath) || !File.Exists(weights)) return null;
        RecognizerManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<RecognizerManifest>(File.ReadAllText(manifestPath), Json)
                       ?? throw new InvalidDataException($"{manifestPath}: empty manifest.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{manifestPath}: not a recogniser manifest ({e.Message}); delete the folder to retrain.", e);
        }
        var network = new CtcNetwork(manifest.Settings, MelSettings.Paper.MelBins);
        network.load(weights);
        network.eval();
        return new CtcRecognizer(network, manifest, folder);
    }

    private void Save(string folder, string key)
    {
        System.IO.Directory.CreateDirectory(folder);
        var weights = Path.Combine(folder, WeightsFile);
        _network.save(weights + ".tmp");
        File.WriteAllText(Path.Combine(folder, ManifestFile + ".tmp"), JsonSerializer.Serialize(Manifest with { Key = key }, Json));
        File.Move(weights + ".tmp", weights, overwrite: true);
        File.Move(Path.Combine(folder, ManifestFile + ".tmp"), Path.Combine(folder, ManifestFile), overwrite: true);
    }

    /// <summary>Trains a recogniser on the recordings of <paramref name="train"/> (not cached).</summary>
    public static CtcRecognizer Train(string corpusDirectory, IReadOnlyList<Utterance> train, IReadOnlyList<Utterance> valid,
        RecognizerSettings settings, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        if (train.Count == 0) throw new ArgumentException("The recogniser needs training recordings.", nameof(train));
        var clock = Stopwatch.StartNew();
        var cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
        using var features = new MelSpectrogram(MelSettings.Paper);
        var data = Load(train, features, cancellationToken);
        var targets = train.Select(u => CtcAlphabet.Encode(TextNormalizer.Words(u.NormalizedText))).ToArray();

        manual_seed(settings.Seed);
        var network = new CtcNetwork(settings, features.Settings.MelBins);
        var parameters = network.parameters().ToArray();
        using var optimizer = new CoupledAdam(parameters, settings.LearningRate, weightDecay: 0, beta1: 0.9, beta2: 0.98, epsilon: 1e-8);
        var random = new Random(settings.Seed);
        using var generator = new Generator((ulong)settings.Seed);

        var batchesPerEpoch = Batches(data.Select(d => d.Frames).ToArray(), settings.MaxFramesPerBatch, random).Count;
        var totalSteps = Math.Max(1, batchesPerEpoch * settings.Epochs);
        var step = 0;
        var lastLoss = double.NaN;
        network.train();
        for (var epoch = 0; epoch < settings.Epochs; epoch++)
        {
            var lossSum = 0.0;
            var batches = Batches(data.Select(d => d.Frames).ToArray(), settings.MaxFramesPerBatch, random);
            foreach (var batch in batches)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var (mel, lengths) = Pad(batch.Select(i => data[i]).ToArray());
                if (settings.Masking) mel = Mask(mel, generator);
                var logProbs = network.call(mel);                                   // [B, T', C]
                var inputLengths = tensor(lengths.Select(network.OutputLength).ToArray());
                var targetLengths = tensor(batch.Select(i => (long)targets[i].Length).ToArray());
                var flat = tensor(batch.SelectMany(i => targets[i]).ToArray());
                var loss = nn.functional.ctc_loss(logProbs.transpose(0, 1), flat, inputLengths, targetLengths,
                    blank: 0, reduction: nn.Reduction.Mean, zero_infinity: true);
                optimizer.LearningRate = LearningRateAt(settings, ++step, totalSteps);
                optimizer.ZeroGrad();
                loss.backward();
                nn.utils.clip_grad_norm_(parameters, 1.0);
                optimizer.Step();
                lossSum += loss.item<float>();
                if (step == 20) log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                    $"  recogniser: {clock.Elapsed.TotalSeconds / step:F2} s per step after {step} steps ({batches.Count} steps per epoch)"));
            }
            lastLoss = lossSum / Math.Max(1, batches.Count);
            log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"  recogniser epoch {epoch + 1}/{settings.Epochs}: CTC loss {lastLoss:F3} ({clock.Elapsed.TotalSeconds:F0} s)"));
        }
        network.eval();
        var trainingSeconds = clock.Elapsed.TotalSeconds;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart).TotalSeconds;
        foreach (var d in data) d.Mel.Dispose();

        var recognizer = new CtcRecognizer(network, new RecognizerManifest
        {
            Settings = settings,
            Corpus = Path.GetFullPath(corpusDirectory),
            TrainUtterances = train.Count,
            TrainMinutes = data.Sum(d => d.Frames) * (double)features.Settings.HopLength / features.Settings.SampleRate / 60,
            ValidUtterances = valid.Count,
            Parameters = network.ParameterCount,
            Steps = step,
            TrainingSeconds = trainingSeconds,
            TrainingCpuSeconds = cpuSeconds,
            Threads = get_num_threads(),
            FinalLoss = lastLoss,
            TrainedUtc = DateTime.UtcNow,
        }, null);
        if (valid.Count == 0) return recognizer;

        var validMels = Load(valid, features, cancellationToken);
        var recognised = recognizer.Recognize(valid.Select((u, i) => (u.Id, validMels[i].Mel)).ToList());
        foreach (var d in validMels) d.Mel.Dispose();
        var report = IntelligibilityReport.Score(valid.Select(u => (u.Id, u.NormalizedText)).ToList(), recognised);
        recognizer.Manifest = recognizer.Manifest with
        {
            ValidCer = report.CharacterErrorRate,
            ValidWer = report.WordErrorRate,
            ValidSentenceAccuracy = report.IntelligibilityRate,
        };
        log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"Recogniser trained in {trainingSeconds:F0} s ({cpuSeconds:F0} CPU s): validation CER {report.CharacterErrorRate:P1}, WER {report.WordErrorRate:P1}, sentence accuracy {report.IntelligibilityRate:P1} ({valid.Count} recordings)."));
        return recognizer;
    }

    /// <summary>Greedy transcription of log-mels [frames, mels] in the paper's scaling, in batches of similar length.</summary>
    public IReadOnlyList<Recognition> Recognize(IReadOnlyList<(string Id, Tensor LogMel)> utterances, int batchSize = 16)
    {
        var results = new Recognition[utterances.Count];
        var order = Enumerable.Range(0, utterances.Count).OrderBy(i => utterances[i].LogMel.shape[0]).ToArray();
        using var guard = no_grad();
        foreach (var chunk in order.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            var (mel, lengths) = Pad(chunk.Select(i => (utterances[i].LogMel, (int)utterances[i].LogMel.shape[0])).ToArray());
            var logProbs = _network.call(mel);                                        // [B, T', C]
            var width = (int)logProbs.shape[1];
            if (Decoding.LanguageModel is null)
            {
                var rows = logProbs.argmax(-1).cpu().data<long>().ToArray();
                for (var b = 0; b < chunk.Length; b++)
                {
                    var length = (int)_network.OutputLength(lengths[b]);
                    results[chunk[b]] = new Recognition(utterances[chunk[b]].Id, CtcAlphabet.Decode(rows.AsSpan(b * width, length)));
                }
                continue;
            }
            var all = logProbs.@float().cpu().data<float>().ToArray();
            var row = width * CtcAlphabet.Classes;
            // Each utterance's search is independent and runs on the CPU whatever the device: one task each.
            Parallel.For(0, chunk.Length, b =>
            {
                var length = (int)_network.OutputLength(lengths[b]);
                var text = CtcBeamSearch.Decode(all.AsSpan(b * row, length * CtcAlphabet.Classes), length, Decoding);
                results[chunk[b]] = new Recognition(utterances[chunk[b]].Id, text.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            });
        }
        return results;
    }

    /// <summary>Transcribes the recordings of <paramref name="utterances"/> and scores them (for validation figures).</summary>
    public IntelligibilityReport Measure(IReadOnlyList<Utterance> utterances)
    {
        using var features = new MelSpectrogram(MelSettings.Paper);
        var mels = Load(utterances, features, default);
        var recognised = Recognize(utterances.Select((u, i) => (u.Id, mels[i].Mel)).ToList());
        foreach (var d in mels) d.Mel.Dispose();
        return IntelligibilityReport.Score(utterances.Select(u => (u.Id, u.NormalizedText)).ToList(), recognised);
    }

    private static double LearningRateAt(RecognizerSettings settings, int step, int totalSteps)
    {
        const int warmup = 100;
        if (step <= warmup) return settings.LearningRate * step / warmup;
        var progress = (double)(step - warmup) / Math.Max(1, totalSteps - warmup);
        return settings.LearningRate * (1 - 0.9 * Math.Min(1, progress));
    }

    private static List<(Tensor Mel, int Frames)> Load(IReadOnlyList<Utterance> utterances, MelSpectrogram features, CancellationToken cancellationToken)
    {
        var list = new List<(Tensor, int)>(utterances.Count);
        foreach (var u in utterances)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var mel = features.LogMel(WavIo.ReadMono(u.WavPath, features.Settings.SampleRate));
            list.Add((mel, (int)mel.shape[0]));
        }
        return list;
    }

    // Batches of similar length, each with at most maxFrames padded frames, in a seeded random order.
    private static List<int[]> Batches(int[] frames, int maxFrames, Random random)
    {
        var sorted = Enumerable.Range(0, frames.Length).OrderBy(i => frames[i]).ThenBy(_ => random.Next()).ToArray();
        var batches = new List<int[]>();
        var current = new List<int>();
        foreach (var i in sorted)
        {
            if (current.Count > 0 && (current.Count + 1) * frames[i] > maxFrames)
            {
                batches.Add([.. current]);
                current.Clear();
            }
            current.Add(i);
        }
        if (current.Count > 0) batches.Add([.. current]);
        return batches.OrderBy(_ => random.Next()).ToList();
    }

    // [B, T, mels] padded with silence to a multiple of 16 frames (few distinct shapes keep libtorch's kernel plans cached).
    private static (Tensor Mel, long[] Lengths) Pad(IReadOnlyList<(Tensor Mel, int Frames)> items)
    {
        var frames = (items.Max(i => i.Frames) + ShapeQuantum - 1) / ShapeQuantum * ShapeQuantum;
        var padded = items.Select(i => nn.functional.pad(i.Mel.unsqueeze(0), [0, 0, 0, frames - i.Frames], value: Silence)).ToArray();
        return (cat(padded, 0), items.Select(i => (long)i.Frames).ToArray());
    }

    // SpecAugment-style masks, batched: one band of up to 10 mel bins and two spans of up to 12 frames per utterance
    // set to silence, so the recogniser leans on context rather than on one exact spectral detail of the voice.
    private static Tensor Mask(Tensor mel, Generator generator)
    {
        var (b, t, m) = (mel.shape[0], mel.shape[1], mel.shape[2]);
        var bins = arange(m).view(1, 1, m);
        var frames = arange(t).view(1, t, 1);
        // Scalars held for libtorch's whole call (see KeptScalars): this runs on every training batch.
        using var spanStarts = Math.Max(1, t - 12).ToScalar();
        var bandWidth = (rand(b, generator: generator) * KeptScalars.Of(11)).floor().view(b, 1, 1);
        var bandStart = (rand(b, generator: generator) * KeptScalars.Of(m - 10)).floor().view(b, 1, 1);
        var masked = bins.ge(bandStart).logical_and(bins.lt(bandStart + bandWidth));
        for (var k = 0; k < 2; k++)
        {
            var spanWidth = (rand(b, generator: generator) * KeptScalars.Of(13)).floor().view(b, 1, 1);
            var spanStart = (rand(b, generator: generator) * spanStarts).floor().view(b, 1, 1);
            masked = masked.logical_or(frames.ge(spanStart).logical_and(frames.lt(spanStart + spanWidth)));
        }
        return mel.masked_fill(masked, KeptScalars.Of(Silence));
    }

    public void Dispose() => _network.Dispose();
}
