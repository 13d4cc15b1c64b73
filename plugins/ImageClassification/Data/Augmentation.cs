using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Data;

/// <summary>
/// Turns uint8 batches into normalised float inputs at the network's resolution, on the training device. Training
/// uses a random resized crop (area fraction U(minScale, 1), aspect ratio log-uniform in [3/4, 4/3]) and a horizontal
/// flip, done for the whole batch at once as one affine resampling; evaluation takes the centre crop.
/// </summary>
internal sealed class Augmentation : IDisposable
{
    private readonly Tensor _mean;
    private readonly Tensor _std;
    private readonly int _resolution;
    private readonly double _minScale;

    public Augmentation(DatasetOptions options, int resolution, Device device)
    {
        if (options.Mean.Count != 3 || options.Std.Count != 3)
            throw new ArgumentException("dataset.mean and dataset.std need 3 values each (R, G, B).");
        _mean = tensor(options.Mean.Select(v => (float)v).ToArray(), [1, 3, 1, 1]).to(device);
        _std = tensor(options.Std.Select(v => (float)v).ToArray(), [1, 3, 1, 1]).to(device);
        _resolution = resolution;
        _minScale = options.MinCropScale;
    }

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
            var flip = random.Next(2) == 0 ? 1.0 : -1.0;
            // The crop's half-size and centre in grid units (-1..1); the flip mirrors the sampling grid.
            theta[i * 6 + 0] = (float)(w * flip);
            theta[i * 6 + 2] = (float)((1 - w) * (2 * random.NextDouble() - 1));
            theta[i * 6 + 4] = (float)h;
            theta[i * 6 + 5] = (float)((1 - h) * (2 * random.NextDouble() - 1));
        }
        var grid = nn.functional.affine_grid(tensor(theta, [n, 2, 3]).to(_mean.device), [n, 3, _resolution, _resolution], align_corners: false);
        var sampled = nn.functional.grid_sample(x, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: false);
        return Normalise(sampled).MoveToOuterDisposeScope();
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

    private Tensor Normalise(Tensor x) => x.sub(_mean).div_(_std);

    public void Dispose()
    {
        _mean.Dispose();
        _std.Dispose();
    }
}
