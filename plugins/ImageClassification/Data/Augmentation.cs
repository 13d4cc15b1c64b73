using SemiNas.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Data;

/// <summary>
/// Turns uint8 batches into normalised float inputs at the network's resolution, on the training device.
/// Training: a random resized crop of the whole image (area fraction U(minScale, 1), aspect ratio log-uniform in
/// [3/4, 4/3], as torchvision's RandomResizedCrop) and a horizontal flip, then the optional colour jitter. Sets that
/// decode their images (folders) cut the crop while decoding, from the full-size image; in-memory sets (CIFAR-10, IDX,
/// synthetic) are cropped here for the whole batch at once, as one affine resampling. Evaluation takes the centre crop.
/// </summary>
internal sealed class Augmentation : IDisposable
{
    private readonly Tensor _mean;
    private readonly Tensor _std;
    private readonly int _resolution;
    private readonly double _minScale;
    private readonly bool _flip;
    private readonly ColorJitterOptions _jitter;
    private readonly int _channels;

    public Augmentation(DatasetOptions options, int resolution, Device device, int? channels = null)
    {
        _channels = channels ?? options.Channels;
        if (options.Mean.Count != _channels || options.Std.Count != _channels)
            throw new ArgumentException($"dataset.mean and dataset.std need {_channels} value(s) each, one per channel.");
        _mean = tensor(options.Mean.Select(v => (float)v).ToArray(), [1, _channels, 1, 1]).to(device);
        _std = tensor(options.Std.Select(v => (float)v).ToArray(), [1, _channels, 1, 1]).to(device);
        _resolution = resolution;
        _minScale = options.MinCropScale;
        _flip = options.Flip;
        _jitter = options.ColorJitter;
    }

    public Device Device => _mean.device;

    /// <summary>A training batch of the set: loaded, cropped (by the set while decoding, or here), jittered, normalised.</summary>
    public Tensor Train(IImageSet set, IReadOnlyList<int> indices, Random random)
    {
        if (!set.CropsOnLoad)
        {
            using var images = set.Load(indices);
            return Train(images, random);
        }
        using var scope = NewDisposeScope();
        var cropped = set.LoadCropped(indices, random, _resolution, _minScale, _flip);
        var x = cropped.to(_mean.device).to(ScalarType.Float32).div_(255);
        return Normalise(Jitter(x, random)).MoveToOuterDisposeScope();
    }

    /// <summary>Crops and flips a batch of stored images (uint8 [n, C, S, S]) at random, then jitters and normalises it.</summary>
    public Tensor Train(Tensor images, Random random)
    {
        using var scope = NewDisposeScope();
        var n = (int)images.shape[0];
        var x = images.to(_mean.device).to(ScalarType.Float32).div_(255);
        var theta = new float[n * 6];
        for (var i = 0; i < n; i++)
        {
            var area = _minScale + (1 - _minScale) * random.NextDouble();
            var ratio = Math.Exp(Math.Log(3.0 / 4) + (Math.Log(4.0 / 3) - Math.Log(3.0 / 4)) * random.NextDouble());
            var w = Math.Min(1, Math.Sqrt(area * ratio));
            var h = Math.Min(1, Math.Sqrt(area / ratio));
            var flip = !_flip || random.Next(2) == 0 ? 1.0 : -1.0;
            // The crop's half-size and centre in grid units (-1..1); the flip mirrors the sampling grid.
            theta[i * 6 + 0] = (float)(w * flip);
            theta[i * 6 + 2] = (float)((1 - w) * (2 * random.NextDouble() - 1));
            theta[i * 6 + 4] = (float)h;
            theta[i * 6 + 5] = (float)((1 - h) * (2 * random.NextDouble() - 1));
        }
        var grid = nn.functional.affine_grid(tensor(theta, [n, 2, 3]).to(_mean.device), [n, x.shape[1], _resolution, _resolution], align_corners: false);
        var sampled = nn.functional.grid_sample(x, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: false);
        return Normalise(Jitter(sampled, random)).MoveToOuterDisposeScope();
    }

    public Tensor Eval(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = images.to(_mean.device).to(ScalarType.Float32).div_(255);
        var side = (int)x.shape[2];
        if (side > _resolution)
        {
            var offset = (side - _resolution) / 2;
            x = x.narrow(2, offset, _resolution).narrow(3, offset, _resolution);
        }
        else if (side < _resolution)
        {
            x = nn.functional.interpolate(x, size: [_resolution, _resolution], mode: InterpolationMode.Bilinear, align_corners: false);
        }
        return Normalise(x).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// torchvision's ColorJitter on a float batch in 0..1, one factor per image and in a fixed order (brightness,
    /// contrast, saturation, hue; torchvision shuffles the order per image). Hue turns the chroma plane of YIQ, a
    /// linear stand-in for torchvision's HSV shift.
    /// </summary>
    private Tensor Jitter(Tensor x, Random random)
    {
        // Scalars from KeptScalars, alive for libtorch's whole call: the prefetch threads augment every batch.
        if (!_jitter.Any) return x;
        var n = (int)x.shape[0];
        float[] Factors(double amount) => [.. Enumerable.Range(0, n).Select(_ => (float)(1 + amount * (2 * random.NextDouble() - 1)))];
        Tensor PerImage(float[] values) => tensor(values, [n, 1, 1, 1]).to(x.device);
        if (_jitter.Brightness > 0)
            x = x.mul(PerImage(Factors(_jitter.Brightness))).clamp_(KeptScalars.Of(0), KeptScalars.Of(1));
        if (_jitter.Contrast > 0)
        {
            var mean = Grey(x).mean([1, 2, 3], keepdim: true);
            x = x.sub(mean).mul_(PerImage(Factors(_jitter.Contrast))).add_(mean).clamp_(KeptScalars.Of(0), KeptScalars.Of(1));
        }
        if (_channels == 3 && _jitter.Saturation > 0)
        {
            var grey = Grey(x);
            x = x.sub(grey).mul_(PerImage(Factors(_jitter.Saturation))).add_(grey).clamp_(KeptScalars.Of(0), KeptScalars.Of(1));
        }
        if (_channels == 3 && _jitter.Hue > 0)
        {
            // RGB -> YIQ, rotate (I, Q) by the image's angle, back to RGB: one 3x3 matrix per image.
            var toYiq = tensor(new float[] { 0.299f, 0.587f, 0.114f, 0.596f, -0.274f, -0.322f, 0.211f, -0.523f, 0.312f }, [3, 3]);
            var toRgb = linalg.inv(toYiq);
            var rotations = new float[n * 9];
            for (var i = 0; i < n; i++)
            {
                var angle = 2 * Math.PI * _jitter.Hue * (2 * random.NextDouble() - 1);
                var (sin, cos) = ((float)Math.Sin(angle), (float)Math.Cos(angle));
                rotations[i * 9] = 1;
                rotations[i * 9 + 4] = cos;
                rotations[i * 9 + 5] = -sin;
                rotations[i * 9 + 7] = sin;
                rotations[i * 9 + 8] = cos;
            }
            var matrices = toRgb.matmul(tensor(rotations, [n, 3, 3])).matmul(toYiq).to(x.device);
            x = einsum("nij,njhw->nihw", matrices, x).clamp_(KeptScalars.Of(0), KeptScalars.Of(1));
        }
        return x;
    }

    private Tensor Grey(Tensor x) => _channels == 1
        ? x
        : x.narrow(1, 0, 1).mul(KeptScalars.Of(0.299))
            .add_(x.narrow(1, 1, 1).mul(KeptScalars.Of(0.587)))
            .add_(x.narrow(1, 2, 1).mul(KeptScalars.Of(0.114)));

    private Tensor Normalise(Tensor x) => x.sub(_mean).div_(_std);

    public void Dispose()
    {
        _mean.Dispose();
        _std.Dispose();
    }
}
