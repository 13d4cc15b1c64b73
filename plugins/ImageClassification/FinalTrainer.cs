using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SemiNas.Contracts;
using SemiNas.ImageClassification.Data;
using SemiNas.ImageClassification.Model;
using SemiNas.ImageClassification.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification;

/// <summary>
/// The final recipe (seminas-method.md §6.3): the chosen architecture at the final widths and resolution, trained on
/// every training image (held-out ones included) for <c>final.epochs</c> with per-step cosine, then scored top-1/top-5
/// on the validation split. Checkpoints go to the output folder, so a killed training resumes. Progress goes out every
/// <c>final.progressSeconds</c> and after each epoch (a summary: mean loss and accuracy on the epoch's training batches),
/// never once per step, each value once.
/// </summary>
internal sealed class FinalTrainer(ImageClassificationOptions options, Func<int, ImageData> data, string fingerprint)
{
    public const string ModelFile = "model.bin";
    public const string SummaryFile = "model.json";

    private FinalTrainingOptions Final => options.Final;

    public ChainSpec Chain => ChainSpec.From(options.Space, Final.WidthMultiplier,
        Final.Resolution > 0 ? Final.Resolution : options.Space.Resolution, Final.Dropout, options.Dataset.Channels);

    /// <summary>The seed of a final training: the host's (experiment seed and trial), moved by final.seed.</summary>
    private int SeedOf(TrainingContext context) => Final.Seed == 0 ? context.Seed : unchecked(context.Seed * 31 + Final.Seed);

    public IReadOnlyDictionary<string, double> Train(Architecture architecture, TrainingContext context, CancellationToken cancellationToken)
    {
        var chain = Chain;
        var images = data(chain.Resolution);
        var device = torch.device(context.Device);
        Directory.CreateDirectory(context.OutputDirectory);
        var seed = SeedOf(context);
        torch.manual_seed(seed);
        using var network = new ChainNetwork(chain, architecture);
        network.to(device);
        var sampler = new BatchSampler(images.FullTrain.Count, Final.Optimizer.BatchSize, seed);
        var steps = Final.Epochs * sampler.StepsPerEpoch;
        using var trainer = new SgdTrainer(network, Final.Optimizer, steps);
        using var augmentation = new Augmentation(options.Dataset, chain.Resolution, device, chain.InChannels);
        var folder = Path.Combine(context.OutputDirectory, "checkpoints");
        var key = fingerprint + "|final|" + architecture;
        if (Checkpoint.Load<FinalState>(folder, key, network, trainer) is { } resumed) trainer.Step = resumed.Step;

        var clock = Stopwatch.StartNew();
        var progress = new EpochProgress(context.Progress, sampler.StepsPerEpoch, steps, Final.Epochs, TimeSpan.FromSeconds(Final.ProgressSeconds));
        network.train();
        var loss = TrainingLoop.Run(trainer, images.FullTrain, augmentation, sampler, steps, _ => network.forward, Final.CheckpointEvery,
            () => Checkpoint.Save(folder, key, new FinalState(trainer.Step), trainer.Step, network, trainer),
            progress.Add, cancellationToken, options.Dataset.Prefetch);
        var trainSeconds = clock.Elapsed.TotalSeconds;

        network.save(Path.Combine(context.OutputDirectory, ModelFile));
        network.eval();
        var score = Score(network, images.Valid, augmentation, context, cancellationToken);
        var cost = CostModel.Of(chain, architecture);
        var metrics = Metrics(score, cost);
        if (!double.IsNaN(loss)) metrics["train_loss"] = loss;
        metrics["train_seconds"] = Math.Round(trainSeconds, 1);
        File.WriteAllText(Path.Combine(context.OutputDirectory, SummaryFile), JsonSerializer.Serialize(new
        {
            architecture = architecture.ToString(),
            chain = new { chain.Resolution, chain.Classes, chain.Stem, chain.FirstBlock, Stages = chain.Stages.Select(s => new { s.Width, s.Layers, s.Stride }), chain.Head, chain.Dropout },
            epochs = Final.Epochs,
            steps,
            seed,
            metrics,
        }, new JsonSerializerOptions { WriteIndented = true }));
        return metrics;
    }

    public IReadOnlyDictionary<string, double> Evaluate(Architecture architecture, TrainingContext context, CancellationToken cancellationToken)
    {
        var file = Path.Combine(context.OutputDirectory, ModelFile);
        if (!File.Exists(file))
            throw new FileNotFoundException($"{file}: no trained model; run seminas train first (with the same --output).");
        var chain = Chain;
        var images = data(chain.Resolution);
        var device = torch.device(context.Device);
        using var network = new ChainNetwork(chain, architecture);
        try
        {
            network.load(file);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            throw new InvalidDataException($"{file}: does not hold the weights of {architecture} at the final widths ({e.Message}).", e);
        }
        network.to(device);
        network.eval();
        using var augmentation = new Augmentation(options.Dataset, chain.Resolution, device, chain.InChannels);
        var score = Score(network, images.Valid, augmentation, context, cancellationToken);
        return Metrics(score, CostModel.Of(chain, architecture));
    }

    /// <summary>Top-1/top-5 on the validation (test) images, with a progress line every progressSeconds.</summary>
    private Score Score(ChainNetwork network, IImageSet images, Augmentation augmentation, TrainingContext context, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var last = TimeSpan.Zero;
        var every = TimeSpan.FromSeconds(Final.ProgressSeconds);
        return Scoring.Evaluate(network.forward, images, augmentation, Final.Optimizer.BatchSize, cancellationToken: cancellationToken,
            progress: (done, total) =>
            {
                if (done < total && clock.Elapsed - last < every) return;
                last = clock.Elapsed;
                context.Progress?.Report(new EvaluationProgress(0.95 + 0.05 * done / total,
                    string.Create(CultureInfo.InvariantCulture, $"scored {done:N0}/{total:N0} validation images")));
            });
    }

    /// <summary>
    /// Turns the per-step reports of the training loop into a line every <c>interval</c> and a summary after each
    /// epoch: mean loss and top-1 accuracy over the epoch's (augmented) training batches, learning rate, images/s.
    /// </summary>
    private sealed class EpochProgress(IProgress<EvaluationProgress>? sink, long stepsPerEpoch, long steps, int epochs, TimeSpan interval)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _lastLine;
        private TimeSpan _epochStart;
        private double _loss;
        private long _correct;
        private long _images;
        private int _count;

        public void Add(StepReport report)
        {
            if (sink is null) return;
            _loss += report.Loss;
            _correct += report.Correct;
            _images += report.Images;
            _count++;
            var epoch = (report.Step - 1) / stepsPerEpoch + 1;
            var now = _clock.Elapsed;
            if (report.Step % stepsPerEpoch == 0)
            {
                var seconds = (now - _epochStart).TotalSeconds;
                sink.Report(new EvaluationProgress(0.95 * report.Step / steps, string.Create(CultureInfo.InvariantCulture,
                    $"epoch {epoch}/{epochs} done: train loss {_loss / _count:F4}, train top-1 {100.0 * _correct / Math.Max(1, _images):F2} %, " +
                    $"lr {report.LearningRate:G3}, {_images / Math.Max(1e-9, seconds):F0} img/s, {seconds:F0} s"),
                    new Dictionary<string, double>
                    {
                        ["train_loss"] = _loss / _count,
                        ["train_top1"] = 100.0 * _correct / Math.Max(1, _images),
                        ["learning_rate"] = report.LearningRate,
                        ["images_per_second"] = _images / Math.Max(1e-9, seconds),
                    })
                { Step = (int)report.Step });
                (_loss, _correct, _images, _count) = (0, 0, 0, 0);
                _epochStart = now;
                _lastLine = now;
            }
            else if (now - _lastLine >= interval)
            {
                sink.Report(new EvaluationProgress(0.95 * report.Step / steps, string.Create(CultureInfo.InvariantCulture,
                    $"epoch {epoch}/{epochs}, step {report.Step}/{steps}: loss {_loss / _count:F4} (epoch so far), lr {report.LearningRate:G3}, {report.ImagesPerSecond:F0} img/s")));
                _lastLine = now;
            }
        }
    }

    private static Dictionary<string, double> Metrics(Score score, Cost cost) => new()
    {
        ["top1_accuracy"] = score.Top1,
        ["top5_accuracy"] = score.Top5,
        ["valid_loss"] = score.Loss,
        ["valid_images"] = score.Images,
        ["flops"] = cost.MultiplyAdds,
        ["params"] = cost.Parameters,
    };

    private sealed record FinalState(long Step);
}
