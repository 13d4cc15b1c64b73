using SkiaSharp;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Data;

/// <summary>
/// An ImageNet-style folder split, <c>split/&lt;class&gt;/&lt;image&gt;</c>, decoded on demand with SkiaSharp (JPEG, PNG,
/// WebP, GIF, BMP). Every image is resized so that its shorter side is <see cref="Size"/> and centre-cropped to a
/// square: the standard "resize 256, crop 224" evaluation view when Size is resolution/0.875, and the frame the
/// random resized crop of training samples from.
/// </summary>
internal sealed class FolderImageSet : IImageSet
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase)
        { ".jpeg", ".jpg", ".png", ".webp", ".gif", ".bmp" };

    private readonly string[] _files;
    private readonly int[] _labels;
    private readonly int _threads;

    private FolderImageSet(string[] files, int[] labels, int classes, int size, int threads)
    {
        _files = files;
        _labels = labels;
        Classes = classes;
        Size = size;
        _threads = threads;
    }

    public int Count => _files.Length;

    public int Size { get; }

    public int Classes { get; }

    public IReadOnlyList<int> Labels => _labels;

    /// <summary>The class folders of <paramref name="splitFolder"/>, sorted by name (ImageFolder's order).</summary>
    public static IReadOnlyList<string> ClassNames(string splitFolder)
    {
        if (!Directory.Exists(splitFolder))
            throw new DirectoryNotFoundException($"{splitFolder}: no such folder (expected train/<class>/*.JPEG and val/<class>/*.JPEG).");
        var names = Directory.GetDirectories(splitFolder).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
        if (names.Count == 0) throw new InvalidDataException($"{splitFolder}: no class folders.");
        return names;
    }

    public static FolderImageSet Open(string splitFolder, IReadOnlyList<string> classes, int size, int threads)
    {
        var known = classes.Select((name, index) => (name, index)).ToDictionary(p => p.name, p => p.index, StringComparer.Ordinal);
        var files = new List<string>();
        var labels = new List<int>();
        foreach (var folder in Directory.GetDirectories(splitFolder).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(folder);
            if (!known.TryGetValue(name, out var label))
                throw new InvalidDataException($"{folder}: class '{name}' is not among the training classes.");
            foreach (var file in Directory.GetFiles(folder).Order(StringComparer.Ordinal).Where(f => Extensions.Contains(Path.GetExtension(f))))
            {
                files.Add(file);
                labels.Add(label);
            }
        }
        if (files.Count == 0) throw new InvalidDataException($"{splitFolder}: no images (.JPEG, .jpg, .png, .webp, .gif, .bmp).");
        return new FolderImageSet([.. files], [.. labels], classes.Count, size, threads);
    }

    public Tensor Load(IReadOnlyList<int> indices)
    {
        var pixelsPerImage = Size * Size * 4;
        var rgba = new byte[indices.Count * pixelsPerImage];
        Parallel.For(0, indices.Count, new ParallelOptions { MaxDegreeOfParallelism = _threads },
            i => Decode(_files[indices[i]], Size, rgba.AsSpan(i * pixelsPerImage, pixelsPerImage)));
        using var batch = tensor(rgba, [indices.Count, Size, Size, 4]);
        return batch.narrow(3, 0, 3).permute(0, 3, 1, 2).contiguous();
    }

    /// <summary>Decodes one file, resizes its shorter side to <paramref name="size"/>, centre-crops, writes RGBA.</summary>
    public static void Decode(string file, int size, Span<byte> destination)
    {
        using var decoded = SKBitmap.Decode(file)
            ?? throw new InvalidDataException($"{file}: not a readable image (SkiaSharp could not decode it).");
        var scale = (double)size / Math.Min(decoded.Width, decoded.Height);
        var width = Math.Max(size, (int)Math.Round(decoded.Width * scale));
        var height = Math.Max(size, (int)Math.Round(decoded.Height * scale));
        var info = new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var target = new SKBitmap(info);
        using (var canvas = new SKCanvas(target))
        using (var image = SKImage.FromBitmap(decoded))
        {
            canvas.Clear(SKColors.Black);
            var dest = SKRect.Create((size - width) / 2f, (size - height) / 2f, width, height);
            using var paint = new SKPaint();
            canvas.DrawImage(image, dest, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear), paint);
        }
        target.GetPixelSpan().CopyTo(destination);
    }
}
