using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.Tts.Audio;

/// <summary>
/// Griffin-Lim phase reconstruction, the vocoder SemiNAS used, in its fast form (momentum 0.99, Perraudin et al.
/// 2013, as torchaudio does it). The magnitude is raised to <c>power</c> first: 1.5 is the Tacotron/SemiNAS setting
/// for listening, but it breaks pocketsphinx (its cepstra scale with the exponent), so audio for the recogniser
/// uses 1.0.
/// </summary>
public static class GriffinLim
{
    public static Tensor Reconstruct(MelSpectrogram features, Tensor magnitude, int iterations = 60, double power = 1.0,
        double momentum = 0.99, long seed = 1, long length = -1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iterations);
        if (!(momentum is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be in [0, 1).");
        var s = features.Settings;
        using var scope = NewDisposeScope();
        using var guard = no_grad();
        var target = pow(magnitude.to(features.Device), power);
        using var generator = new Generator((ulong)seed, features.Device);
        var phase = rand(target.shape, generator: generator, dtype: ScalarType.Float32, device: features.Device) * (2 * Math.PI);
        var angles = polar(ones_like(target), phase);
        Tensor previous = zeros_like(angles);
        var factor = momentum / (1 + momentum);
        for (var i = 0; i < iterations; i++)
        {
            using var inner = NewDisposeScope();
            var waveform = istft(target * angles, s.NFft, s.HopLength, s.WinLength, features.Window, center: true, length: length);
            var rebuilt = stft(waveform, s.NFft, s.HopLength, s.WinLength, features.Window, center: true,
                pad_mode: PaddingModes.Reflect, return_complex: true);
            var next = rebuilt - previous * factor;
            next = next / (next.abs() + 1e-16);
            angles = next.MoveToOuterDisposeScope();
            previous = rebuilt.MoveToOuterDisposeScope();
        }
        return istft(target * angles, s.NFft, s.HopLength, s.WinLength, features.Window, center: true, length: length)
            .MoveToOuterDisposeScope();
    }

    /// <summary>The scaled log-mel [frames, mels] → a waveform, peak-normalised to 0.95 as SemiNAS's save_wav does.</summary>
    public static float[] LogMelToWaveform(MelSpectrogram features, Tensor logMel, int iterations = 60, double power = 1.0, long seed = 1)
    {
        using var scope = NewDisposeScope();
        var magnitude = features.LinearMagnitude(logMel);
        var waveform = Reconstruct(features, magnitude, iterations, power, seed: seed);
        var peak = waveform.abs().max().item<float>();
        if (peak > 1e-4f) waveform = waveform * (0.95f / peak);
        return waveform.to(CPU).data<float>().ToArray();
    }

    /// <summary>Spectral convergence in dB: 20·log10(‖|STFT(x)| − S‖ / ‖S‖); lower is better.</summary>
    public static double SpectralConvergenceDb(MelSpectrogram features, Tensor waveform, Tensor magnitude)
    {
        using var scope = NewDisposeScope();
        var rebuilt = features.Magnitude(waveform);
        var frames = Math.Min(rebuilt.shape[^1], magnitude.shape[^1]);
        var a = rebuilt[.., ..(int)frames];
        var b = magnitude.to(features.Device)[.., ..(int)frames];
        return 20 * Math.Log10((a - b).norm().item<float>() / b.norm().item<float>());
    }
}
