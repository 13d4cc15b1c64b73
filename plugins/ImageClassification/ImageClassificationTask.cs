using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SemiNas.Contracts;
using SemiNas.ImageClassification.Data;

namespace SemiNas.ImageClassification;

/// <summary>
/// The image-classification search task: the chain space, exact cheap metrics, and candidates scored on real images by
/// the supernet or by standalone training; it also trains and scores the final network (<see cref="ITrainableTask"/>).
/// Data sets are opened on first use, so that creating the task (e.g. to validate a configuration) stays cheap.
/// </summary>
public sealed class ImageClassificationTask : ISearchTask, ITrainableTask, IInProcessEvaluation
{
    private readonly ImageClassificationOptions _options;
    private readonly ChainSearchSpace _space;
    private readonly string _configDirectory;
    private readonly Lock _dataGate = new();
    private readonly Dictionary<int, ImageData> _data = [];
    private readonly SupernetEvaluator? _supernet;
    private readonly StandaloneEvaluator? _standalone;
    private readonly FinalTrainer _final;

    public ImageClassificationTask(ImageClassificationOptions options, TaskCreationContext context)
    {
        _options = options;
        _configDirectory = context.ConfigDirectory;
        var chain = ChainSpec.From(options.Space, inChannels: options.Dataset.Channels);
        _space = new ChainSearchSpace(chain, positionalKeys: options.Evaluation.Mode == EvaluationMode.Supernet);
        var fingerprint = Fingerprint(options, context.Seed);
        if (options.Evaluation.Mode == EvaluationMode.Supernet)
            _supernet = new SupernetEvaluator(options, _space, () => Data(chain.Resolution), fingerprint, context.Seed);
        else
            _standalone = new StandaloneEvaluator(options, chain, () => Data(chain.Resolution), fingerprint);
        _final = new FinalTrainer(options, Data, fingerprint);
    }

    public ISearchSpace Space => _space;

    public ChainSpec Chain => _space.Chain;

    public Objective Objective { get; } = new("valid_accuracy", MetricGoal.Maximize);

    public IReadOnlyList<MetricInfo> Metrics { get; } =
    [
        new("flops", "Multiply-adds of one image's forward pass at the search widths and resolution (convolutions and the classifier)", Cheap: true),
        new("params", "Parameters (convolutions, batch-norm, classifier)", Cheap: true),
        new("valid_accuracy", "Top-1 accuracy on the held-out images, %"),
        new("valid_top5", "Top-5 accuracy on the held-out images, %"),
        new("valid_loss", "Cross-entropy on the held-out images"),
        new("train_loss", "Standalone mode: mean training loss of the candidate"),
        new("supernet_loss", "Supernet mode: the supernet's latest training loss"),
        new("supernet_round", "Supernet mode: the training round whose weights scored the candidate"),
        new("supernet_step", "Supernet mode: the supernet's training steps so far"),
    ];

    /// <summary>The supernet's mean loss per training call, for tests and reports (empty in standalone mode).</summary>
    internal IReadOnlyList<(int Round, long Step, double Loss)> SupernetLosses => _supernet?.LossHistory ?? [];

    /// <summary>The architectures each supernet round trained on, in order (empty in standalone mode).</summary>
    internal IReadOnlyList<IReadOnlyList<string>> SupernetPools => _supernet?.RoundPools ?? [];

    public IReadOnlyDictionary<string, double> CheapMetrics(Architecture architecture)
    {
        var cost = CostModel.Of(_space.Chain, architecture);
        return new Dictionary<string, double> { ["flops"] = cost.MultiplyAdds, ["params"] = cost.Parameters };
    }

    public Task<IReadOnlyDictionary<string, double>> EvaluateAsync(Architecture architecture, EvaluationContext context,
        CancellationToken cancellationToken)
    {
        EnsureValid(architecture);
        if (_supernet is not null) return _supernet.EvaluateAsync(architecture, context, cancellationToken);
        return Task.Run(() => _standalone!.Evaluate(architecture, context, cancellationToken), cancellationToken);
    }

    public Task<IReadOnlyDictionary<string, double>> TrainAsync(Architecture architecture, TrainingContext context,
        CancellationToken cancellationToken)
    {
        EnsureValid(architecture);
        return Task.Run(() => _final.Train(architecture, context, cancellationToken), cancellationToken);
    }

    public Task<IReadOnlyDictionary<string, double>> EvaluateTrainedAsync(Architecture architecture, TrainingContext context,
        CancellationToken cancellationToken)
    {
        EnsureValid(architecture);
        return Task.Run(() => _final.Evaluate(architecture, context, cancellationToken), cancellationToken);
    }

    private void EnsureValid(Architecture architecture)
    {
        if (!_space.IsValid(architecture, out var reason))
            throw new ArgumentException($"Invalid architecture {architecture}: {reason}.", nameof(architecture));
    }

    private ImageData Data(int resolution)
    {
        // The folder data set's evaluation view depends on the resolution; the in-memory ones do not.
        var key = _options.Dataset.Kind == DatasetKind.Folder ? resolution : 0;
        lock (_dataGate)
        {
            if (!_data.TryGetValue(key, out var data))
            {
                var space = _options.Space;
                var atResolution = new SpaceOptions { Resolution = resolution, Classes = space.Classes };
                _data[key] = data = DatasetLoader.Load(_options.Dataset, atResolution, _configDirectory);
            }
            return data;
        }
    }

    /// <summary>Everything that decides the weights a checkpoint holds: a checkpoint with another fingerprint is ignored.</summary>
    private static string Fingerprint(ImageClassificationOptions options, int seed)
    {
        var json = JsonSerializer.Serialize(new { options.Space, options.Dataset, options.Evaluation, options.Final, seed });
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..16];
    }

    // The candidates of a supernet round meet in this process's memory (SupernetEvaluator): in separate worker processes
    // each would train a supernet of its own on one shared checkpoint. Standalone training may run anywhere.
    bool IInProcessEvaluation.Preferred => _supernet is not null;

    bool IInProcessEvaluation.Required => _supernet is not null;

    string IInProcessEvaluation.Reason => _supernet is not null ? "a supernet round's candidates share one model in memory" : "";

    public void Dispose()
    {
        _supernet?.Dispose();
        lock (_dataGate)
        {
            foreach (var data in _data.Values) data.Dispose();
            _data.Clear();
        }
    }
}
