using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Data;

/// <summary>
/// Labelled images, all stored at one square size as 8-bit RGB. Batches come out as uint8 [n, 3, S, S] tensors on the
/// CPU; augmentation and normalisation happen afterwards, on the training device.
/// </summary>
internal interface IImageSet
{
    int Count { get; }

    /// <summary>The stored side S, in pixels.</summary>
    int Size { get; }

    int Classes { get; }

    /// <summary>The label of every image, 0..Classes-1.</summary>
    IReadOnlyList<int> Labels { get; }

    /// <summary>uint8 [indices.Length, 3, S, S].</summary>
    Tensor Load(IReadOnlyList<int> indices);
}

/// <summary>Images held in one uint8 tensor (CIFAR-10, the synthetic set).</summary>
internal sealed class InMemoryImageSet : IImageSet, IDisposable
{
    private readonly Tensor _images;
    private readonly int[] _labels;

    public InMemoryImageSet(Tensor images, int[] labels, int classes)
    {
        if (images.dtype != ScalarType.Byte || images.ndim != 4 || images.shape[1] != 3 || images.shape[2] != images.shape[3])
            throw new ArgumentException("images must be uint8 [n, 3, S, S].", nameof(images));
        if (images.shape[0] != labels.Length)
            throw new ArgumentException($"{images.shape[0]} images but {labels.Length} labels.", nameof(labels));
        _images = images;
        _labels = labels;
        Classes = classes;
    }

    public int Count => _labels.Length;

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

    public int Size => source.Size;

    public int Classes => source.Classes;

    public IReadOnlyList<int> Labels => _labels;

    public Tensor Load(IReadOnlyList<int> batch) => source.Load(batch.Select(i => indices[i]).ToArray());
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
