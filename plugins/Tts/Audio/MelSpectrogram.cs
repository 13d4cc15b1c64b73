using SemiNas.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.Tts.Audio;

/// <summary>
/// Waveform → log-mel spectrogram and back, in TorchSharp: STFT magnitude, a Slaney mel filterbank (librosa's
/// default: Slaney's mel scale and area normalisation), and the paper's scaling
/// <c>(20·log10(max(1e-5, mel)) − min_level_db) / −min_level_db · 8 − 4</c>, clipped to [-4, 4].
/// </summary>
public sealed class MelSpectrogram : IDisposable
{
    private readonly Tensor _window;
    private readonly Tensor _filterbank;     // [mels, nFft/2+1]
    private readonly Tensor _inverse;        // [nFft/2+1, mels], the pseudo-inverse
    private readonly Device _device;

    public MelSpectrogram(MelSettings settings, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        Settings = settings;
        _device = device ?? CPU;
        _window = hann_window(settings.WinLength, dtype: ScalarType.Float32, device: _device);
        var bank = SlaneyFilterbank(settings.SampleRate, settings.NFft, settings.MelBins, settings.FMin, settings.FMax);
        _filterbank = tensor(bank, ScalarType.Float32).reshape(settings.MelBins, settings.NFft / 2 + 1).to(_device);
        using (no_grad())
            _inverse = linalg.pinv(_filterbank);
    }

    public MelSettings Settings { get; }

    public Tensor Filterbank => _filterbank;

    /// <summary>Number of frames the STFT gives for a waveform of <paramref name="samples"/> samples (centred frames).</summary>
    public int FrameCount(long samples) => (int)(samples / Settings.HopLength) + 1;

    /// <summary>STFT magnitude of a waveform [samples] or a batch [batch, samples]: [.., nFft/2+1, frames].</summary>
    public Tensor Magnitude(Tensor waveform)
    {
        using var scope = NewDisposeScope();
        using var spectrum = stft(waveform.to(_device), Settings.NFft, Settings.HopLength, Settings.WinLength, _window,
            center: true, pad_mode: PaddingModes.Reflect, return_complex: true);
        return spectrum.abs().MoveToOuterDisposeScope();
    }

    /// <summary>The scaled log-mel of a waveform [samples]: [frames, mels], values in [-4, 4].</summary>
    public Tensor LogMel(Tensor waveform)
    {
        using var scope = NewDisposeScope();
        var mel = matmul(_filterbank, Magnitude(waveform));               // [.., mels, frames]
        return ScaleLogMel(mel).transpose(-1, -2).contiguous().MoveToOuterDisposeScope();
    }

    public Tensor LogMel(float[] waveform)
    {
        using var scope = NewDisposeScope();
        return LogMel(tensor(waveform)).MoveToOuterDisposeScope();
    }

    /// <summary>Linear mel magnitudes → the paper's scaled log-mel in [-4, 4].</summary>
    public Tensor ScaleLogMel(Tensor mel)
    {
        using var scope = NewDisposeScope();
        // KeptScalars: every utterance passes here and TorchSharp may free a temporary Scalar during the call.
        var db = KeptScalars.Of(20) * log10(clamp_min(mel, KeptScalars.Of(1e-5)));
        var normalized = clamp((db - KeptScalars.Of(Settings.MinLevelDb)) / KeptScalars.Of(-Settings.MinLevelDb),
            KeptScalars.Of(0), KeptScalars.Of(1));
        return (normalized * KeptScalars.Of(8) - KeptScalars.Of(4)).MoveToOuterDisposeScope();
    }

    /// <summary>The scaled log-mel [frames, mels] → linear STFT magnitude [nFft/2+1, frames] (pseudo-inverse, ≥ 1e-10).</summary>
    public Tensor LinearMagnitude(Tensor logMel)
    {
        using var scope = NewDisposeScope();
        var normalized = (logMel.to(_device).transpose(-1, -2) + KeptScalars.Of(4)) / KeptScalars.Of(8);
        var db = normalized * KeptScalars.Of(-Settings.MinLevelDb) + KeptScalars.Of(Settings.MinLevelDb);
        var mel = pow(10.0, db * KeptScalars.Of(0.05));
        return clamp_min(matmul(_inverse, mel), KeptScalars.Of(1e-10)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax) with its defaults (htk=False, norm='slaney'), row-major
    /// [mels, nFft/2+1].
    /// </summary>
    public static float[] SlaneyFilterbank(int sampleRate, int nFft, int melBins, double fMin, double fMax)
    {
        var bins = nFft / 2 + 1;
        var fftFrequencies = new double[bins];
        for (var k = 0; k < bins; k++) fftFrequencies[k] = (double)k * sampleRate / nFft;
        var lowMel = HzToMel(fMin);
        var highMel = HzToMel(fMax);
        var points = new double[melBins + 2];
        for (var m = 0; m < points.Length; m++) points[m] = MelToHz(lowMel + (highMel - lowMel) * m / (melBins + 1));

        var weights = new float[melBins * bins];
        for (var m = 0; m < melBins; m++)
        {
            var lower = points[m];
            var centre = points[m + 1];
            var upper = points[m + 2];
            var norm = 2.0 / (upper - lower);
            for (var k = 0; k < bins; k++)
            {
                var rising = (fftFrequencies[k] - lower) / (centre - lower);
                var falling = (upper - fftFrequencies[k]) / (upper - centre);
                weights[m * bins + k] = (float)(Math.Max(0, Math.Min(rising, falling)) * norm);
            }
        }
        return weights;
    }

    // Slaney's Auditory Toolbox scale: linear below 1 kHz, logarithmic above.
    private const double LinearStep = 200.0 / 3;
    private const double BreakHz = 1000;
    private const double BreakMel = BreakHz / LinearStep;
    private static readonly double LogStep = Math.Log(6.4) / 27;

    public static double HzToMel(double hz) =>
        hz < BreakHz ? hz / LinearStep : BreakMel + Math.Log(hz / BreakHz) / LogStep;

    public static double MelToHz(double mel) =>
        mel < BreakMel ? mel * LinearStep : BreakHz * Math.Exp(LogStep * (mel - BreakMel));

    public void Dispose()
    {
        _window.Dispose();
        _filterbank.Dispose();
        _inverse.Dispose();
    }

    internal Tensor Window => _window;

    internal Device Device => _device;
}
