using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SemiNas.Tts.Tests;

/// <summary>The plugin inside the real host: a small search, final training and scoring, and the tts command.</summary>
[Collection(FliteCorpusCollection.Name)]
public class HostTests(FliteCorpusFixture fixture)
{
    private static async Task<(int ExitCode, string Output, string Error)> Seminas(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "seminas.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    private string Config(string strategy, int budget) => $$"""
        schemaVersion: 1
        name: tts-small
        seed: 1
        task:
          plugin: tts
          options:
            corpus: {{fixture.Corpus.Directory}}
            trainUtterances: 8
            validUtterances: 2
            testUtterances: 2
            hardSentences: hard.txt
            encoderLayers: 2
            decoderLayers: 2
            evaluation: supernet
            supernetStepsPerCandidate: 10
            search: {hidden: 16, reductionFactor: 4, steps: 10, warmupSteps: 10, learningRate: 1, maxFramesPerBatch: 1200}
            final: {hidden: 16, reductionFactor: 4, steps: 15, warmupSteps: 10, learningRate: 1, maxFramesPerBatch: 1200}
            griffinLimIterations: 8
        search:
          strategy: {{strategy}}
          budget: {{budget}}
        execution:
          workers: 1
          device: cpu
          threads: 1
        """;

    [Fact]
    public async Task A_small_search_trains_the_best_candidate_and_scores_it()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.Combine("tts.yaml"), Config("random", 3));
        File.WriteAllLines(folder.Combine("hard.txt"), ["Buffalo buffalo buffalo buffalo."]);

        var search = await Seminas(folder.Path, "search", "tts.yaml", "--storage", "tts.sqlite", "--workers", "2");
        Assert.True(search.ExitCode == 0, search.Output + search.Error);
        // The evaluations share one supernet: the host runs them one at a time and says so.
        Assert.Contains("plugin 'tts' runs one evaluation at a time", search.Error);
        Assert.Contains("execution.workers 2 is reduced to 1", search.Error);

        var status = await Seminas(folder.Path, "status", "tts.sqlite", "--json");
        Assert.True(status.ExitCode == 0, status.Error);
        Assert.Contains("\"dfr\"", status.Output);

        var train = await Seminas(folder.Path, "train", "tts.sqlite", "--trial", "best", "--output", "final", "--json");
        Assert.True(train.ExitCode == 0, train.Output + train.Error);
        Assert.True(File.Exists(folder.Combine("final", "model.json")));
        // With --json, standard output is the JSON alone; the training's progress went to standard error: its stage
        // started and ended once, whatever the number of steps reported in between.
        using (var trained = JsonDocument.Parse(train.Output))
            Assert.Equal(JsonValueKind.Object, trained.RootElement.GetProperty("metrics").ValueKind);
        Assert.Single(Lines(train.Error), l => l.StartsWith("training: started | ", StringComparison.Ordinal));
        Assert.Single(Lines(train.Error), l => l.StartsWith("training: done in ", StringComparison.Ordinal));
        // What the plugin logs while training is on the console and in the model folder's train.log.
        Assert.Contains("The best validation loss", train.Error);
        Assert.Contains("The best validation loss", File.ReadAllText(folder.Combine("final", "train.log")));

        var eval = await Seminas(folder.Path, "eval", "tts.sqlite", "--trial", "best", "--output", "final", "--json");
        Assert.True(eval.ExitCode == 0, eval.Output + eval.Error);
        using var metrics = JsonDocument.Parse(File.ReadAllText(folder.Combine("final", "eval-metrics.json")));
        Assert.InRange(metrics.RootElement.GetProperty("intelligibility_rate").GetDouble(), 0, 1);
        Assert.InRange(metrics.RootElement.GetProperty("ground_truth_open_wer").GetDouble(), 0, 0.7);
        Assert.Equal(0, metrics.RootElement.GetProperty("ground_truth_mcd_db").GetDouble(), 3);

        // A baseline outside the searched trials trains with the same recipe; an architecture outside the space is refused.
        var baseline = await Seminas(folder.Path, "train", "tts.sqlite", "--arch", "9 9 9 9", "--json");
        Assert.True(baseline.ExitCode == 0, baseline.Output + baseline.Error);
        using (var manifest = JsonDocument.Parse(File.ReadAllText(folder.Combine("tts-small.final", "arch-9-9-9-9", "model.json"))))
            Assert.Equal([9, 9, 9, 9], manifest.RootElement.GetProperty("Architecture").EnumerateArray().Select(t => t.GetInt32()));
        // Another training seed goes to its own folder, with other weights.
        var reseeded = await Seminas(folder.Path, "train", "tts.sqlite", "--arch", "9 9 9 9", "--seed", "2", "--json");
        Assert.True(reseeded.ExitCode == 0, reseeded.Output + reseeded.Error);
        Assert.NotEqual(File.ReadAllBytes(folder.Combine("tts-small.final", "arch-9-9-9-9", "model.bin")),
            File.ReadAllBytes(folder.Combine("tts-small.final", "arch-9-9-9-9-seed2", "model.bin")));
        var outside = await Seminas(folder.Path, "train", "tts.sqlite", "--arch", "9 9 9 12");
        Assert.Equal(1, outside.ExitCode);
        Assert.Contains("--arch '9 9 9 12' is not in the search space", outside.Error);
        var both = await Seminas(folder.Path, "eval", "tts.sqlite", "--arch", "9 9 9 9", "--trial", "1");
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("not both", both.Error);

        // The saved model is what `seminas tts evaluate --model` reads too.
        var evaluate = await Seminas(folder.Path, "tts", "evaluate", "--corpus", fixture.Corpus.Directory, "--model", "final", "--hard", "none",
            "--iterations", "8", "--out", "tts-eval", "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.Output + evaluate.Error);
        Assert.Contains("\"intelligibility_rate\"", evaluate.Output);
        // Its stages, each started and ended in turn on standard error while standard output holds the JSON alone.
        using (JsonDocument.Parse(evaluate.Output))
        {
        }
        var stages = Lines(evaluate.Error).Select(l => Regex.Match(l, "^(.+?): (started|done in )")).Where(m => m.Success).Select(m => m.Value).ToList();
        string[] expected =
        [
            "loading the model and the test sentences", "in-domain recogniser", "test sentences: synthesis", "test sentences: Griffin-Lim",
            "test sentences: pocketsphinx", "recordings (ceiling): Griffin-Lim", "recordings (ceiling): pocketsphinx",
        ];
        Assert.Equal(expected.SelectMany(stage => new[] { $"{stage}: started", $"{stage}: done in " }), stages);
        Assert.Contains("test sentences: Griffin-Lim: done in ", evaluate.Error);
        Assert.Contains("| 2/2 sentences (100%)", evaluate.Error);

        // The cheap evaluation for comparing many models: the in-domain recogniser and MCD, no pocketsphinx, no ceiling.
        var cheap = await Seminas(folder.Path, "tts", "evaluate", "--corpus", fixture.Corpus.Directory, "--model", "final", "--hard", "none",
            "--no-sphinx", "--no-ceiling", "--out", "tts-eval-cheap", "--json");
        Assert.True(cheap.ExitCode == 0, cheap.Output + cheap.Error);
        using (var cheapJson = JsonDocument.Parse(cheap.Output))
        {
            Assert.Equal(JsonValueKind.Null, cheapJson.RootElement.GetProperty("groundTruth").ValueKind);
            Assert.Equal(JsonValueKind.Null, cheapJson.RootElement.GetProperty("openVocabulary").ValueKind);
            Assert.InRange(cheapJson.RootElement.GetProperty("recogniser").GetProperty("cer").GetDouble(), 0, 10);
            Assert.StartsWith("prefix beam search", cheapJson.RootElement.GetProperty("recogniserDecoding").GetString());
        }
        Assert.DoesNotContain("pocketsphinx", string.Join('\n', Lines(cheap.Error).Where(l => l.Contains(": started", StringComparison.Ordinal))));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task The_host_lists_the_plugin_and_runs_its_command()
    {
        using var folder = new TempFolder();
        var plugins = await Seminas(folder.Path, "plugins", "--json");
        Assert.True(plugins.ExitCode == 0, plugins.Error);
        Assert.Contains("\"tts\"", plugins.Output);

        var usage = await Seminas(folder.Path, "tts", "make-corpus", "--out", "x");
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("'--sentences' is required", usage.Error);

        var plugin = Path.Combine(AppContext.BaseDirectory, "plugins", "SemiNas.Tts");
        Assert.Empty(Directory.GetFiles(plugin, "libtorch*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(plugin, "TorchSharp.dll", SearchOption.AllDirectories));
    }
}
