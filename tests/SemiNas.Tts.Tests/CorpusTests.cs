using NAudio.Wave;
using SemiNas.Tts.Audio;
using SemiNas.Tts.Data;

namespace SemiNas.Tts.Tests;

public class CorpusTests
{
    private static void WriteSine(string path, int rate, int channels, double seconds, double hz = 440, bool ieeeFloat = false)
    {
        var format = ieeeFloat ? WaveFormat.CreateIeeeFloatWaveFormat(rate, channels) : new WaveFormat(rate, 16, channels);
        using var writer = new WaveFileWriter(path, format);
        var frames = (int)(rate * seconds);
        var samples = new float[frames * channels];
        for (var i = 0; i < frames; i++)
            for (var c = 0; c < channels; c++)
                samples[i * channels + c] = (float)(0.5 * Math.Sin(2 * Math.PI * hz * i / rate));
        writer.WriteSamples(samples, 0, samples.Length);
    }

    private static int ZeroCrossings(float[] x)
    {
        var n = 0;
        for (var i = 1; i < x.Length; i++) if (x[i - 1] < 0 != x[i] < 0) n++;
        return n;
    }

    [Theory]
    [InlineData(44_100, 2, false)]
    [InlineData(16_000, 1, false)]
    [InlineData(48_000, 2, true)]
    public void Any_wav_is_read_as_mono_at_the_configured_rate(int rate, int channels, bool ieeeFloat)
    {
        using var folder = new TempFolder();
        var path = folder.Combine("a.wav");
        WriteSine(path, rate, channels, 1.0, 440, ieeeFloat);

        var samples = WavIo.ReadMono(path, 22_050);

        Assert.InRange(samples.Length, 22_050 - 200, 22_050 + 200);
        // A 440 Hz tone crosses zero 880 times a second, whatever the rate and channels it was stored with.
        Assert.InRange(ZeroCrossings(samples), 870, 890);
        Assert.InRange(samples.Skip(1000).Take(20_000).Max(), 0.45f, 0.55f);
    }

    private static string MakeCorpus(TempFolder folder, params string[] rows)
    {
        var root = folder.Combine("corpus");
        Directory.CreateDirectory(Path.Combine(root, "wavs"));
        File.WriteAllLines(Path.Combine(root, "metadata.csv"), rows);
        return root;
    }

    [Fact]
    public void Bad_rows_missing_and_unreadable_files_are_reported_with_line_and_file_and_skipped()
    {
        using var folder = new TempFolder();
        var root = MakeCorpus(folder,
            "A-1|Hello there.|Hello there.",
            "A-2 without separators",
            "A-3|A missing file.|A missing file.",
            "A-4|Not a wav.|Not a wav.",
            "A-1|Duplicate id.|Duplicate id.",
            "A-5|Two fields only, 7 words.");
        WriteSine(Path.Combine(root, "wavs", "A-1.wav"), 22_050, 1, 0.2);
        File.WriteAllText(Path.Combine(root, "wavs", "A-4.wav"), "this is text, not RIFF");
        WriteSine(Path.Combine(root, "wavs", "A-5.wav"), 16_000, 2, 0.2);

        var corpus = LjSpeechCorpus.Load(root, BadInputPolicy.Skip);

        Assert.Equal(["A-1", "A-5"], corpus.Utterances.Select(u => u.Id));
        Assert.Equal("Two fields only, seven words.", corpus.Utterances[1].NormalizedText);
        Assert.Equal(6, corpus.Utterances[1].Line);
        var problems = corpus.Problems.Select(p => p.ToString()).ToList();
        Assert.Equal(4, problems.Count);
        Assert.Contains(problems, p => p.EndsWith("metadata.csv:2: expected 'id|text|normalized text', found 1 field(s)"));
        Assert.Contains(problems, p => p.Contains("A-3.wav") && p.Contains("missing WAV file") && p.Contains("line 3"));
        Assert.Contains(problems, p => p.Contains("A-4.wav") && p.Contains("unreadable WAV file") && p.Contains("line 4"));
        Assert.Contains(problems, p => p.EndsWith("metadata.csv:5: id 'A-1' already appears on line 1"));

        var error = Assert.Throws<InvalidDataException>(() => LjSpeechCorpus.Load(root, BadInputPolicy.Fail));
        Assert.Contains("4 problem(s)", error.Message);
        Assert.Contains("A-4.wav", error.Message);
    }

    [Fact]
    public void A_folder_without_metadata_is_an_error_naming_the_file()
    {
        using var folder = new TempFolder();
        var error = Assert.Throws<FileNotFoundException>(() => LjSpeechCorpus.Load(folder.Path));
        Assert.Contains("metadata.csv", error.Message);
    }

    [Fact]
    public void The_low_resource_split_is_seeded_disjoint_and_sized_as_asked()
    {
        var items = Enumerable.Range(0, 13_100).ToList();
        var split = CorpusSplits.LowResource(items, 1500, 100, 100, seed: 1);
        var again = CorpusSplits.LowResource(items, 1500, 100, 100, seed: 1);
        var other = CorpusSplits.LowResource(items, 1500, 100, 100, seed: 2);

        Assert.Equal((1500, 100, 100), (split.Train.Count, split.Valid.Count, split.Test.Count));
        Assert.Equal(1700, split.Train.Concat(split.Valid).Concat(split.Test).Distinct().Count());
        Assert.Equal(split.Test, again.Test);
        Assert.Equal(split.Train, again.Train);
        Assert.NotEqual(split.Test, other.Test);

        var full = CorpusSplits.Full(items, 100, 100, seed: 1);
        Assert.Equal(12_900, full.Train.Count);
        Assert.Equal(split.Valid, full.Valid);   // the same seed holds out the same sentences
        Assert.Throws<InvalidDataException>(() => CorpusSplits.LowResource(items.Take(1000).ToList()));
    }
}
