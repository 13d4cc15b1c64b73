using SemiNas.ImageClassification.Data;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Training;

/// <summary>Top-1, top-5 (percent) and the mean loss of a classifier on a set of images.</summary>
internal readonly record struct Score(double Top1, double Top5, double Loss, int Images);

internal static class Scoring
{
    /// <summary>Scores <paramref name="forward"/> (already in eval mode) on the first <paramref name="limit"/> images of the set.</summary>
    /// <param name="progress">Called after each batch with the images scored so far and the total.</param>
    public static Score Evaluate(Func<Tensor, Tensor> forward, IImageSet set, Augmentation augmentation, int batchSize,
        int limit = int.MaxValue, CancellationToken cancellationToken = default, Action<int, int>? progress = null)
    {
        using var noGrad = no_grad();
        var count = Math.Min(limit, set.Count);
        double top1 = 0, top5 = 0, loss = 0;
        for (var start = 0; start < count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var indices = Enumerable.Range(start, Math.Min(batchSize, count - start)).ToArray();
            var inputs = augmentation.Eval(set.Load(indices));
            var labels = tensor(indices.Select(i => (long)set.Labels[i]).ToArray()).to(inputs.device);
            var logits = forward(inputs);
            loss += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<float>();
            var k = (int)Math.Min(5, logits.shape[1]);
            var topk = logits.topk(k, dim: 1).indexes;
            var hits = topk.eq(labels.unsqueeze(1));
            top1 += hits.narrow(1, 0, 1).sum().item<long>();
            top5 += hits.any(1).sum().item<long>();
            progress?.Invoke(start + indices.Length, count);
        }
        return new Score(100 * top1 / count, 100 * top5 / count, loss / count, count);
    }
}
