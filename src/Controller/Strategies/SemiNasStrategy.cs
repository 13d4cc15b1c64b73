using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using SemiNas.Contracts;
using SemiNas.Controller.Nao;
using SemiNas.Controller.Predictors;
using SemiNas.Core;

namespace SemiNas.Controller.Strategies;

public enum TargetNormalization
{
    /// <summary>(y − mean) / std of the labelled set, with a linear predictor output (NAS-Bench-101 code [A]).</summary>
    ZScore,
    /// <summary>(y − min) / (max − min) into [0, 1], usually with a sigmoid output (ImageNet and TTS code).</summary>
    MinMax,
}

/// <summary>Which generated candidates an iteration evaluates.</summary>
public enum CandidateSelection
{
    /// <summary>The first new ones found, in seed order, from the smallest step up: the official code.</summary>
    FirstFound,
    /// <summary>Collect a larger pool (every step size, plus one-token neighbours of the seeds when asked) and take the best predicted.</summary>
    BestPredicted,
}

/// <summary>Where the generator's seeds come from.</summary>
public enum SeedSource
{
    /// <summary>Labelled and pseudo-labelled architectures together, by target: the paper.</summary>
    All,
    /// <summary>Only evaluated architectures, by their true score: generation starts from what is known to be good.</summary>
    Labelled,
}

public enum SeedSelection
{
    /// <summary>The K architectures with the highest (true or pseudo) targets: what the paper describes.</summary>
    Best,
    /// <summary>The K lowest, as the ImageNet/TTS scripts do by an ascending sort (kept to reproduce them).</summary>
    Lowest,
}

/// <summary>
/// Options of the <c>seminas</c> and <c>nao</c> strategies. Defaults are the paper's NAS-Bench-101 NeurIPS setting
/// (seminas-method.md §2.4, code [A]) except where the description says otherwise.
/// </summary>
public class SemiNasOptions
{
    private SemiNasPreset _preset;

    [Description("A setting of the paper by name (nb101-neurips, nb101-v1, imagenet, tts, nb201), applied before the other keys, which override it.")]
    public SemiNasPreset Preset
    {
        get => _preset;
        set
        {
            _preset = value;
            SemiNasPresets.Apply(this, value);
        }
    }

    [Range(1, 1_000_000), Description("N: random architectures evaluated before the controller is first trained.")]
    public int InitialSamples { get; set; } = 1100;

    [Range(0, 10_000_000), Description("M: fresh unevaluated architectures pseudo-labelled by the predictor in each iteration (0 = NAO).")]
    public int PseudoLabeled { get; set; } = 10_000;

    [Range(1, 10_000), Description("r: how many times the labelled set is repeated next to the pseudo-labelled one.")]
    public int UpSample { get; set; } = 10;

    [Range(1, 1_000_000), Description("K: architectures (labelled or pseudo-labelled, best first) the generator starts from.")]
    public int Seeds { get; set; } = 100;

    [Range(1, 1_000_000), Description("New architectures generated and evaluated per iteration. Iterations go on until the budget is spent.")]
    public int NewPerIteration { get; set; } = 300;

    [Range(1, 4096), Description("H: embedding and LSTM size of the controller.")]
    public int Hidden { get; set; } = 64;

    [Range(0, 64), Description("Layers of the predictor's MLP.")]
    public int MlpLayers { get; set; } = 2;

    [Range(1, 4096), Description("Hidden size of the predictor's MLP.")]
    public int MlpHidden { get; set; } = 16;

    [Range(0.0, 0.99), Description("Dropout of the controller.")]
    public double Dropout { get; set; } = 0.1;

    [Range(0.0, 1.0), Description("λ: weight of the predictor's MSE against the decoder's NLL in the loss.")]
    public double Lambda { get; set; } = 0.8;

    [Range(0, 1_000_000), Description("Epochs on the labelled set alone (pre-training) in each iteration.")]
    public int PretrainEpochs { get; set; } = 1000;

    [Range(0, 1_000_000), Description("Epochs on the up-sampled labelled plus the pseudo-labelled set in each iteration.")]
    public int TrainEpochs { get; set; } = 500;

    [Range(1, 100_000), Description("Batch size of controller training.")]
    public int BatchSize { get; set; } = 100;

    [Range(1e-7, 1.0), Description("Adam learning rate.")]
    public double LearningRate { get; set; } = 1e-3;

    [Range(0.0, 1.0), Description("Adam L2 weight decay.")]
    public double WeightDecay { get; set; } = 1e-4;

    [Description("How targets are normalised: zscore or minmax.")]
    public TargetNormalization Normalization { get; set; } = TargetNormalization.ZScore;

    [Description("With zscore: a fixed mean instead of the labelled set's (the NAS-Bench-101 code uses 0.908192301 on accuracies in [0, 1]).")]
    public double? ZScoreMean { get; set; }

    [Range(1e-12, double.MaxValue), Description("With zscore: a fixed standard deviation instead of the labelled set's (the NAS-Bench-101 code uses 0.023961).")]
    public double? ZScoreStd { get; set; }

    [Description("The NAS-Bench-101 code's quirk: initial random samples worse than this objective value are evaluated (and count against the budget) but left out of the labelled set, and sampling goes on until N are kept (the code uses 0.90 validation accuracy). Off when absent.")]
    public double? DiscardInitialWorseThan { get; set; }

    [Description("Predictor output: none (linear) or sigmoid.")]
    public PredictorActivation OutputActivation { get; set; } = PredictorActivation.None;

    [Range(1e-6, 1e6), Description("η0: the generator's first step size; later steps are 2η0, 3η0, ...")]
    public double StepSize { get; set; } = 1.0;

    [Range(1e-6, 1e9), Description("Largest step size before the generator gives up on an iteration.")]
    public double MaxStepSize { get; set; } = 100;

    [Description("Which seeds the generator starts from: best (the paper) or lowest (the ImageNet/TTS scripts' ascending sort).")]
    public SeedSelection SeedSelection { get; set; } = SeedSelection.Best;

    [Description("Seeds from all (labelled and pseudo-labelled, the paper) or labelled only.")]
    public SeedSource SeedSource { get; set; } = SeedSource.All;

    [Description("firstFound (the official code) or bestPredicted: gather a larger pool of candidates and evaluate those the predictor rates best.")]
    public CandidateSelection CandidateSelection { get; set; } = CandidateSelection.FirstFound;

    [Range(1, 1_000_000), Description("With bestPredicted: how many generated candidates to gather before ranking them.")]
    public int CandidatePool { get; set; } = 1000;

    [Description("With bestPredicted: add every one-token change of each seed to the pool (a local search the predictor guides).")]
    public bool MutationNeighbours { get; set; }
}

/// <summary>Options of the <c>nao</c> strategy: those of SemiNAS with no pseudo-labels.</summary>
public sealed class NaoOptions : SemiNasOptions
{
    public NaoOptions() => PseudoLabeled = 0;
}

/// <summary>
/// SemiNAS (Luo et al. 2020): NAO's encoder–predictor–decoder trained on the evaluated architectures and on many
/// pseudo-labelled ones, then gradient steps in its embedding space to generate better architectures.
/// With <see cref="SemiNasOptions.PseudoLabeled"/> = 0 it is NAO.
/// </summary>
/// <remarks>
/// Deliberate differences from the official code, each because our host knows more than its benchmark loop:
/// duplicates are found by canonical key rather than raw token sequence (isomorphic cells are one architecture);
/// generated candidates must satisfy the constraints on cheap metrics; when the generator cannot fill an iteration
/// before the largest step size, the rest is filled with random admissible architectures instead of ending the
/// search; targets are normalised with the statistics of the current labelled set.
/// </remarks>
public sealed class SemiNasStrategy : ISearchStrategy, IDisposable
{
    // Version 2 added the iteration count and the predictions for the batch whose results are awaited (for the
    // diagnostics); version 1 states, saved before, are still read.
    private const int StateVersion = 2;
    private const int OldestStateVersion = 1;

    private readonly StrategyContext _context;
    private readonly SemiNasOptions _options;
    private readonly SeededRandom _random;
    private readonly Queue<Architecture> _queue = new();
    private int _initialProposed;
    private EpdModel? _model;
    private IReadOnlyList<IReadOnlyCollection<int>>? _allowedTokens;
    // Iterations run so far; -1 after restoring a version 1 state, which did not count them (see NextIteration).
    private int _iteration;
    // What the predictor expected of the last generated batch, by canonical key: compared with the batch's results at
    // the next iteration, when they are known.
    private PendingBatch? _pending;

    private sealed record PendingBatch(int Iteration, IReadOnlyList<(string Key, float Predicted)> Predictions);

    /// <summary>What the η-steps of one iteration did, for the diagnostics.</summary>
    private sealed class GeneratorTally
    {
        public int Steps;
        public double EtaReached;
        public int Decoded;
        public int New;
        public readonly Dictionary<Architecture, double> EtaOf = [];
    }

    public SemiNasStrategy(SemiNasOptions options, StrategyContext context)
    {
        _options = options;
        _context = context;
        _random = new SeededRandom(context.Seed);
    }

    /// <summary>How many initial random samples were proposed (more than N when some were discarded).</summary>
    internal int InitialProposed => _initialProposed;

    /// <summary>Trains the controller on a thread of its own (minutes on a CPU), so the host stays responsive meanwhile.</summary>
    public Task<IReadOnlyList<Architecture>> ProposeAsync(int maxCount, SearchHistory history, CancellationToken cancellationToken = default) =>
        Task.Run(() => Propose(maxCount, history, cancellationToken), cancellationToken);

    private IReadOnlyList<Architecture> Propose(int maxCount, SearchHistory history, CancellationToken cancellationToken)
    {
        var batch = new List<Architecture>(maxCount);
        var filter = new ProposalFilter(_context, history);
        Drain(batch, filter, maxCount);
        if (batch.Count > 0) return batch;

        var wanted = _options.DiscardInitialWorseThan is null
            ? _options.InitialSamples - _initialProposed
            : _options.InitialSamples - InitialTrials(history).Count(t => t.IsPending || (t.IsScored && !IsDiscarded(t)));
        if (wanted > 0)
        {
            batch.AddRange(SampleUnseen(Math.Min(maxCount, wanted), filter));
            _initialProposed += batch.Count;
            return batch;
        }

        // The controller learns from every result of the previous generation, so it waits for all of them.
        if (history.PendingCount > 0) return batch;
        RunIteration(history, cancellationToken);
        Drain(batch, filter, maxCount);
        return batch;
    }

    private void Drain(List<Architecture> batch, ProposalFilter filter, int maxCount)
    {
        while (batch.Count < maxCount && _queue.Count > 0)
        {
            var next = _queue.Dequeue();
            if (filter.TryAdmit(next)) batch.Add(next);
        }
    }

    private void RunIteration(SearchHistory history, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        ReportRankCorrelation(history);
        var iteration = NextIteration(history);
        var diagnostics = new Dictionary<string, double>(StringComparer.Ordinal);
        var discarded = InitialTrials(history).Where(t => t.IsScored && IsDiscarded(t)).ToHashSet();
        var labelled = history.Scored.Where(t => !discarded.Contains(t)).ToList();
        if (labelled.Count == 0)
        {
            // Nothing to learn from (every initial trial failed): keep exploring at random.
            var random = SampleUnseen(_options.NewPerIteration, new ProposalFilter(_context, history));
            foreach (var a in random) _queue.Enqueue(a);
            (_iteration, _pending) = (iteration, null);
            diagnostics["train.labelled"] = 0;
            (diagnostics["batch.size"], diagnostics["batch.random_fill"]) = (random.Count, random.Count);
            diagnostics["controller.seconds"] = clock.Elapsed.TotalSeconds;
            Report(iteration, diagnostics);
            return;
        }

        var model = _model ??= CreateModel(_options, _context.Space, _context.Seed);
        var labelledTokens = labelled.Select(t => t.Architecture.Tokens).ToList();
        var labelledTargets = Targets(_options, _context.Objective, labelled.Select(t => t.Objective!.Value).ToArray());
        Func<IReadOnlyList<IReadOnlyList<int>>>? sampleUnlabelled = _options.PseudoLabeled > 0
            ? () => SampleUnlabelled(_options.PseudoLabeled, history).Select(a => a.Tokens).ToList()
            : null;
        var predictor = new EpdPredictor(model, _options);
        var (unlabelled, pseudo) = predictor.Fit(labelledTokens, labelledTargets, sampleUnlabelled, _random, cancellationToken);

        var pool = labelledTokens.Select((tokens, i) => (Tokens: tokens, Target: labelledTargets[i])).ToList();
        pool.AddRange(unlabelled.Select((tokens, i) => (tokens, pseudo[i])));

        var seedPool = _options.SeedSource == SeedSource.All ? pool : pool.Take(labelledTokens.Count).ToList();
        var ordered = _options.SeedSelection == SeedSelection.Best ? seedPool.OrderByDescending(p => p.Target) : seedPool.OrderBy(p => p.Target);
        var seeds = ordered.Take(_options.Seeds).Select(p => p.Tokens).ToList();
        // One filter for the iteration: what the generator takes, the random fill-up does not take again.
        var filter = new ProposalFilter(_context, history);
        var tally = new GeneratorTally();
        var generated = _options.CandidateSelection == CandidateSelection.FirstFound
            ? FirstFound(model, seeds, filter, tally)
            : BestPredicted(model, seeds, filter, tally);
        var fromGenerator = generated.Count;
        if (generated.Count < _options.NewPerIteration)
            generated.AddRange(SampleUnseen(_options.NewPerIteration - generated.Count, filter));
        foreach (var a in generated) _queue.Enqueue(a);

        // Only for the diagnostics: the predictor's view of the batch (eval mode, no randomness drawn, so the
        // proposals are the same with or without anyone listening), scored against the results next iteration.
        var predicted = generated.Count > 0 ? model.Predict(generated.Select(a => a.Tokens).ToList()) : [];
        _pending = new PendingBatch(iteration, generated.Select((a, i) => (_context.Space.CanonicalKey(a), predicted[i])).ToList());
        _iteration = iteration;

        diagnostics["train.labelled"] = labelled.Count;
        diagnostics["train.pseudo_labelled"] = unlabelled.Count;
        if (predictor.PretrainLoss is { } pretrain) diagnostics["loss.pretrain_mse"] = pretrain.Mse;
        if (predictor.FinalLoss is { } final)
            (diagnostics["loss.final"], diagnostics["loss.final_mse"], diagnostics["loss.final_nll"]) = (final.Loss, final.Mse, final.Nll);
        diagnostics["generator.seeds"] = seeds.Count;
        diagnostics["generator.steps"] = tally.Steps;
        diagnostics["generator.eta_reached"] = tally.EtaReached;
        diagnostics["generator.decoded"] = tally.Decoded;
        diagnostics["generator.new"] = tally.New;
        var etas = generated.Where(tally.EtaOf.ContainsKey).Select(a => tally.EtaOf[a]).ToList();
        diagnostics["batch.size"] = generated.Count;
        diagnostics["batch.from_steps"] = etas.Count;
        diagnostics["batch.neighbours"] = fromGenerator - etas.Count;
        diagnostics["batch.random_fill"] = generated.Count - fromGenerator;
        if (etas.Count > 0) (diagnostics["batch.eta_mean"], diagnostics["batch.eta_max"]) = (etas.Average(), etas.Max());
        diagnostics["controller.seconds"] = clock.Elapsed.TotalSeconds;
        Report(iteration, diagnostics);
    }

    /// <summary>
    /// The iteration about to run. A version 1 state did not count iterations: each one proposed
    /// <see cref="SemiNasOptions.NewPerIteration"/> architectures after the initial ones (fewer only when a
    /// duplicate was dropped), so the count is recovered from the history.
    /// </summary>
    private int NextIteration(SearchHistory history) => 1 + (_iteration >= 0
        ? _iteration
        : (int)Math.Ceiling(Math.Max(0, history.Trials.Count - _initialProposed) / (double)_options.NewPerIteration));

    /// <summary>
    /// The predictor's rank correlation on the batch it generated last, now that every result is in (an iteration starts
    /// only then), reported for the iteration that generated it. Trials that failed or broke a constraint have no
    /// score and are left out; <c>rank.scored</c> says how many were compared.
    /// </summary>
    private void ReportRankCorrelation(SearchHistory history)
    {
        if (_pending is not { } pending) return;
        _pending = null;
        var sign = _context.Objective.Goal == MetricGoal.Maximize ? 1.0 : -1.0;
        var predicted = new List<double>();
        var actual = new List<double>();
        foreach (var (key, prediction) in pending.Predictions)
        {
            if (history.Find(key) is not { IsScored: true } trial) continue;
            predicted.Add(prediction);
            actual.Add(sign * trial.Objective!.Value);
        }
        var values = new Dictionary<string, double>(StringComparer.Ordinal) { ["rank.scored"] = predicted.Count };
        if (predicted.Count >= 2)
        {
            values["rank.kendall_tau"] = RankCorrelation.KendallTau(predicted, actual);
            values["rank.spearman"] = RankCorrelation.Spearman(predicted, actual);
        }
        Report(pending.Iteration, values);
    }

    // NaN (a correlation of constant values, a loss with no epoch) means "no value": it is left out rather than stored.
    private void Report(int iteration, Dictionary<string, double> values)
    {
        if (_context.ReportDiagnostics is not { } report) return;
        report(new StrategyDiagnostics(iteration, values.Where(v => double.IsFinite(v.Value)).ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal)));
    }

    // The official generator: the first new candidates in seed order, from the smallest step up. The filter may also
    // have admitted the rest of the last step; that matters to nobody, since the iteration is then full.
    private List<Architecture> FirstFound(EpdModel model, List<IReadOnlyList<int>> seeds, ProposalFilter filter, GeneratorTally tally)
    {
        var generated = new List<Architecture>();
        foreach (var step in Steps(model, seeds, filter, tally))
        {
            generated.AddRange(step.Take(_options.NewPerIteration - generated.Count));
            if (generated.Count == _options.NewPerIteration) break;
        }
        return generated;
    }

    // A pool of new candidates from whole steps (and one-token neighbours of the seeds), best predicted first. The
    // filter admits the whole pool; the fill-up that follows only runs when all of it was chosen.
    private List<Architecture> BestPredicted(EpdModel model, List<IReadOnlyList<int>> seeds, ProposalFilter filter, GeneratorTally tally)
    {
        var pool = new List<Architecture>();
        foreach (var step in Steps(model, seeds, filter, tally))
        {
            pool.AddRange(step);
            if (pool.Count >= _options.CandidatePool) break;
        }
        if (_options.MutationNeighbours)
        {
            foreach (var seed in seeds)
                for (var position = 0; position < seed.Count; position++)
                    foreach (var token in _context.Space.AllowedTokens[position])
                    {
                        if (token == seed[position]) continue;
                        var tokens = seed.ToArray();
                        tokens[position] = token;
                        var neighbour = new Architecture(tokens);
                        if (filter.TryAdmit(neighbour)) pool.Add(neighbour);
                    }
        }
        if (pool.Count == 0) return [];
        var predicted = model.Predict(pool.Select(a => a.Tokens).ToList());
        return pool.Select((a, i) => (Architecture: a, Score: predicted[i])).OrderByDescending(c => c.Score)
            .Take(_options.NewPerIteration).Select(c => c.Architecture).ToList();
    }

    /// <summary>
    /// The η-steps of the generator: gradient steps of size η0, 2η0, ... from the seeds' embeddings, up to the largest
    /// step size; each step gives the candidates the filter admits, in seed order. Taken lazily, so a caller that has
    /// enough stops the steps. <paramref name="tally"/> counts what they did.
    /// </summary>
    private IEnumerable<List<Architecture>> Steps(EpdModel model, List<IReadOnlyList<int>> seeds, ProposalFilter filter, GeneratorTally tally)
    {
        for (var step = 1; _options.StepSize * step <= _options.MaxStepSize; step++)
        {
            var eta = _options.StepSize * step;
            var decoded = model.Generate(seeds, eta, AllowedTokens);
            var admitted = decoded.Select(tokens => new Architecture(tokens)).Where(filter.TryAdmit).ToList();
            (tally.Steps, tally.EtaReached, tally.Decoded, tally.New) = (step, eta, tally.Decoded + decoded.Length, tally.New + admitted.Count);
            foreach (var a in admitted) tally.EtaOf[a] = eta;
            yield return admitted;
        }
    }

    // The initial random samples are the first proposals, and the history keeps proposal order.
    private IEnumerable<TrialView> InitialTrials(SearchHistory history) => history.Trials.Take(_initialProposed);

    private bool IsDiscarded(TrialView t) =>
        _options.DiscardInitialWorseThan is { } threshold && _context.Objective.IsBetter(threshold, t.Objective!.Value);

    private IReadOnlyList<IReadOnlyCollection<int>> AllowedTokens =>
        _allowedTokens ??= _context.Space.AllowedTokens.Select(t => (IReadOnlyCollection<int>)t.ToList()).ToList();

    /// <summary>The predictor's targets: objective values turned so that higher is better, then normalised.</summary>
    internal static float[] Targets(SemiNasOptions options, Objective objective, double[] values)
    {
        var sign = objective.Goal == MetricGoal.Maximize ? 1.0 : -1.0;
        var raw = values.Select(v => sign * v).ToArray();
        if (options.Normalization == TargetNormalization.MinMax)
        {
            double min = raw.Min(), max = raw.Max();
            var range = max - min;
            return raw.Select(v => (float)(range > 0 ? (v - min) / range : 0.5)).ToArray();
        }
        var mean = options.ZScoreMean is { } fixedMean ? sign * fixedMean : raw.Average();
        var std = options.ZScoreStd ?? Math.Sqrt(raw.Select(v => (v - mean) * (v - mean)).Average());
        return raw.Select(v => (float)(std > 0 ? (v - mean) / std : 0)).ToArray();
    }

    internal static EpdModel CreateModel(SemiNasOptions options, ISearchSpace space, int seed) => new(
        new EpdSettings(space.VocabularySize, space.Length, options.Hidden, options.MlpLayers, options.MlpHidden)
        {
            Dropout = options.Dropout,
            Lambda = options.Lambda,
            OutputActivation = options.OutputActivation,
        },
        seed: seed);

    private List<Architecture> SampleUnseen(int count, ProposalFilter filter) =>
        SpaceSampling.Draw(_context.Space, _random, count, filter.TryAdmit);

    // The pool to pseudo-label: from the whole space, evaluable or not, since only the predictor labels it.
    private List<Architecture> SampleUnlabelled(int count, SearchHistory history) =>
        SpaceSampling.DrawUnlabelled(_context.Space, _random, count, ProposalFilter.ForUnlabelled(_context, history).TryAdmit);

    // nao and seminas are this one class; the header tells their states apart.
    private string Name => _options is NaoOptions ? "nao" : "seminas";

    public byte[] SaveState() => StrategyState.Write(Name, StateVersion, writer =>
    {
        writer.Write(_random.SaveState());
        writer.Write(_initialProposed);
        writer.Write(_queue.Count);
        foreach (var a in _queue) writer.Write(a.ToString());
        var hasModel = _model is not null;
        writer.Write(hasModel);
        if (hasModel)
        {
            WriteBlob(writer, _model!.SaveWeights());
            WriteBlob(writer, _model.SaveRandomState());
        }
        // Version 2: after the body of version 1.
        writer.Write(_iteration);
        writer.Write(_pending is not null);
        if (_pending is null) return;
        writer.Write(_pending.Iteration);
        writer.Write(_pending.Predictions.Count);
        foreach (var (key, predicted) in _pending.Predictions)
        {
            writer.Write(key);
            writer.Write(predicted);
        }
    });

    public void RestoreState(ReadOnlySpan<byte> state) =>
        StrategyState.Read(state, Name, OldestStateVersion, StateVersion, ReadBody, ReadLegacy);

    // Before the header, the state was the body of version 1 behind its own version number 1.
    private void ReadLegacy(BinaryReader reader)
    {
        var version = reader.ReadInt32();
        if (version != 1) throw new InvalidDataException($"SemiNAS state version {version} is not 1.");
        ReadBody(reader, 1);
    }

    private void ReadBody(BinaryReader reader, int version)
    {
        _random.Restore(reader.ReadBytes(SeededRandom.StateSize));
        _initialProposed = reader.ReadInt32();
        _queue.Clear();
        for (var i = reader.ReadInt32(); i > 0; i--) _queue.Enqueue(Architecture.Parse(reader.ReadString()));
        if (reader.ReadBoolean())
        {
            var model = _model ??= CreateModel(_options, _context.Space, _context.Seed);
            model.LoadWeights(ReadBlob(reader));
            model.RestoreRandomState(ReadBlob(reader));
        }
        (_iteration, _pending) = (-1, null);
        if (version < 2) return;
        _iteration = reader.ReadInt32();
        if (!reader.ReadBoolean()) return;
        var iteration = reader.ReadInt32();
        var count = reader.ReadInt32();
        if (count < 0) throw new InvalidDataException($"a batch of {count} predictions");
        var predictions = new (string, float)[count];
        for (var i = 0; i < predictions.Length; i++) predictions[i] = (reader.ReadString(), reader.ReadSingle());
        _pending = new PendingBatch(iteration, predictions);
    }

    public void Dispose() => _model?.Dispose();

    private static void WriteBlob(BinaryWriter writer, byte[] blob)
    {
        writer.Write(blob.Length);
        writer.Write(blob);
    }

    private static byte[] ReadBlob(BinaryReader reader) => reader.ReadBytes(reader.ReadInt32());

    /// <summary>The semi-supervised controller.</summary>
    public sealed class Factory : IStrategyFactory
    {
        public string Name => "seminas";

        public string Description => "SemiNAS: NAO's encoder-predictor-decoder trained on evaluated and pseudo-labelled architectures.";

        public Type OptionsType => typeof(SemiNasOptions);

        public ISearchStrategy Create(object options, StrategyContext context) => new SemiNasStrategy((SemiNasOptions)options, context);
    }

    /// <summary>The same controller without pseudo-labels (M = 0 unless set).</summary>
    public sealed class NaoFactory : IStrategyFactory
    {
        public string Name => "nao";

        public string Description => "NAO: the SemiNAS controller trained on evaluated architectures only (pseudoLabeled 0).";

        public Type OptionsType => typeof(NaoOptions);

        public ISearchStrategy Create(object options, StrategyContext context) => new SemiNasStrategy((NaoOptions)options, context);
    }
}
