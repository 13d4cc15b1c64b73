using System.Globalization;
using SemiNas.Contracts;
using SemiNas.ImageClassification.Data;
using SemiNas.ImageClassification.Model;
using SemiNas.ImageClassification.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification;

/// <summary>
/// The paper's weight-sharing evaluation (seminas-method.md §6.1-6.2), fitted to a host that evaluates one candidate
/// at a time. One supernet per task, shared by every evaluation under a lock, trained in rounds:
/// <list type="number">
/// <item>Round 0 (warm-up): <c>warmupSteps</c> single-path steps on a pool of <c>poolSize</c> random architectures of
/// the space (the paper's round 0 trains on its 100 random seed architectures), before the first score.</item>
/// <item>Candidates are scored, as they come, with the current weights: top-1 on the same held-out images for all.</item>
/// <item>Once <c>roundSize</c> candidates have been scored, they become the next round's pool: before the next score,
/// the supernet trains <c>roundSteps</c> steps on them (the paper: round t trains on the architectures generated in
/// round t-1). Each step trains one architecture drawn uniformly from the pool.</item>
/// </list>
/// The weights, optimiser and round state are checkpointed in a folder shared by the experiment's trials, so a killed
/// search resumes the supernet where it was. Unlike the paper, a candidate is scored once (the store records one
/// result per trial), not re-scored after every later round.
/// </summary>
internal sealed class SupernetEvaluator(ImageClassificationOptions options, ChainSearchSpace space, Func<ImageData> data,
    string fingerprint, int seed, Func<Architecture, double> flops) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SupernetOptions _settings = options.Evaluation.Supernet;
    private Supernet? _model;
    private SgdTrainer? _trainer;
    private Augmentation? _augmentation;
    private BatchSampler? _sampler;
    private SupernetState? _state;
    private string? _folder;
    private Device? _device;

    /// <summary>The mean training loss of each round so far (for reports and tests), in step order.</summary>
    public List<(int Round, long Step, double Loss)> LossHistory { get; } = [];

    public async Task<IReadOnlyDictionary<string, double>> EvaluateAsync(Architecture architecture, EvaluationContext context,
        CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(() => Evaluate(architecture, context, cancellationToken), cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The folder of the supernet: beside the trial folders when the host lays them out as
    /// <c>&lt;experiment&gt;.trials/&lt;number&gt;</c>, so that every trial of the experiment (and a resumed search) finds it;
    /// otherwise inside the given working directory.
    /// </summary>
    public static string FolderFor(EvaluationContext context)
    {
        var trial = Path.TrimEndingDirectorySeparator(Path.GetFullPath(context.WorkingDirectory));
        var parent = Path.GetDirectoryName(trial);
        return parent is not null && parent.EndsWith(".trials", StringComparison.Ordinal)
            ? Path.Combine(parent, "supernet")
            : Path.Combine(trial, "supernet");
    }

    private Dictionary<string, double> Evaluate(Architecture architecture, EvaluationContext context, CancellationToken cancellationToken)
    {
        var images = data();
        EnsureCreated(context, images);
        var state = _state!;
        var candidate = architecture.ToString();
        var description = space.Describe(architecture);

        if (_trainer!.Step < state.TrainUntil)
        {
            context.Logger.LogSupernetRound(state.Round, state.TrainUntil - _trainer.Step, state.Pool.Count);
            var pool = state.Pool.Select(Architecture.Parse).ToArray();
            var start = _trainer.Step;
            _trainer.CosineWindow = (state.RoundStart, state.TrainUntil - state.RoundStart);
            _model!.train();
            var loss = TrainingLoop.Run(_trainer, images.Train, _augmentation!, _sampler!, state.TrainUntil,
                random =>
                {
                    var path = pool[random.Next(pool.Length)];
                    _trainer.ActiveGroups = _model.GroupsOf(path);
                    return x => _model.Forward(x, path);
                },
                _settings.CheckpointEvery, Save,
                report =>
                {
                    state.LastLoss = report.Loss;
                    context.Progress?.Report(new EvaluationProgress(
                        0.9 * (report.Step - start) / Math.Max(1, state.TrainUntil - start),
                        string.Create(CultureInfo.InvariantCulture,
                            $"supernet round {state.Round}: step {report.Step}/{state.TrainUntil}, loss {report.Loss:F3}, {report.ImagesPerSecond:F0} img/s; then {candidate}"),
                        new Dictionary<string, double> { ["supernet_loss"] = report.Loss, ["images_per_second"] = report.ImagesPerSecond }));
                },
                cancellationToken);
            if (!double.IsNaN(loss)) LossHistory.Add((state.Round, _trainer.Step, loss));
        }

        if (!state.Pending.Contains(candidate))
        {
            state.Pending.Add(candidate);
            Checkpoint.SaveState(_folder!, fingerprint, state);
        }

        context.Progress?.Report(new EvaluationProgress(0.95, $"scoring {description} on {Math.Min(options.Evaluation.ScoreImages, images.HeldOut.Count)} held-out images"));
        if (_settings.RecalibrationBatches > 0)
            _model!.Recalibrate(architecture, RecalibrationBatches(images));
        _model!.eval();
        var score = Scoring.Evaluate(x => _model.Forward(x, architecture), images.HeldOut, _augmentation!,
            _settings.Optimizer.BatchSize, options.Evaluation.ScoreImages, cancellationToken);

        var result = new Dictionary<string, double>
        {
            ["valid_accuracy"] = score.Top1,
            ["valid_top5"] = score.Top5,
            ["valid_loss"] = score.Loss,
            ["supernet_round"] = state.Round,
            ["supernet_step"] = _trainer.Step,
        };
        if (state.LastLoss is { } last) result["supernet_loss"] = last;

        // The scored candidates of this round are the next round's pool, trained on before the next score.
        if (state.Pending.Count >= _settings.RoundSize && _settings.RoundSteps > 0)
        {
            state.Pool = state.Pending;
            state.Pending = [];
            state.Round++;
            state.RoundStart = _trainer.Step;
            state.TrainUntil = _trainer.Step + _settings.RoundSteps;
            Checkpoint.SaveState(_folder!, fingerprint, state);
        }
        return result;
    }

    /// <summary>The first training images in a fixed order, at the evaluation view, batch by batch.</summary>
    private IEnumerable<Tensor> RecalibrationBatches(ImageData images)
    {
        var batch = Math.Min(_settings.Optimizer.BatchSize, images.Train.Count);
        var count = Math.Min(images.Train.Count, batch * _settings.RecalibrationBatches);
        for (var start = 0; start + batch <= count; start += batch)
        {
            using var scope = NewDisposeScope();
            var inputs = _augmentation!.Eval(images.Train.Load(Enumerable.Range(start, batch).ToArray()));
            yield return inputs.MoveToOuterDisposeScope();
        }
    }

    private void EnsureCreated(EvaluationContext context, ImageData images)
    {
        if (_model is not null) return;
        _device = torch.device(context.Device);
        _folder = FolderFor(context);
        torch.manual_seed(seed);
        var model = new Supernet(space.Chain);
        model.to(_device);
        var trainer = new SgdTrainer(model.ParameterGroups(), _settings.Optimizer, Math.Max(1, _settings.WarmupSteps));
        _sampler = new BatchSampler(images.Train.Count, _settings.Optimizer.BatchSize, seed);
        _augmentation = new Augmentation(options.Dataset, space.Chain.Resolution, _device);

        var state = Checkpoint.Load<SupernetState>(_folder, fingerprint, model, trainer);
        if (state is not null)
        {
            trainer.Step = state.Step;
            context.Logger.LogSupernetResumed(state.Step, state.Round);
        }
        else
        {
            state = new SupernetState { Pool = RandomPool(), TrainUntil = _settings.WarmupSteps };
        }
        _model = model;
        _trainer = trainer;
        _state = state;
        if (state.Step == 0) Save();
    }

    /// <summary>The warm-up pool: distinct random architectures within poolMaxFlops, from the experiment seed.</summary>
    private List<string> RandomPool()
    {
        var random = new Random(HashCode.Combine(seed, 0x9001));
        var pool = new HashSet<string>();
        for (var attempts = 0; pool.Count < _settings.PoolSize && attempts < 1000 * _settings.PoolSize; attempts++)
        {
            var architecture = space.Sample(random);
            if (_settings.PoolMaxFlops > 0 && flops(architecture) > _settings.PoolMaxFlops) continue;
            pool.Add(architecture.ToString());
        }
        if (pool.Count == 0)
            throw new InvalidOperationException($"No architecture of the space is within evaluation.supernet.poolMaxFlops = {_settings.PoolMaxFlops:G4}.");
        return [.. pool];
    }

    private void Save()
    {
        _state!.Step = _trainer!.Step;
        Checkpoint.Save(_folder!, fingerprint, _state, _trainer.Step, _model!, _trainer);
    }

    public void Dispose()
    {
        _trainer?.Dispose();
        _model?.Dispose();
        _augmentation?.Dispose();
        _gate.Dispose();
    }

    private sealed class SupernetState
    {
        public long Step { get; set; }
        public long TrainUntil { get; set; }
        public long RoundStart { get; set; }
        public int Round { get; set; }
        public List<string> Pool { get; set; } = [];
        public List<string> Pending { get; set; } = [];
        public double? LastLoss { get; set; }
    }
}
