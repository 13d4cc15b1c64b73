using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using SemiNas.Contracts;
using SemiNas.Tts.Audio;
using SemiNas.Tts.Data;
using SemiNas.Tts.Model;
using SemiNas.Tts.Scoring;
using SemiNas.Tts.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.Tts;

/// <summary>
/// The tts search: SemiNAS's Transformer-TTS space on an LJSpeech-format corpus. A candidate's score is the
/// diagonal focus rate of free-running decoding on the validation sentences, after supernet or standalone training;
/// <c>seminas train</c> trains the chosen one at its final size and <c>seminas eval</c> measures its intelligibility
/// with the recogniser. Evaluations run one at a time (<see cref="ConcurrentEvaluations"/>): they share the supernet and
/// libtorch's threads.
/// </summary>
public sealed class TtsTask : ISearchTask, ITrainableTask, IStartupCheck
{
    public const string Dfr = "dfr";
    public const string FocusRate = "focus_rate";
    public const string PhoneCoverage = "phone_coverage";
    public const string ValidLoss = "valid_loss";
    public const string ValidMelLoss = "valid_mel_loss";
    public const string Reward = "reward";
    public const string Params = "params";
    public const string TrainSeconds = "train_seconds";

    private const int ValidationSeed = 20_200_224;

    private readonly TtsOptions _options;
    private readonly string _configDirectory;
    private readonly TtsSearchSpace _space;
    private readonly Lazy<CorpusData> _data;
    private readonly Lazy<PhonemeSet> _phonemes = new(() => new PhonemeSet(CmuDict.Debian));
    private readonly Lazy<Prepared> _prepared;
    private readonly Dictionary<(bool Decoder, int Op), long> _opParams = [];
    private Supernet? _supernet;

    /// <summary>
    /// Cheap: the corpus is read on first use, so that `seminas validate` and `describe` work before the corpus
    /// exists (it may be made by `seminas tts make-corpus`, or downloaded).
    /// </summary>
    public TtsTask(TtsOptions options, TaskCreationContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _configDirectory = context.ConfigDirectory;
        _space = new TtsSearchSpace(options.EncoderLayers, options.DecoderLayers, options.Operations);
        _data = new Lazy<CorpusData>(LoadCorpus);
        _prepared = new Lazy<Prepared>(Prepare);
        Objective = options.Objective switch
        {
            SearchObjective.ValidMelLoss => new Objective(ValidMelLoss, MetricGoal.Minimize),
            SearchObjective.Reward => new Objective(Reward, MetricGoal.Maximize),
            _ => new Objective(Dfr, MetricGoal.Maximize),
        };
    }

    /// <summary>
    /// Loads the corpus, the split, the hard sentences and every feature when a search starts, so that a missing or
    /// broken corpus stops it before the first trial; rows skipped under <c>badInput: skip</c> are listed with their
    /// file and line.
    /// </summary>
    public void CheckInputs(TextWriter report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var corpus = _data.Value.Corpus;
        if (corpus.Problems.Count > 0)
        {
            report.WriteLine($"tts: {corpus.Problems.Count} row(s) of the corpus {corpus.Directory} skipped (badInput: skip):");
            foreach (var problem in corpus.Problems) report.WriteLine($"  skipped: {problem}");
        }
        _ = _prepared.Value;
    }

    private sealed record CorpusData(LjSpeechCorpus Corpus, CorpusSplit<Utterance> Split, IReadOnlyList<(string Id, string NormalizedText)> Hard);

    private CorpusData LoadCorpus()
    {
        var directory = Path.GetFullPath(Path.Combine(_configDirectory, _options.Corpus));
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException(
                $"The corpus folder {directory} (task.options.corpus) does not exist: download LJSpeech there, or make a corpus with " +
                $"`seminas tts make-corpus --sentences shipped:sentences.txt --out {directory}`.");
        var corpus = LjSpeechCorpus.Load(directory, _options.BadInput);
        var split = _options.Split == SplitKind.LowResource
            ? CorpusSplits.LowResource(corpus.Utterances, _options.TrainUtterances, _options.ValidUtterances, _options.TestUtterances, _options.SplitSeed)
            : CorpusSplits.Full(corpus.Utterances, _options.ValidUtterances, _options.TestUtterances, _options.SplitSeed);
        var source = _options.HardSentences.Trim();
        IReadOnlyList<(string, string)> hard = source.Length == 0
            ? []
            : SentenceList.LoadPathOrShipped(source.StartsWith("shipped:", StringComparison.Ordinal) ? source : Path.GetFullPath(Path.Combine(_configDirectory, source)))
                .Select((s, i) => (string.Create(CultureInfo.InvariantCulture, $"HARD-{i + 1:D3}"), TextNormalizer.Normalize(s.Text))).ToList();
        return new CorpusData(corpus, split, hard);
    }

    public ISearchSpace Space => _space;

    public TtsSearchSpace TtsSpace => _space;

    public LjSpeechCorpus Corpus => _data.Value.Corpus;

    public CorpusSplit<Utterance> Split => _data.Value.Split;

    public Objective Objective { get; }

    public IReadOnlyList<MetricInfo> Metrics { get; } =
    [
        new(Dfr, "diagonal focus rate of free-running decoding on the validation sentences (0..1), SemiNAS's reward"),
        new(FocusRate, "focus rate, Σ_t max_s attention / Σ attention (0..1)"),
        new(PhoneCoverage, "phone coverage rate: mean over phonemes of their highest attention (0..1)"),
        new(ValidLoss, "teacher-forced validation loss (mel MSE + stop BCE)"),
        new(ValidMelLoss, "teacher-forced validation mel loss (masked MSE of the log-mel frames)"),
        new(Reward, "rewardWeights · [FR, PCR, DFR, -valid_loss] (the reference's --reward; DFR with its default weights)"),
        new(TrainSeconds, "seconds spent training for this evaluation"),
        new(Params, "parameters of the final-size model (count)", Cheap: true),
    ];

    public IReadOnlyDictionary<string, double> CheapMetrics(Architecture architecture)
    {
        var (encoder, decoder) = _space.Split(architecture);
        lock (_opParams)
        {
            long total = SharedParams(_options.Final);
            foreach (var op in encoder) total += OpParams(false, op);
            foreach (var op in decoder) total += OpParams(true, op);
            return new Dictionary<string, double> { [Params] = total };
        }
    }

    public async Task<IReadOnlyDictionary<string, double>> EvaluateAsync(Architecture architecture, EvaluationContext context,
        CancellationToken cancellationToken)
    {
        var (encoder, decoder) = _space.Split(architecture);
        int[] tokens = [.. encoder, .. decoder];
        return await Task.Run(() => _options.Evaluation == CandidateEvaluation.Standalone
            ? EvaluateStandalone(tokens, context, cancellationToken)
            : EvaluateWithSupernet(tokens, context, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    public bool ConcurrentEvaluations => false;

    private IReadOnlyDictionary<string, double> EvaluateStandalone(int[] architecture, EvaluationContext context, CancellationToken cancellationToken)
    {
        var data = _prepared.Value;
        var device = torch.device(context.Device);
        manual_seed(context.Seed);
        using var model = new TransformerTts(ModelSettings(_options.Search), architecture);
        model.to(device);
        using var trainer = new TtsTrainer(model, TrainingSettings(_options.Search), device);
        var clock = Stopwatch.StartNew();
        Train(trainer, [architecture], data.Train, _options.Search.Steps, new Random(context.Seed), context.Progress, cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        return Score(trainer, architecture, data, seconds);
    }

    private IReadOnlyDictionary<string, double> EvaluateWithSupernet(int[] architecture, EvaluationContext context, CancellationToken cancellationToken)
    {
        var data = _prepared.Value;
        var device = torch.device(context.Device);
        // Trial folders sit side by side under the experiment's folder: the supernet lives beside them, so a resumed
        // search continues training it.
        var folder = Path.Combine(context.ExperimentDirectory, "tts-supernet");
        _supernet ??= Supernet.OpenOrCreate(folder, ModelSettings(_options.Search), TrainingSettings(_options.Search), device, context.Seed);
        var supernet = _supernet;
        manual_seed(context.Seed);
        var random = new Random(context.Seed);
        if (supernet.Trainer.StepsDone == 0 && _options.SupernetWarmupSteps > 0)
        {
            // Candidates evaluated later have had more shared training than earlier ones; a warm-up on the whole
            // space narrows that gap before the first score.
            var uniform = Enumerable.Range(0, _options.SupernetWarmupSteps).Select(_ => _space.Sample(random).Tokens.ToArray()).ToList();
            Train(supernet.Trainer, uniform, data.Train, _options.SupernetWarmupSteps, random, context.Progress, cancellationToken);
        }
        supernet.AddToPool(architecture);
        var clock = Stopwatch.StartNew();
        var pool = supernet.Pool;
        var steps = _options.SupernetEpochsPerCandidate > 0
            ? (int)Math.Ceiling(_options.SupernetEpochsPerCandidate * data.BatchesPerEpoch)
            : _options.SupernetStepsPerCandidate;
        Train(supernet.Trainer, pool, data.Train, steps, random, context.Progress, cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        supernet.Save();
        return Score(supernet.Trainer, architecture, data, seconds);
    }

    private IReadOnlyDictionary<string, double> Score(TtsTrainer trainer, int[] architecture, Prepared data, double seconds)
    {
        var attention = trainer.EvaluateAttention(architecture, data.Valid);
        var (loss, melLoss) = ValidationLoss(trainer, architecture, data.Valid);
        var w = _options.RewardWeights.Count == 4 ? _options.RewardWeights : [0, 0, 1, 0];
        return new Dictionary<string, double>
        {
            [Dfr] = attention.DiagonalFocusRate,
            [FocusRate] = attention.FocusRate,
            [PhoneCoverage] = attention.PhoneCoverage,
            [ValidLoss] = loss,
            [ValidMelLoss] = melLoss,
            [Reward] = w[0] * attention.FocusRate + w[1] * attention.PhoneCoverage + w[2] * attention.DiagonalFocusRate - w[3] * loss,
            [TrainSeconds] = seconds,
            [Params] = CheapMetrics(new Architecture(architecture))[Params],
        };
    }

    /// <summary>
    /// The teacher-forced validation loss, mel MSE + stop BCE (the guided-attention term is a training aid, left
    /// out), and its mel part, averaged over the sentences.
    /// </summary>
    private static (double Loss, double Mel) ValidationLoss(TtsTrainer trainer, int[] architecture, IReadOnlyList<TtsExample> valid)
    {
        var device = DeviceOf(trainer.Model);
        var (loss, mel) = (0.0, 0.0);
        // The prenet's dropout stays on in evaluation too, so the loss depends on the random stream: a fixed seed
        // makes checkpoints and candidates comparable. The training then goes on from a seed drawn from its own
        // stream first (re-seeding rather than restoring the state, so the CUDA generator moves on as well).
        using var draw = randint(0, int.MaxValue, [1], dtype: ScalarType.Int64);
        var resume = draw.item<long>();
        manual_seed(ValidationSeed);
        try
        {
            foreach (var chunk in valid.Chunk(16))
            {
                using var batch = TtsData.Collate(chunk, trainer.Model.Settings.MelBins, trainer.Model.Settings.ReductionFactor, device);
                var parts = trainer.EvaluateLoss(architecture, batch);
                loss += (parts.Mel + parts.Stop) * chunk.Length;
                mel += parts.Mel * chunk.Length;
            }
        }
        finally
        {
            manual_seed(resume);
        }
        return (loss / valid.Count, mel / valid.Count);
    }

    /// <summary>
    /// Trains <paramref name="steps"/> steps, one architecture of the pool per step, batches and architectures drawn
    /// uniformly from <paramref name="random"/>. The first <paramref name="skip"/> draws are made and not trained on, so
    /// that a training resumed at step <paramref name="skip"/> from a generator of the same seed sees the batches an
    /// uninterrupted one would.
    /// </summary>
    internal static void Train(TtsTrainer trainer, IReadOnlyList<int[]> pool, IReadOnlyList<TtsExample> train, int steps, Random random,
        IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken, Action<int, StepLoss>? afterStep = null, int skip = 0)
    {
        var settings = trainer.Model.Settings;
        var device = DeviceOf(trainer.Model);
        var done = 0;
        StepLoss last = default;
        while (done < steps)
        {
            foreach (var examples in TtsData.Buckets(train, trainer.Settings.MaxFramesPerBatch, random))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var architecture = pool[random.Next(pool.Count)];
                if (skip > 0)
                {
                    skip--;
                    continue;
                }
                using var batch = TtsData.Collate(examples, settings.MelBins, settings.ReductionFactor, device);
                last = trainer.Step(architecture, batch);
                if (!double.IsFinite(last.Total)) throw new InvalidOperationException($"the training loss became {last.Total} at step {trainer.StepsDone}.");
                done++;
                afterStep?.Invoke(trainer.StepsDone, last);
                if (done % 25 == 0 || done == steps)
                    progress?.Report(new EvaluationProgress((double)done / steps, string.Create(CultureInfo.InvariantCulture, $"step {done}/{steps}, loss {last.Total:F3}"),
                        new Dictionary<string, double> { ["train_loss"] = last.Total, ["mel_loss"] = last.Mel, ["stop_loss"] = last.Stop })
                    { Step = trainer.StepsDone });
                if (done >= steps) break;
            }
        }
    }

    public async Task<IReadOnlyDictionary<string, double>> TrainAsync(Architecture architecture, TrainingContext context, CancellationToken cancellationToken)
    {
        var (encoder, decoder) = _space.Split(architecture);
        int[] tokens = [.. encoder, .. decoder];
        return await Task.Run(() => TrainFinal(tokens, context, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private IReadOnlyDictionary<string, double> TrainFinal(int[] architecture, TrainingContext context, CancellationToken cancellationToken)
    {
        var data = _prepared.Value;
        var device = torch.device(context.Device);
        var final = _options.Final;
        var output = Path.GetFullPath(context.OutputDirectory);
        manual_seed(context.Seed);
        TransformerTts model;
        var startStep = 0;
        double? bestLoss = null;
        var bestStep = 0;
        var secondsBefore = 0.0;
        if (TtsModelFile.Exists(output))
        {
            (model, var manifest) = TtsModelFile.Load(output, device, latest: true);
            (bestLoss, bestStep, secondsBefore) = (manifest.BestValidLoss, manifest.BestStep, manifest.TrainingSeconds);
            if (manifest.DropoutSeed is { } dropoutSeed) manual_seed(dropoutSeed);
            if (!manifest.Architecture.SequenceEqual(architecture))
                throw new InvalidOperationException($"{output} holds a model of architecture {string.Join(' ', manifest.Architecture)}, not {string.Join(' ', architecture)}: use another --output.");
            startStep = manifest.StepsDone;
            context.Logger.LogInformation("Resuming the training in {Folder} at step {Step}.", output, startStep);
        }
        else
        {
            model = new TransformerTts(ModelSettings(final), architecture);
            model.to(device);
        }
        using (model)
        {
            using var trainer = new TtsTrainer(model, TrainingSettings(final), device) { StepsDone = startStep };
            var optimizerState = Path.Combine(output, TtsModelFile.OptimizerFile);
            if (startStep > 0 && File.Exists(optimizerState)) trainer.Load(optimizerState);
            var clock = Stopwatch.StartNew();
            double TrainingSeconds() => secondsBefore + clock.Elapsed.TotalSeconds;
            // Every checkpointEvery steps, and at the end, the folder holds a checkpoint that a new call resumes from;
            // each checkpoint measures the validation loss and keeps the best weights so far (train.py's
            // checkpoint_best.pt, which the reference's test script loads), which is what evaluation reads.
            void Checkpoint(int step)
            {
                var (loss, _) = ValidationLoss(trainer, architecture, data.Valid);
                if (bestLoss is null || loss < bestLoss)
                {
                    (bestLoss, bestStep) = (loss, step);
                    TtsModelFile.SaveBest(output, model);
                }
                // The generator is re-seeded at each checkpoint from its own stream, and the seed kept, so that a run
                // resumed here draws the dropout masks that an uninterrupted one does.
                using var draw = randint(0, int.MaxValue, [1], dtype: ScalarType.Int64);
                var dropoutSeed = draw.item<long>();
                manual_seed(dropoutSeed);
                TtsModelFile.Save(output, Manifest(architecture, model.Settings, step, final.Steps, data) with
                {
                    BestStep = bestStep, BestValidLoss = bestLoss, TrainingSeconds = TrainingSeconds(), DropoutSeed = dropoutSeed,
                }, model, trainer);
            }
            var remaining = final.Steps - startStep;
            if (remaining > 0)
            {
                Train(trainer, [architecture], data.Train, remaining, new Random(context.Seed), context.Progress, cancellationToken,
                    (step, _) => { if (step % final.CheckpointEvery == 0) Checkpoint(step); }, skip: startStep);
                if (trainer.StepsDone % final.CheckpointEvery != 0) Checkpoint(trainer.StepsDone);
            }
            context.Logger.LogInformation("The best validation loss, {Loss}, was at step {Step}; {Folder} keeps those weights.", bestLoss, bestStep, output);
            // The metrics describe the model that is kept: the best checkpoint.
            if (bestStep != trainer.StepsDone && TtsModelFile.HasBest(output)) TtsModelFile.LoadBestInto(output, model);
            var metrics = new Dictionary<string, double>(Score(trainer, architecture, data, TrainingSeconds()))
            {
                ["steps"] = trainer.StepsDone,
                ["best_step"] = bestStep,
            };
            return metrics;
        }
    }

    public async Task<IReadOnlyDictionary<string, double>> EvaluateTrainedAsync(Architecture architecture, TrainingContext context,
        CancellationToken cancellationToken)
    {
        var data = await Task.Run(() => _prepared.Value, cancellationToken).ConfigureAwait(false);
        var output = Path.GetFullPath(context.OutputDirectory);
        var device = torch.device(context.Device);
        var (model, manifest) = TtsModelFile.Load(output, device);
        using (model)
        {
            model.AttentionConstraint = _options.AttentionConstraint;
            return await ModelEvaluation.RunAsync(model, manifest, data.Test, data.Hard, _data.Value.Corpus, _data.Value.Hard,
                Path.Combine(output, "evaluation"), _options.GriffinLimIterations, _options.MaxDecodeRatio, context.Seed, cancellationToken).ConfigureAwait(false);
        }
    }

    private TtsModelManifest Manifest(int[] architecture, TtsModelSettings settings, int stepsDone, int planned, Prepared data) => new()
    {
        Architecture = architecture,
        Settings = settings,
        StepsDone = stepsDone,
        StepsPlanned = planned,
        Split = _options.Split,
        TrainUtterances = _options.TrainUtterances,
        ValidUtterances = _options.ValidUtterances,
        TestUtterances = _options.TestUtterances,
        SplitSeed = _options.SplitSeed,
        FramesPerToken = data.FramesPerToken,
    };

    internal TtsModelSettings ModelSettings(TtsModelOptions model) => new()
    {
        Vocabulary = PhonemeSet.Size,
        Hidden = model.Hidden,
        EncoderLayers = _options.EncoderLayers,
        DecoderLayers = _options.DecoderLayers,
        MelBins = MelSettings.Paper.MelBins,
        PrenetWidth = model.PrenetWidth,
        Dropout = model.Dropout,
        ReductionFactor = model.ReductionFactor,
        CrossAttentionPerOperation = true,
    };

    internal static TrainingSettings TrainingSettings(TtsModelOptions model) => new()
    {
        LearningRate = model.LearningRate,
        WarmupSteps = model.WarmupSteps,
        MaxFramesPerBatch = model.MaxFramesPerBatch,
        GuidedAttentionWeight = model.GuidedAttentionWeight,
    };

    private sealed record Prepared(List<TtsExample> Train, List<TtsExample> Valid, List<TtsExample> Test, List<TtsExample> Hard, double FramesPerToken,
        int BatchesPerEpoch);

    private Prepared Prepare()
    {
        using var features = new MelSpectrogram(MelSettings.Paper);
        var phonemes = _phonemes.Value;
        var (_, split, hardSentences) = _data.Value;
        var train = TtsData.Prepare(split.Train, phonemes, features);
        var valid = TtsData.Prepare(split.Valid, phonemes, features);
        var test = TtsData.Prepare(split.Test, phonemes, features);
        var hard = TtsData.TextOnly(hardSentences, phonemes);
        var framesPerToken = train.Sum(e => (double)e.Frames) / train.Sum(e => e.Tokens.Length);
        // One pass over the training split in the search's batches (their count depends little on the shuffle).
        var batchesPerEpoch = TtsData.Buckets(train, _options.Search.MaxFramesPerBatch, new Random(0)).Count;
        return new Prepared(train, valid, test, hard, framesPerToken, batchesPerEpoch);
    }

    private static Device DeviceOf(TransformerTts model) => model.parameters().First().device;

    // Parameters outside the searched layers (embedding, prenet, norms, output layers) and of each operation, at
    // the final size: counted once per operation by building it, so CheapMetrics stays fast.
    private long SharedParams(TtsModelOptions size)
    {
        if (_opParams.TryGetValue((false, 0), out var shared)) return shared;
        var settings = ModelSettings(size) with { EncoderLayers = 0, DecoderLayers = 0 };
        using var model = new TransformerTts(settings, []);
        return _opParams[(false, 0)] = model.ParameterCount;
    }

    private long OpParams(bool decoder, int op)
    {
        if (_opParams.TryGetValue((decoder, op), out var count)) return count;
        using var layer = new SearchableLayer("count", [op], _options.Final.Hidden, 0, decoder, crossAttentionPerOperation: true);
        return _opParams[(decoder, op)] = layer.parameters().Sum(p => p.numel());
    }

    public void Dispose()
    {
        _supernet?.Dispose();
    }
}
