using SemiNas.ImageClassification.Data;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Training;

/// <summary>What a training loop reports after each step.</summary>
internal readonly record struct StepReport(long Step, double Loss, double ImagesPerSecond, double LearningRate);

/// <summary>The loop shared by the supernet, standalone and final trainings: batch, augment, step, checkpoint.</summary>
internal static class TrainingLoop
{
    /// <param name="forwardAt">The function to train at a step (the supernet picks its path from the step's random).</param>
    /// <param name="checkpoint">Called every <paramref name="checkpointEvery"/> steps and at the end.</param>
    /// <returns>The mean loss of the steps run, NaN when none ran.</returns>
    public static double Run(SgdTrainer trainer, IImageSet set, Augmentation augmentation, BatchSampler sampler,
        long untilStep, Func<Random, Func<Tensor, Tensor>> forwardAt, int checkpointEvery, Action checkpoint,
        Action<StepReport>? report, CancellationToken cancellationToken)
    {
        var throughput = new Throughput();
        double sum = 0;
        var steps = 0;
        while (trainer.Step < untilStep)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var step = trainer.Step;
            var random = sampler.RandomFor(step);
            var indices = sampler.Batch(step);
            double loss;
            using (var scope = NewDisposeScope())
            {
                var inputs = augmentation.Train(set.Load(indices), random);
                var labels = tensor(indices.Select(i => (long)set.Labels[i]).ToArray()).to(inputs.device);
                loss = trainer.TrainStep(forwardAt(random), inputs, labels);
            }
            sum += loss;
            steps++;
            throughput.Add(indices.Length);
            report?.Invoke(new StepReport(trainer.Step, loss, throughput.ImagesPerSecond, trainer.RateAt(step)));
            if (trainer.Step % checkpointEvery == 0 || trainer.Step == untilStep) checkpoint();
        }
        return steps == 0 ? double.NaN : sum / steps;
    }
}
