using SkiaSharp;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Data;

/// <summary>
/// An ImageNet-style folder split, <c>split/&lt;class&gt;/&lt;image&gt;</c>, decoded on demand with SkiaSharp (JPEG, PNG,
/// WebP, GIF, BMP), in parallel on <c>threads</c> threads. The evaluation view (<see cref="Load"/>) resizes each image so
/// that its shorter side is <see cref="Size"/> and takes the centre square: the standard "resize 256, crop 224" when
/// Size is resolution/0.875. Training (<see cref="LoadCropped"/>) cuts a random resized crop from the whole decoded
/// image, as torchvision's RandomResizedCrop does, and resizes only that to the network's resolution.
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

    public bool CropsOnLoad => true;

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

    public Tensor LoadCropped(IReadOnlyList<int> indices, Random random, int resolution, double minScale, bool flip)
    {
        // The random numbers are drawn here, in order, so that a batch is the same whatever the threads do.
        var draws = new double[indices.Count][];
        for (var i = 0; i < indices.Count; i++)
            draws[i] = [.. Enumerable.Range(0, CropAttempts * 4 + 1).Select(_ => random.NextDouble())];
        var pixelsPerImage = resolution * resolution * 4;
        var rgba = new byte[indices.Count * pixelsPerImage];
        Parallel.For(0, indices.Count, new ParallelOptions { MaxDegreeOfParallelism = _threads },
            i => DecodeCrop(_files[indices[i]], resolution, minScale, flip, draws[i], rgba.AsSpan(i * pixelsPerImage, pixelsPerImage)));
        using var batch = tensor(rgba, [indices.Count, resolution, resolution, 4]);
        return batch.narrow(3, 0, 3).permute(0, 3, 1, 2).contiguous();
    }

    private const int CropAttempts = 10;

    /// <summary>
    /// torchvision's RandomResizedCrop rectangle in a width x height image from pre-drawn uniforms: up to 10 tries of an
    /// area fraction U(minScale, 1) and a log-uniform aspect ratio in [3/4, 4/3] that fit the image, else the centre
    /// crop with the ratio clamped to that range.
    /// </summary>
    public static SKRectI CropRectangle(int width, int height, double minScale, IReadOnlyList<double> u)
    {
        var area = (double)width * height;
        for (var attempt = 0; attempt < CropAttempts; attempt++)
        {
            var target = area * (minScale + (1 - minScale) * u[attempt * 4]);
            var ratio = Math.Exp(Math.Log(3.0 / 4) + (Math.Log(4.0 / 3) - Math.Log(3.0 / 4)) * u[attempt * 4 + 1]);
            var w = (int)Math.Round(Math.Sqrt(target * ratio));
            var h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w <= 0 || h <= 0 || w > width || h > height) continue;
            var x = (int)Math.Min(width - w, Math.Floor(u[attempt * 4 + 2] * (width - w + 1)));
            var y = (int)Math.Min(height - h, Math.Floor(u[attempt * 4 + 3] * (height - h + 1)));
            return SKRectI.Create(x, y, w, h);
        }
        var inRatio = (double)width / height;
        int cw = width, ch = height;
        if (inRatio < 3.0 / 4) ch = Math.Min(height, (int)Math.Round(width / (3.0 / 4)));
        else if (inRatio > 4.0 / 3) cw = Math.Min(width, (int)Math.Round(height * (4.0 / 3)));
        return SKRectI.Create((width - cw) / 2, (height - ch) / 2, cw, ch);
    }

    private static void DecodeCrop(string file, int resolution, double minScale, bool flip, double[] u, Span<byte> destination)
    {
        using var decoded = SKBitmap.Decode(file)
            ?? throw new InvalidDataException($"{file}: not a readable image (SkiaSharp could not decode it).");
        var crop = CropRectangle(decoded.Width, decoded.Height, minScale, u);
        var info = new SKImageInfo(resolution, resolution, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var target = new SKBitmap(info);
        using (var canvas = new SKCanvas(target))
        using (var image = SKImage.FromBitmap(decoded))
        {
            canvas.Clear(SKColors.Black);
            if (flip && u[^1] < 0.5) canvas.Scale(-1, 1, resolution / 2f, 0);
            using var paint = new SKPaint();
            canvas.DrawImage(image, SKRect.Create(crop.Left, crop.Top, crop.Width, crop.Height), SKRect.Create(0, 0, resolution, resolution),
                new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear), paint);
        }
        target.GetPixelSpan().CopyTo(destination);
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
