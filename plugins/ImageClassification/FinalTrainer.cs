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
/// on the validation split. Checkpoints go to the output folder, so a killed training resumes.
/// </summary>
internal sealed class FinalTrainer(ImageClassificationOptions options, Func<int, ImageData> data, string fingerprint)
{
    public const string ModelFile = "model.bin";
    public const string SummaryFile = "model.json";

    private FinalTrainingOptions Final => options.Final;

    public ChainSpec Chain => ChainSpec.From(options.Space, Final.WidthMultiplier,
        Final.Resolution > 0 ? Final.Resolution : options.Space.Resolution, Final.Dropout);

    public IReadOnlyDictionary<string, double> Train(Architecture architecture, TrainingContext context, CancellationToken cancellationToken)
    {
        var chain = Chain;
        var images = data(chain.Resolution);
        var device = torch.device(context.Device);
        Directory.CreateDirectory(context.OutputDirectory);
        torch.manual_seed(context.Seed);
        using var network = new ChainNetwork(chain, architecture);
        network.to(device);
        var sampler = new BatchSampler(images.FullTrain.Count, Final.Optimizer.BatchSize, context.Seed);
        var steps = Final.Epochs * sampler.StepsPerEpoch;
        using var trainer = new SgdTrainer(network, Final.Optimizer, steps);
        using var augmentation = new Augmentation(options.Dataset, chain.Resolution, device);
        var folder = Path.Combine(context.OutputDirectory, "checkpoints");
        var key = fingerprint + "|final|" + architecture;
        if (Checkpoint.Load<FinalState>(folder, key, network, trainer) is { } resumed) trainer.Step = resumed.Step;

        network.train();
        var loss = TrainingLoop.Run(trainer, images.FullTrain, augmentation, sampler, steps, _ => network.forward, Final.CheckpointEvery,
            () => Checkpoint.Save(folder, key, new FinalState(trainer.Step), trainer.Step, network, trainer),
            report => context.Progress?.Report(new EvaluationProgress(
                0.95 * report.Step / steps,
                string.Create(CultureInfo.InvariantCulture,
                    $"epoch {(report.Step - 1) / sampler.StepsPerEpoch + 1}/{Final.Epochs}, step {report.Step}/{steps}, loss {report.Loss:F3}, lr {report.LearningRate:G3}, {report.ImagesPerSecond:F0} img/s"),
                new Dictionary<string, double> { ["train_loss"] = report.Loss, ["images_per_second"] = report.ImagesPerSecond })),
            cancellationToken);

        network.save(Path.Combine(context.OutputDirectory, ModelFile));
        network.eval();
        var score = Scoring.Evaluate(network.forward, images.Valid, augmentation, Final.Optimizer.BatchSize, cancellationToken: cancellationToken);
        var cost = CostModel.Of(chain, architecture);
        var metrics = Metrics(score, cost);
        if (!double.IsNaN(loss)) metrics["train_loss"] = loss;
        File.WriteAllText(Path.Combine(context.OutputDirectory, SummaryFile), JsonSerializer.Serialize(new
        {
            architecture = architecture.ToString(),
            chain = new { chain.Resolution, chain.Classes, chain.Stem, chain.FirstBlock, Stages = chain.Stages.Select(s => new { s.Width, s.Layers, s.Stride }), chain.Head, chain.Dropout },
            epochs = Final.Epochs,
            steps,
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
        using var augmentation = new Augmentation(options.Dataset, chain.Resolution, device);
        var score = Scoring.Evaluate(network.forward, images.Valid, augmentation, Final.Optimizer.BatchSize, cancellationToken: cancellationToken);
        return Metrics(score, CostModel.Of(chain, architecture));
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
