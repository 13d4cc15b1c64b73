using System.Globalization;
using SemiNas.Contracts;
using SemiNas.ImageClassification.Data;
using SemiNas.ImageClassification.Model;
using SemiNas.ImageClassification.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification;

/// <summary>
/// Standalone scoring: the candidate is built at the search widths, trained from scratch for a short schedule and
/// scored on the held-out images. Each evaluation is independent (its own model, optimiser and batches), so several
/// can run at once; each checkpoints in its trial folder and resumes from there.
/// </summary>
internal sealed class StandaloneEvaluator(ImageClassificationOptions options, ChainSpec chain, Func<ImageData> data, string fingerprint)
{
    public IReadOnlyDictionary<string, double> Evaluate(Architecture architecture, EvaluationContext context, CancellationToken cancellationToken)
    {
        var settings = options.Evaluation.Standalone;
        var images = data();
        var device = torch.device(context.Device);
        torch.manual_seed(context.Seed);
        using var network = new ChainNetwork(chain, architecture);
        network.to(device);
        using var trainer = new SgdTrainer(network, settings.Optimizer, settings.Steps);
        using var augmentation = new Augmentation(options.Dataset, chain.Resolution, device, chain.InChannels);
        var sampler = new BatchSampler(images.Train.Count, settings.Optimizer.BatchSize, context.Seed);
        var folder = Path.Combine(context.WorkingDirectory, "standalone");
        var key = fingerprint + "|" + architecture;
        if (Checkpoint.Load<StandaloneState>(folder, key, network, trainer) is { } resumed)
        {
            trainer.Step = resumed.Step;
            context.Logger.LogResumed(architecture, resumed.Step);
        }

        var described = architecture.ToString();
        network.train();
        var meanLoss = TrainingLoop.Run(trainer, images.Train, augmentation, sampler, settings.Steps, _ => network.forward,
            settings.CheckpointEvery, () => Checkpoint.Save(folder, key, new StandaloneState(trainer.Step), trainer.Step, network, trainer),
            report => context.Progress?.Report(new EvaluationProgress(
                0.95 * report.Step / settings.Steps,
                string.Create(CultureInfo.InvariantCulture, $"{described}: step {report.Step}/{settings.Steps}, loss {report.Loss:F3}, {report.ImagesPerSecond:F0} img/s"),
                new Dictionary<string, double> { ["train_loss"] = report.Loss, ["images_per_second"] = report.ImagesPerSecond })
            { Step = (int)report.Step }),
            cancellationToken, options.Dataset.Prefetch);

        network.eval();
        var score = Scoring.Evaluate(network.forward, images.HeldOut, augmentation, settings.Optimizer.BatchSize,
            options.Evaluation.ScoreImages, cancellationToken);
        var result = new Dictionary<string, double>
        {
            ["valid_accuracy"] = score.Top1,
            ["valid_top5"] = score.Top5,
            ["valid_loss"] = score.Loss,
        };
        if (!double.IsNaN(meanLoss)) result["train_loss"] = meanLoss;
        return result;
    }

    private sealed record StandaloneState(long Step);
}
