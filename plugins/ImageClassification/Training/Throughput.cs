using System.Diagnostics;

namespace SemiNas.ImageClassification.Training;

/// <summary>Images per second over the recent steps (an exponential average, so a slow first step fades out).</summary>
internal sealed class Throughput
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private double? _rate;

    public double ImagesPerSecond => _rate ?? 0;

    public void Add(int images)
    {
        var seconds = _watch.Elapsed.TotalSeconds;
        _watch.Restart();
        if (seconds <= 0) return;
        var rate = images / seconds;
        _rate = _rate is { } r ? 0.8 * r + 0.2 * rate : rate;
    }
}
