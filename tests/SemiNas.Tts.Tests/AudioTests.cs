using SemiNas.Tts.Audio;
using SemiNas.Tts.Data;
using static TorchSharp.torch;

namespace SemiNas.Tts.Tests;

public class AudioTests
{
    [Fact]
    public void The_slaney_mel_scale_is_linear_below_1_khz_and_logarithmic_above()
    {
        Assert.Equal(15, MelSpectrogram.HzToMel(1000), 10);
        Assert.Equal(7.5, MelSpectrogram.HzToMel(500), 10);
        Assert.Equal(15 + 27 * Math.Log(8) / Math.Log(6.4), MelSpectrogram.HzToMel(8000), 10);
        foreach (var hz in new[] { 0.0, 300, 999, 1000, 4321, 8000, 11_025 })
            Assert.Equal(hz, MelSpectrogram.MelToHz(MelSpectrogram.HzToMel(hz)), 6);
    }

    [Fact]
    public void The_filterbank_has_slaney_area_normalised_triangles_up_to_8_khz()
    {
        var s = MelSettings.Paper;
        var bank = MelSpectrogram.SlaneyFilterbank(s.SampleRate, s.NFft, s.MelBins, s.FMin, s.FMax);
        const int bins = 513;
        Assert.Equal(80 * bins, bank.Length);
        Assert.All(bank, w => Assert.True(w >= 0));
        var binHz = (double)s.SampleRate / s.NFft;
        // Triangles of height 2 / (upper − lower) have unit area; wide (high) ones resolve that on the FFT grid.
        for (var m = 40; m < 80; m++)
        {
            var area = bank.Skip(m * bins).Take(bins).Sum(w => (double)w) * binHz;
            Assert.InRange(area, 0.95, 1.05);
        }
        // Nothing above 8 kHz.
        var first = (int)Math.Ceiling(8000 / binHz) + 1;
        for (var m = 0; m < 80; m++)
            for (var k = first; k < bins; k++)
                Assert.Equal(0f, bank[m * bins + k]);
    }

    [Fact]
    public void A_1_khz_tone_lights_the_mel_bin_centred_nearest_1_khz_and_silence_the_floor()
    {
        var s = MelSettings.Paper;
        using var features = new MelSpectrogram(s);
        var tone = Enumerable.Range(0, s.SampleRate).Select(i => (float)(0.5 * Math.Sin(2 * Math.PI * 1000 * i / s.SampleRate))).ToArray();
        using var mel = features.LogMel(tone);
        Assert.Equal(new long[] { s.SampleRate / s.HopLength + 1, 80 }, mel.shape);
        Assert.True(mel.min().item<float>() >= -4 && mel.max().item<float>() <= 4);

        var low = MelSpectrogram.HzToMel(0);
        var high = MelSpectrogram.HzToMel(8000);
        var centres = Enumerable.Range(0, 80).Select(m => MelSpectrogram.MelToHz(low + (high - low) * (m + 1) / 81)).ToArray();
        // The two filters whose centres bracket 1 kHz are the only ones that can respond most.
        var below = Array.FindLastIndex(centres, c => c <= 1000);
        using var loudest = mel[40].argmax();
        Assert.InRange(loudest.item<long>(), below, below + 1);
        Assert.True(mel[40, below].item<float>() > mel[40, below - 3].item<float>() + 1);

        using var silence = features.LogMel(new float[s.SampleRate]);
        Assert.Equal(-4f, silence.max().item<float>());
    }

    [Collection(FliteCorpusCollection.Name)]
    public class OnSpeech(FliteCorpusFixture fixture)
    {
        [Fact]
        public void Griffin_lim_recovers_a_consistent_phase_for_the_true_and_the_mel_magnitude()
        {
            using var features = new MelSpectrogram(MelSettings.Paper);
            using var scope = NewDisposeScope();
            var samples = WavIo.ReadMono(fixture.Corpus.Utterances[0].WavPath, 22_050);
            var wave = tensor(samples);
            var magnitude = features.Magnitude(wave);

            var fromTruth = GriffinLim.Reconstruct(features, magnitude, iterations: 60, length: samples.Length);
            var truthDb = GriffinLim.SpectralConvergenceDb(features, fromTruth, magnitude);
            var randomPhase = GriffinLim.Reconstruct(features, magnitude, iterations: 0, length: samples.Length);
            var startDb = GriffinLim.SpectralConvergenceDb(features, randomPhase, magnitude);

            // Griffin-Lim can only match the magnitude it was given: here the mel's pseudo-inverse, without the
            // detail above 8 kHz and between filters.
            var fromMelMagnitude = features.LinearMagnitude(features.LogMel(wave));
            var fromMel = GriffinLim.Reconstruct(features, fromMelMagnitude, iterations: 60, length: samples.Length);
            var melDb = GriffinLim.SpectralConvergenceDb(features, fromMel, fromMelMagnitude);

            Assert.True(truthDb < -20, $"spectral convergence from the true magnitude: {truthDb:F1} dB");
            Assert.True(startDb > -10, $"random phase alone: {startDb:F1} dB");
            Assert.True(melDb < -10, $"spectral convergence from the 80-bin mel: {melDb:F1} dB");
        }

        [Fact]
        public void The_corpus_maker_writes_ljspeech_format_at_22050_hz_with_normalised_text()
        {
            var corpus = fixture.Corpus;
            Assert.Equal(FliteCorpusFixture.Sentences, corpus.Utterances.Count);
            Assert.Empty(corpus.Problems);
            var lines = File.ReadAllLines(Path.Combine(corpus.Directory, "metadata.csv"));
            Assert.Equal("FL-0001|The old house stood at the end of the quiet road.|The old house stood at the end of the quiet road.", lines[0]);
            using var reader = new NAudio.Wave.WaveFileReader(corpus.Utterances[0].WavPath);
            Assert.Equal(22_050, reader.WaveFormat.SampleRate);
            Assert.Equal(1, reader.WaveFormat.Channels);
            Assert.InRange(reader.TotalTime.TotalSeconds, 1.5, 5);
        }
    }
}
