namespace SemiNas.ImageClassification.Training;

/// <summary>
/// Which images make up training step s: epochs are seeded permutations of the images, cut into full batches. A pure
/// function of (seed, step), so that a training resumed from a checkpoint sees exactly the batches it would have seen.
/// </summary>
internal sealed class BatchSampler(int count, int batchSize, int seed)
{
    private int[]? _permutation;
    private long _epoch = -1;

    public int BatchSize { get; } = Math.Min(batchSize, count);

    public long StepsPerEpoch => count / BatchSize;

    public int[] Batch(long step)
    {
        var epoch = step / StepsPerEpoch;
        if (epoch != _epoch || _permutation is null)
        {
            _permutation = Enumerable.Range(0, count).ToArray();
            new Random(HashCode.Combine(seed, epoch)).Shuffle(_permutation);
            _epoch = epoch;
        }
        var start = (int)(step % StepsPerEpoch) * BatchSize;
        return _permutation[start..(start + BatchSize)];
    }

    /// <summary>A random generator for step s's augmentation, reproducible on resume.</summary>
    public Random RandomFor(long step) => new(HashCode.Combine(seed, step, 0x5eed));

    /// <summary>
    /// A second generator for step s, for choices the training step makes (the supernet's path): separate from the
    /// augmentation's, which a background thread may be drawing from at the same time.
    /// </summary>
    public Random PathRandomFor(long step) => new(HashCode.Combine(seed, step, 0x9a7));
}
