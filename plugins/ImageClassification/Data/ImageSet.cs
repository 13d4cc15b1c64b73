using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Data;

/// <summary>
/// Labelled images, all stored at one square size as 8-bit RGB or grey. Batches come out as uint8 [n, C, S, S] tensors
/// on the CPU; augmentation and normalisation happen afterwards, on the training device.
/// </summary>
internal interface IImageSet
{
    int Count { get; }

    /// <summary>Channels C: 3 (RGB) or 1 (grey).</summary>
    int Channels => 3;

    /// <summary>The stored side S, in pixels.</summary>
    int Size { get; }

    int Classes { get; }

    /// <summary>The label of every image, 0..Classes-1.</summary>
    IReadOnlyList<int> Labels { get; }

    /// <summary>uint8 [indices.Length, C, S, S]: the evaluation view.</summary>
    Tensor Load(IReadOnlyList<int> indices);

    /// <summary>
    /// True when the set cuts the training crops itself (<see cref="LoadCropped"/>), from each whole image as it decodes
    /// it; otherwise the augmentation crops the stored images.
    /// </summary>
    bool CropsOnLoad => false;

    /// <summary>
    /// uint8 [n, C, resolution, resolution]: a random-resized crop of each whole image (area fraction U(minScale, 1) of
    /// the image, aspect ratio log-uniform in [3/4, 4/3]), flipped horizontally at random when <paramref name="flip"/>.
    /// Only when <see cref="CropsOnLoad"/>.
    /// </summary>
    Tensor LoadCropped(IReadOnlyList<int> indices, Random random, int resolution, double minScale, bool flip) =>
        throw new NotSupportedException("this image set does not crop while it loads.");
}

/// <summary>Images held in one uint8 tensor (CIFAR-10, IDX, the synthetic set).</summary>
internal sealed class InMemoryImageSet : IImageSet, IDisposable
{
    private readonly Tensor _images;
    private readonly int[] _labels;

    public InMemoryImageSet(Tensor images, int[] labels, int classes)
    {
        if (images.dtype != ScalarType.Byte || images.ndim != 4 || images.shape[1] is not (1 or 3) || images.shape[2] != images.shape[3])
            throw new ArgumentException("images must be uint8 [n, 1 or 3, S, S].", nameof(images));
        if (images.shape[0] != labels.Length)
            throw new ArgumentException($"{images.shape[0]} images but {labels.Length} labels.", nameof(labels));
        _images = images;
        _labels = labels;
        Classes = classes;
    }

    public int Count => _labels.Length;

    public int Channels => (int)_images.shape[1];

    public int Size => (int)_images.shape[2];

    public int Classes { get; }

    public IReadOnlyList<int> Labels => _labels;

    public Tensor Load(IReadOnlyList<int> indices)
    {
        using var index = tensor(indices.Select(i => (long)i).ToArray());
        return _images.index_select(0, index);
    }

    public void Dispose() => _images.Dispose();
}

/// <summary>A subset of another set, by index (the held-out split, a size limit).</summary>
internal sealed class SubsetImageSet(IImageSet source, int[] indices) : IImageSet
{
    private readonly int[] _labels = indices.Select(i => source.Labels[i]).ToArray();

    public int Count => indices.Length;

    public int Channels => source.Channels;

    public int Size => source.Size;

    public int Classes => source.Classes;

    public IReadOnlyList<int> Labels => _labels;

    public Tensor Load(IReadOnlyList<int> batch) => source.Load(batch.Select(i => indices[i]).ToArray());

    public bool CropsOnLoad => source.CropsOnLoad;

    public Tensor LoadCropped(IReadOnlyList<int> batch, Random random, int resolution, double minScale, bool flip) =>
        source.LoadCropped(batch.Select(i => indices[i]).ToArray(), random, resolution, minScale, flip);
}

/// <summary>The images a task works with: training, the held-out images that score candidates, and validation.</summary>
internal sealed class ImageData(IImageSet train, IImageSet heldOut, IImageSet valid, IDisposable? owner) : IDisposable
{
    /// <summary>Training images, without the held-out ones.</summary>
    public IImageSet Train { get; } = train;

    /// <summary>Carved out of the training set; candidates are scored on them during the search.</summary>
    public IImageSet HeldOut { get; } = heldOut;

    /// <summary>The data set's own validation (or test) split, for the final evaluation.</summary>
    public IImageSet Valid { get; } = valid;

    /// <summary>Every training image (train + held-out): the final training uses them all.</summary>
    public required IImageSet FullTrain { get; init; }

    public void Dispose() => owner?.Dispose();
}
