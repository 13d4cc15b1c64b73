namespace SemiNas.Tts.Audio;

/// <summary>
/// The paper's features: 22,050 Hz audio, STFT with n_fft 1024, hop 256 and a 1024-sample Hann window, 80 Slaney
/// mel bins over 0–8 kHz, log-mel scaled to [-4, 4] (<see cref="MelSpectrogram"/>).
/// </summary>
public sealed record MelSettings
{
    public int SampleRate { get; init; } = 22_050;
    public int NFft { get; init; } = 1024;
    public int HopLength { get; init; } = 256;
    public int WinLength { get; init; } = 1024;
    public int MelBins { get; init; } = 80;
    public double FMin { get; init; }
    public double FMax { get; init; } = 8000;

    /// <summary>The dB floor of the log-mel scaling: the paper's min_level_db.</summary>
    public double MinLevelDb { get; init; } = -100;

    public static MelSettings Paper { get; } = new();

    public void Validate()
    {
        if (SampleRate < 4000) throw new ArgumentException($"sampleRate {SampleRate} is below 4000 Hz.");
        if (NFft < 16 || (NFft & (NFft - 1)) != 0) throw new ArgumentException($"nFft {NFft} must be a power of two ≥ 16.");
        if (WinLength < 1 || WinLength > NFft) throw new ArgumentException($"winLength {WinLength} must be in 1..nFft ({NFft}).");
        if (HopLength < 1 || HopLength > WinLength) throw new ArgumentException($"hopLength {HopLength} must be in 1..winLength ({WinLength}).");
        if (MelBins < 1) throw new ArgumentException($"melBins {MelBins} must be positive.");
        if (!(FMin >= 0 && FMax > FMin && FMax <= SampleRate / 2.0))
            throw new ArgumentException($"fMin {FMin} and fMax {FMax} must satisfy 0 ≤ fMin < fMax ≤ sampleRate/2 ({SampleRate / 2.0}).");
    }
}
