using System.Diagnostics;
using NAudio.Wave;
using SemiNas.Storage;
using SemiNas.Tts.Audio;
using SemiNas.Tts.Data;

namespace SemiNas.Tts.Tests;

/// <summary>Corpus problems found when they are read: broken WAV layouts and text that is not UTF-8.</summary>
public class BadInputTests
{
    private static string WriteSine(string path, double seconds = 0.3)
    {
        using (var writer = new WaveFileWriter(path, new WaveFormat(22_050, 16, 1)))
        {
            var samples = Enumerable.Range(0, (int)(22_050 * seconds)).Select(i => (float)(0.5 * Math.Sin(2 * Math.PI * 220 * i / 22_050))).ToArray();
            writer.WriteSamples(samples, 0, samples.Length);
        }
        return path;
    }

    private static string Corpus(TempFolder folder, int rows = 3)
    {
        var root = folder.Combine("corpus");
        Directory.CreateDirectory(Path.Combine(root, "wavs"));
        var lines = Enumerable.Range(1, rows).Select(i => $"A-{i}|Sentence number {i}.|Sentence number {i}.").ToList();
        File.WriteAllLines(Path.Combine(root, "metadata.csv"), lines);
        for (var i = 1; i <= rows; i++) WriteSine(Path.Combine(root, "wavs", $"A-{i}.wav"));
        return root;
    }

    // The data chunk's size field: after "data", wherever the writer put it (NAudio writes an 18-byte fmt chunk).
    private static int DataSizeOffset(string path) => File.ReadAllBytes(path).AsSpan().IndexOf("data"u8) + 4;

    private static void Patch(string path, int offset, uint value)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.Position = offset;
        stream.Write(BitConverter.GetBytes(value));
    }

    public static TheoryData<string, string> BrokenWavs() => new()
    {
        { "truncated", "only" },
        { "claims-2GB", "2,147,483,647 bytes" },
        { "trailing-bytes", "longer than its header says" },
    };

    [Theory]
    [MemberData(nameof(BrokenWavs))]
    public void A_wav_whose_data_does_not_match_its_header_is_reported_with_file_and_line(string damage, string expected)
    {
        using var folder = new TempFolder();
        var root = Corpus(folder);
        var wav = Path.Combine(root, "wavs", "A-2.wav");
        switch (damage)
        {
            case "truncated":
                using (var stream = new FileStream(wav, FileMode.Open)) stream.SetLength(stream.Length - 1000);
                break;
            case "claims-2GB":
                Patch(wav, 4, uint.MaxValue);
                Patch(wav, DataSizeOffset(wav), int.MaxValue);
                break;
            default:
                File.AppendAllText(wav, new string('\0', 777));
                break;
        }
        // NAudio alone reads each of these without complaint.
        using (var reader = new WaveFileReader(wav)) Assert.True(reader.SampleCount > 0);

        var corpus = LjSpeechCorpus.Load(root, BadInputPolicy.Skip);

        Assert.Equal(["A-1", "A-3"], corpus.Utterances.Select(u => u.Id));
        var problem = Assert.Single(corpus.Problems).ToString();
        Assert.StartsWith(wav, problem);
        Assert.Contains("metadata.csv line 2", problem);
        Assert.Contains(expected, problem);
        var error = Assert.Throws<InvalidDataException>(() => LjSpeechCorpus.Load(root, BadInputPolicy.Fail));
        Assert.Contains(wav, error.Message);
        Assert.Throws<InvalidDataException>(() => WavIo.ReadMono(wav, 22_050));
    }

    [Fact]
    public void Whole_chunks_after_the_data_chunk_are_fine()
    {
        using var folder = new TempFolder();
        var wav = WriteSine(folder.Combine("a.wav"));
        using (var stream = new FileStream(wav, FileMode.Append))
        {
            stream.Write("LIST"u8);
            stream.Write(BitConverter.GetBytes(4u));
            stream.Write("INFO"u8);
        }
        Assert.Null(WavIo.CheckChunks(wav));
        Assert.InRange(WavIo.ReadMono(wav, 22_050).Length, 6_000, 7_000);
    }

    [Fact]
    public void Metadata_that_is_not_utf8_is_reported_with_its_line()
    {
        using var folder = new TempFolder();
        var root = Corpus(folder);
        var metadata = Path.Combine(root, "metadata.csv");
        var bytes = File.ReadAllBytes(metadata).ToList();
        var secondLine = bytes.IndexOf((byte)'\n') + 1;
        bytes.Insert(secondLine + 6, 0xE9);   // Latin-1 'é' inside "A-2|Se..."
        File.WriteAllBytes(metadata, [.. bytes]);

        var corpus = LjSpeechCorpus.Load(root, BadInputPolicy.Skip);

        Assert.Equal(["A-1", "A-3"], corpus.Utterances.Select(u => u.Id));
        var problem = Assert.Single(corpus.Problems).ToString();
        Assert.Equal($"{metadata}:2: not valid UTF-8: byte 0xE9 at byte column 7 (save metadata.csv as UTF-8)", problem);
        Assert.Contains($"{metadata}:2: not valid UTF-8", Assert.Throws<InvalidDataException>(() => LjSpeechCorpus.Load(root, BadInputPolicy.Fail)).Message);
    }
}

/// <summary>
/// `seminas search` on a broken corpus: it stops before any trial with a non-zero exit, leaves the experiment
/// unfinished, and the same command runs once the corpus is fixed; skipped rows are listed when it starts.
/// </summary>
[Collection(FliteCorpusCollection.Name)]
public class SearchStartupTests(FliteCorpusFixture fixture)
{
    private static async Task<(int ExitCode, string Output, string Error)> Seminas(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "seminas.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    private static string Config(string corpus, string badInput) => $$"""
        schemaVersion: 1
        name: broken
        seed: 1
        task:
          plugin: tts
          options:
            corpus: {{corpus}}
            badInput: {{badInput}}
            trainUtterances: 6
            validUtterances: 2
            testUtterances: 2
            hardSentences: ""
            encoderLayers: 1
            decoderLayers: 1
            evaluation: standalone
            search: {hidden: 16, reductionFactor: 4, steps: 3, warmupSteps: 10, learningRate: 1, maxFramesPerBatch: 1200}
        search:
          strategy: random
          budget: 2
        execution:
          workers: 1
          device: cpu
          threads: 1
        """;

    private static ExperimentRecord? Stored(string store)
    {
        using var opened = ExperimentStore.Open(store);
        return opened.FindExperiment("broken");
    }

    private static int Trials(string store)
    {
        using var opened = ExperimentStore.Open(store);
        return opened.FindExperiment("broken") is { } e ? opened.LoadTrials(e.Id).Count : 0;
    }

    private string CopyCorpus(TempFolder folder) => fixture.CopyTo(folder.Combine("corpus"));

    [Fact]
    public async Task A_missing_or_bad_corpus_stops_the_search_before_any_trial_and_the_same_command_resumes()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.Combine("fail.yaml"), Config("corpus", "fail"));

        // No corpus yet.
        var missing = await Seminas(folder.Path, "search", "fail.yaml", "--storage", "fail.sqlite");
        Assert.True(missing.ExitCode != 0, missing.Output);
        Assert.Contains("does not exist", missing.Error);
        Assert.Null(Stored(folder.Combine("fail.sqlite"))?.FinishedAt);
        Assert.Equal(0, Trials(folder.Combine("fail.sqlite")));

        // A corpus with a truncated WAV, under badInput: fail.
        var root = CopyCorpus(folder);
        var wav = Directory.GetFiles(Path.Combine(root, "wavs")).Order(StringComparer.Ordinal).First();
        var whole = File.ReadAllBytes(wav);
        File.WriteAllBytes(wav, whole[..(whole.Length / 2)]);
        var broken = await Seminas(folder.Path, "search", "fail.yaml", "--storage", "fail.sqlite");
        Assert.True(broken.ExitCode != 0, broken.Output);
        Assert.Contains(wav, broken.Error);
        Assert.Contains("truncated", broken.Error);
        Assert.Contains("metadata.csv line", broken.Error);
        var stored = Stored(folder.Combine("fail.sqlite"));
        Assert.NotNull(stored);
        Assert.Null(stored.FinishedAt);
        Assert.Equal(0, Trials(folder.Combine("fail.sqlite")));

        // Fixed: the same command runs the search.
        File.WriteAllBytes(wav, whole);
        var fixedRun = await Seminas(folder.Path, "search", "fail.yaml", "--storage", "fail.sqlite");
        Assert.True(fixedRun.ExitCode == 0, fixedRun.Output + fixedRun.Error);
        Assert.NotNull(Stored(folder.Combine("fail.sqlite"))!.FinishedAt);
        Assert.Equal(2, Trials(folder.Combine("fail.sqlite")));

        // Under badInput: skip the same damage is listed, with file and line, when the search starts.
        File.WriteAllBytes(wav, whole[..(whole.Length / 2)]);
        File.WriteAllText(folder.Combine("skip.yaml"), Config("corpus", "skip"));
        var skipped = await Seminas(folder.Path, "search", "skip.yaml", "--storage", "skip.sqlite");
        Assert.True(skipped.ExitCode == 0, skipped.Output + skipped.Error);
        Assert.Contains("1 row(s) of the corpus", skipped.Error);
        Assert.Contains($"skipped: {wav}: ", skipped.Error);
        Assert.Contains("metadata.csv line ", skipped.Error);
    }
}
