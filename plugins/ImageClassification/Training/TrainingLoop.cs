using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using SemiNas.ImageClassification.Data;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Training;

/// <summary>What a training loop reports after each step.</summary>
/// <param name="Correct">Images of the step's batch whose top-1 prediction was right.</param>
/// <param name="Images">Images in the step's batch.</param>
internal readonly record struct StepReport(long Step, double Loss, double ImagesPerSecond, double LearningRate, long Correct = 0, int Images = 0);

/// <summary>The loop shared by the supernet, standalone and final trainings: batch, augment, step, checkpoint.</summary>
internal static class TrainingLoop
{
    /// <param name="forwardAt">The function to train at a step, given the step's own random generator (the supernet
    /// picks its path from it).</param>
    /// <param name="checkpoint">Called every <paramref name="checkpointEvery"/> steps and at the end.</param>
    /// <param name="prefetch">Batches a background thread prepares ahead (0: none, each is prepared in the loop).</param>
    /// <returns>The mean loss of the steps run, NaN when none ran.</returns>
    public static double Run(SgdTrainer trainer, IImageSet set, Augmentation augmentation, BatchSampler sampler,
        long untilStep, Func<Random, Func<Tensor, Tensor>> forwardAt, int checkpointEvery, Action checkpoint,
        Action<StepReport>? report, CancellationToken cancellationToken, int prefetch = 0)
    {
        var throughput = new Throughput();
        double sum = 0;
        var steps = 0;
        using var batches = new BatchPipeline(set, augmentation, sampler, trainer.Step, untilStep, prefetch, cancellationToken);
        while (trainer.Step < untilStep)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var step = trainer.Step;
            var (inputs, labels) = batches.Next(step);
            double loss;
            var images = (int)labels.shape[0];
            try
            {
                loss = trainer.TrainStep(forwardAt(sampler.PathRandomFor(step)), inputs, labels);
            }
            finally
            {
                inputs.Dispose();
                labels.Dispose();
            }
            sum += loss;
            steps++;
            throughput.Add(images);
            report?.Invoke(new StepReport(trainer.Step, loss, throughput.ImagesPerSecond, trainer.RateAt(step), trainer.LastCorrect, images));
            if (trainer.Step % checkpointEvery == 0 || trainer.Step == untilStep) checkpoint();
        }
        return steps == 0 ? double.NaN : sum / steps;
    }

    /// <summary>The inputs and labels of training step <paramref name="step"/> (a pure function of the step).</summary>
    public static (Tensor Inputs, Tensor Labels) Prepare(IImageSet set, Augmentation augmentation, BatchSampler sampler, long step)
    {
        var indices = sampler.Batch(step);
        var inputs = augmentation.Train(set, indices, sampler.RandomFor(step));
        var labels = tensor(indices.Select(i => (long)set.Labels[i]).ToArray()).to(inputs.device);
        return (inputs, labels);
    }
}

/// <summary>
/// Prepares the batches of steps [from, until) in order: on a background thread that runs at most
/// <c>prefetch</c> batches ahead of the training step (bounded memory), or in the caller's thread when prefetch is 0.
/// Each batch depends only on its step, so prefetching changes nothing in what is trained.
/// </summary>
internal sealed class BatchPipeline : IDisposable
{
    private readonly IImageSet _set;
    private readonly Augmentation _augmentation;
    private readonly BatchSampler _sampler;
    private readonly BlockingCollection<(long Step, Tensor Inputs, Tensor Labels)>? _queue;
    private readonly CancellationTokenSource? _stop;
    private readonly Thread? _producer;
    private Exception? _failure;

    public BatchPipeline(IImageSet set, Augmentation augmentation, BatchSampler sampler, long from, long until, int prefetch,
        CancellationToken cancellationToken)
    {
        _set = set;
        _augmentation = augmentation;
        _sampler = sampler;
        if (prefetch <= 0 || until <= from) return;
        _queue = new BlockingCollection<(long, Tensor, Tensor)>(prefetch);
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = _stop.Token;
        _producer = new Thread(() =>
        {
            try
            {
                for (var step = from; step < until && !token.IsCancellationRequested; step++)
                {
                    var (inputs, labels) = TrainingLoop.Prepare(_set, _augmentation, _sampler, step);
                    try
                    {
                        _queue.Add((step, inputs, labels), token);
                    }
                    catch
                    {
                        inputs.Dispose();
                        labels.Dispose();
                        throw;
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                _failure = e;
            }
            finally
            {
                _queue.CompleteAdding();
            }
        }) { IsBackground = true, Name = "batch prefetch" };
        _producer.Start();
    }

    public (Tensor Inputs, Tensor Labels) Next(long step)
    {
        if (_queue is null) return TrainingLoop.Prepare(_set, _augmentation, _sampler, step);
        if (!_queue.TryTake(out var item, Timeout.Infinite, _stop!.Token))
        {
            if (_failure is not null) ExceptionDispatchInfo.Capture(_failure).Throw();
            throw new InvalidOperationException($"the batch pipeline ended before step {step}.");
        }
        if (item.Step != step)
            throw new InvalidOperationException($"the batch pipeline delivered step {item.Step} for step {step}.");
        return (item.Inputs, item.Labels);
    }

    public void Dispose()
    {
        if (_queue is null) return;
        _stop!.Cancel();
        _producer!.Join();
        while (_queue.TryTake(out var item))
        {
            item.Inputs.Dispose();
            item.Labels.Dispose();
        }
        _queue.Dispose();
        _stop.Dispose();
    }
}
