using System.Globalization;
using SemiNas.Contracts;
using SemiNas.ImageClassification.Data;
using SemiNas.ImageClassification.Model;
using SemiNas.ImageClassification.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification;

/// <summary>
/// The paper's weight-sharing evaluation (seminas-method.md §6.1-6.2), fitted to a host that asks for one candidate's
/// score per evaluation. One supernet per task, shared by every evaluation under a lock, trained in rounds; each
/// training step trains one architecture drawn uniformly from the round's pool, single-path. The reference code's
/// order, train then score: the evaluations of a round wait until the round is complete — the strategy's first
/// <c>poolSize</c> candidates, then each <c>roundSize</c> after them — or until no candidate has arrived for
/// <c>collectSeconds</c>; the supernet then trains on exactly those candidates (<c>warmupSteps</c> for the first round,
/// <c>roundSteps</c> later) and each of them is scored with the result. A new round only forms once every candidate of
/// the previous one that is still being evaluated here has been scored. The host hands out a whole round at once only
/// when <c>execution.workers</c> is at least the round's size; with fewer, a round forms with the candidates that came
/// (after <c>collectSeconds</c>) and its steps shrink in proportion, so nothing waits forever.
/// The weights, optimiser and round state are checkpointed in a folder shared by the experiment's trials, so a killed
/// search resumes the supernet where it was. Unlike the reference, a candidate is scored once (the store records one
/// result per trial), not re-scored with the weights of every later round.
/// </summary>
internal sealed class SupernetEvaluator(ImageClassificationOptions options, ChainSearchSpace space, Func<ImageData> data,
    string fingerprint, int seed) : IDisposable
{
    private static readonly TimeSpan BusyRecheck = TimeSpan.FromSeconds(1);
    // Not a serialisation the host could do (ISearchTask.ConcurrentEvaluations): the evaluations of a round must be in
    // flight together for the round to form, and this lets one of them at a time train or score the shared supernet.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SupernetOptions _settings = options.Evaluation.Supernet;
    private readonly Lock _sync = new();
    private readonly List<string> _arrivals = [];
    private readonly Dictionary<string, int> _inFlight = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _trialIds = new(StringComparer.Ordinal);
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private TimeSpan _lastArrival;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Supernet? _model;
    private SgdTrainer? _trainer;
    private Augmentation? _augmentation;
    private BatchSampler? _sampler;
    private SupernetState? _state;
    private string? _folder;
    private Device? _device;

    /// <summary>The mean training loss of each round so far (for reports and tests), in step order.</summary>
    public List<(int Round, long Step, double Loss)> LossHistory { get; } = [];

    /// <summary>The architectures each round trained on, in order (for tests and reports).</summary>
    public List<IReadOnlyList<string>> RoundPools { get; } = [];

    public async Task<IReadOnlyDictionary<string, double>> EvaluateAsync(Architecture architecture, EvaluationContext context,
        CancellationToken cancellationToken)
    {
        var candidate = architecture.ToString();
        Arrive(candidate, context.TrialId);
        try
        {
            while (true)
            {
                Step next;
                await _gate.WaitAsync(cancellationToken);
                try
                {
                    next = await Task.Run(() => TrainThenScore(architecture, context, cancellationToken), cancellationToken);
                }
                finally
                {
                    _gate.Release();
                }
                if (next.Result is { } result) return result;
                await Task.WhenAny(next.Changed!, Task.Delay(next.Wait, cancellationToken));
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            Leave(candidate);
        }
    }

    /// <summary>What an evaluation does next: return its result, or wait for a change (an arrival) or the time given.</summary>
    private readonly record struct Step(Dictionary<string, double>? Result, TimeSpan Wait, Task? Changed);

    private void Arrive(string candidate, long trialId)
    {
        lock (_sync)
        {
            _inFlight[candidate] = _inFlight.GetValueOrDefault(candidate) + 1;
            _trialIds[candidate] = trialId;
            if (!_arrivals.Contains(candidate)) _arrivals.Add(candidate);
            _lastArrival = _clock.Elapsed;
            Pulse();
        }
    }

    private void Leave(string candidate)
    {
        lock (_sync)
        {
            if (--_inFlight[candidate] == 0)
            {
                _inFlight.Remove(candidate);
                _arrivals.Remove(candidate);
                _trialIds.Remove(candidate);
            }
            Pulse();
        }
    }

    private void Pulse()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    /// <summary>The folder of the supernet, shared by every trial of the experiment (and a resumed search).</summary>
    public static string FolderFor(EvaluationContext context) => Path.Combine(context.ExperimentDirectory, "supernet");

    /// <summary>One turn of a train-then-score evaluation, under the gate.</summary>
    private Step TrainThenScore(Architecture architecture, EvaluationContext context, CancellationToken cancellationToken)
    {
        var images = data();
        EnsureCreated(context, images);
        var state = _state!;
        var candidate = architecture.ToString();
        lock (_sync)
        {
            // A candidate of the formed round (e.g. re-run after a restart) is scored with that round's weights.
            if (state.Rounds > 0) _arrivals.RemoveAll(state.Pool.Contains);
            if (state.Rounds == 0 || !state.Pool.Contains(candidate))
            {
                var expected = state.Rounds == 0 ? _settings.PoolSize : _settings.RoundSize;
                var unscored = state.Rounds == 0 ? 0 : _inFlight.Keys.Count(state.Pool.Contains);
                var quiet = _clock.Elapsed - _lastArrival;
                var collect = TimeSpan.FromSeconds(_settings.CollectSeconds);
                if (unscored > 0 || (_arrivals.Count < expected && quiet < collect))
                {
                    context.Progress?.Report(new EvaluationProgress(0, unscored > 0
                        ? $"waiting: {unscored} candidate(s) of supernet round {state.Round} still to score"
                        : $"waiting for the rest of supernet round {state.Rounds}: {_arrivals.Count}/{expected} candidates here"));
                    var wait = unscored > 0 ? BusyRecheck : collect - quiet;
                    return new Step(null, wait < TimeSpan.FromMilliseconds(20) ? TimeSpan.FromMilliseconds(20) : wait, _changed.Task);
                }
                FormRound(context, expected);
                if (!state.Pool.Contains(candidate))
                    return new Step(null, TimeSpan.FromMilliseconds(20), _changed.Task);
            }
        }
        TrainRound(context, images, candidate, cancellationToken);
        return new Step(Score(architecture, context, images, cancellationToken), TimeSpan.Zero, null);
    }

    /// <summary>The next round: the first <paramref name="expected"/> candidates that arrived (called under both locks).</summary>
    private void FormRound(EvaluationContext context, int expected)
    {
        var state = _state!;
        var members = _arrivals.Take(expected).ToList();
        _arrivals.RemoveRange(0, members.Count);
        // The order in which evaluations arrive depends on thread scheduling, and the pool's order decides which path
        // each training step draws: the pool is put in the order the strategy proposed it (the trials' order), so that
        // a search is reproducible.
        members.Sort((a, b) => _trialIds[a].CompareTo(_trialIds[b]));
        var full = state.Rounds == 0 ? _settings.WarmupSteps : _settings.RoundSteps;
        var steps = members.Count >= expected ? full : (long)Math.Ceiling((double)full * members.Count / expected);
        state.Round = state.Rounds;
        state.Rounds++;
        state.Pool = members;
        state.RoundStart = _trainer!.Step;
        state.TrainUntil = _trainer.Step + steps;
        RoundPools.Add(members);
        Checkpoint.SaveState(_folder!, fingerprint, state);
        if (members.Count < expected)
            context.Logger.LogShortRound(state.Round, members.Count, expected, steps);
    }

    /// <summary>Trains the current round's remaining steps (none when it is done) on its pool.</summary>
    private void TrainRound(EvaluationContext context, ImageData images, string candidate, CancellationToken cancellationToken)
    {
        var state = _state!;
        if (_trainer!.Step >= state.TrainUntil || state.Pool.Count == 0) return;
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
                        $"supernet round {state.Round} ({state.Pool.Count} architectures): step {report.Step}/{state.TrainUntil}, loss {report.Loss:F3}, {report.ImagesPerSecond:F0} img/s; then {candidate}"),
                    // The supernet's own step: the trial whose evaluation trains a round keeps that round's losses.
                    new Dictionary<string, double> { ["supernet_train_loss"] = report.Loss, ["images_per_second"] = report.ImagesPerSecond })
                { Step = (int)report.Step });
            },
            cancellationToken, options.Dataset.Prefetch);
        if (!double.IsNaN(loss)) LossHistory.Add((state.Round, _trainer.Step, loss));
    }

    private Dictionary<string, double> Score(Architecture architecture, EvaluationContext context, ImageData images, CancellationToken cancellationToken)
    {
        var state = _state!;
        context.Progress?.Report(new EvaluationProgress(0.95,
            $"scoring {space.Describe(architecture)} on {Math.Min(options.Evaluation.ScoreImages, images.HeldOut.Count)} held-out images"));
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
            ["supernet_step"] = _trainer!.Step,
        };
        if (state.LastLoss is { } last) result["supernet_loss"] = last;
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
        _augmentation = new Augmentation(options.Dataset, space.Chain.Resolution, _device, space.Chain.InChannels);

        var state = Checkpoint.Load<SupernetState>(_folder, fingerprint, model, trainer);
        if (state is not null)
        {
            trainer.Step = state.Step;
            context.Logger.LogSupernetResumed(state.Step, state.Round);
        }
        else
        {
            state = new SupernetState(); // the first round forms from the first candidates
        }
        _model = model;
        _trainer = trainer;
        _state = state;
        if (state.Step == 0) Save();
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
        /// <summary>The round the weights were last trained for (0: the warm-up).</summary>
        public int Round { get; set; }
        /// <summary>Rounds formed so far (0 until the first candidates have arrived).</summary>
        public int Rounds { get; set; }
        public List<string> Pool { get; set; } = [];
        public double? LastLoss { get; set; }
    }
}
