using SemiNas.Contracts;
using SemiNas.Tts.Model;
using TorchSharp;

namespace SemiNas.Tts.Tests;

[Collection(FliteCorpusCollection.Name)]
public class TaskTests(FliteCorpusFixture fixture)
{
    private TtsTask CreateTask(TempFolder folder, CandidateEvaluation evaluation, int steps = 30, int warmup = 0, int checkpointEvery = 500)
    {
        File.WriteAllLines(folder.Combine("hard.txt"), ["The the the cat sat on on the mat.", "Add 17 and 29."]);
        var options = new TtsOptions
        {
            Corpus = fixture.Corpus.Directory,
            TrainUtterances = 8,
            ValidUtterances = 2,
            TestUtterances = 2,
            HardSentences = "hard.txt",
            EncoderLayers = 2,
            DecoderLayers = 2,
            Evaluation = evaluation,
            SupernetStepsPerCandidate = steps,
            SupernetWarmupSteps = warmup,
            Search = new TtsModelOptions { Hidden = 16, ReductionFactor = 4, Steps = steps, WarmupSteps = 10, LearningRate = 1, MaxFramesPerBatch = 1200 },
            Final = new TtsModelOptions
            {
                Hidden = 16, ReductionFactor = 4, Steps = steps, WarmupSteps = 10, LearningRate = 1, MaxFramesPerBatch = 1200, CheckpointEvery = checkpointEvery,
            },
            GriffinLimIterations = 8,
        };
        return (TtsTask)new TtsPlugin().CreateTask(options, new TaskCreationContext { ConfigDirectory = folder.Path, Seed = 1 });
    }

    private static EvaluationContext Context(TempFolder folder, long trial) => new()
    {
        TrialId = trial, Device = "cpu", Seed = (int)trial, WorkingDirectory = folder.Combine("trials", trial.ToString()), ExperimentDirectory = folder.Combine("trials"),
    };

    [Fact]
    public void The_space_has_11_operations_per_layer_and_describes_them()
    {
        var space = new TtsSearchSpace(6, 6);
        Assert.Equal(12, space.Length);
        Assert.Equal(12, space.VocabularySize);
        var architecture = Architecture.Parse("10 10 4 3 6 3 9 2 4 2 11 6");   // the paper's low-resource result
        Assert.True(space.IsValid(architecture, out _));
        Assert.Equal("encoder attn8 attn8 conv13 conv9 conv21 conv9 | decoder attn4 conv5 conv13 conv5 lstm conv21", space.Describe(architecture));
        Assert.False(space.IsValid(Architecture.Parse("12 1 1 1 1 1 1 1 1 1 1 1"), out var reason));
        Assert.Contains("1..11", reason);
        Assert.Equal(Enumerable.Repeat(9, 12), space.Baseline.Tokens);

        // One operation leaves one architecture: the baseline configuration's space.
        var baseline = new TtsSearchSpace(3, 3, [9]);
        Assert.All(baseline.AllowedTokens, allowed => Assert.Equal([9], allowed));
        Assert.Equal("9 9 9 9 9 9", baseline.Sample(new Random(5)).ToString());
        Assert.False(baseline.IsValid(Architecture.Parse("9 9 9 9 9 1"), out var outside));
        Assert.Contains("not one of this space's operations 9", outside);
    }

    [Fact]
    public async Task Supernet_evaluations_share_weights_and_report_attention_metrics()
    {
        using var folder = new TempFolder();
        using var task = CreateTask(folder, CandidateEvaluation.Supernet, warmup: 15);
        var first = await task.EvaluateAsync(Architecture.Parse("9 3 11 2"), Context(folder, 1), default);
        var second = await task.EvaluateAsync(Architecture.Parse("1 8 10 11"), Context(folder, 2), default);

        foreach (var metrics in new[] { first, second })
        {
            Assert.InRange(metrics["dfr"], 0, 1);
            Assert.InRange(metrics["focus_rate"], 0, 1);
            Assert.InRange(metrics["phone_coverage"], 0, 1);
            Assert.True(double.IsFinite(metrics["valid_loss"]));
            Assert.True(metrics["params"] > 0);
        }
        var supernet = folder.Combine("trials", "tts-supernet");
        Assert.True(File.Exists(Path.Combine(supernet, "supernet.bin")));
        Assert.Equal(["9 3 11 2", "1 8 10 11"], File.ReadAllLines(Path.Combine(supernet, "pool.txt")));
        // 15 warm-up steps on the whole space before the first candidate, then 30 per candidate.
        Assert.Equal("75", File.ReadAllText(Path.Combine(supernet, "steps.txt")));
    }

    [Fact]
    public async Task A_missing_corpus_does_not_stop_validation_but_fails_the_evaluation_with_the_fix()
    {
        using var folder = new TempFolder();
        using var task = (TtsTask)new TtsPlugin().CreateTask(new TtsOptions { Corpus = "nowhere", EncoderLayers = 2, DecoderLayers = 2 },
            new TaskCreationContext { ConfigDirectory = folder.Path, Seed = 1 });
        Assert.Equal(4, task.Space.Length);
        Assert.True(task.CheapMetrics(Architecture.Parse("1 2 3 4"))["params"] > 0);
        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => task.EvaluateAsync(Architecture.Parse("1 2 3 4"), Context(folder, 1), default));
        Assert.Contains(folder.Combine("nowhere"), error.Message);
        Assert.Contains("seminas tts make-corpus", error.Message);
        Assert.Equal(Text.PhonemeSet.Size, new Text.PhonemeSet(Text.CmuDict.Debian).Count);
    }

    [Fact]
    public void Cheap_params_count_the_chosen_operations_at_the_final_size()
    {
        using var folder = new TempFolder();
        using var task = CreateTask(folder, CandidateEvaluation.Standalone);
        foreach (var text in new[] { "1 1 1 1", "7 10 11 11", "9 9 9 9" })
        {
            var architecture = Architecture.Parse(text);
            using var model = new TransformerTts(task.ModelSettings(new TtsModelOptions { Hidden = 16, ReductionFactor = 4 }), architecture.Tokens.ToArray());
            Assert.Equal(model.ParameterCount, task.CheapMetrics(architecture)["params"]);
        }
        Assert.True(task.CheapMetrics(Architecture.Parse("7 7 7 7"))["params"] > task.CheapMetrics(Architecture.Parse("1 1 1 1"))["params"]);
    }

    [Fact]
    public async Task Final_training_checkpoints_resumes_and_is_scored_by_the_recogniser()
    {
        using var folder = new TempFolder();
        using var task = CreateTask(folder, CandidateEvaluation.Standalone, steps: 20);
        var architecture = Architecture.Parse("9 5 9 11");
        var context = new TrainingContext { Device = "cpu", Seed = 1, OutputDirectory = folder.Combine("final") };

        var trained = await task.TrainAsync(architecture, context, default);
        Assert.Equal(20, trained["steps"]);
        var manifest = TtsModelFile.ReadManifest(context.OutputDirectory);
        Assert.Equal(20, manifest.StepsDone);
        Assert.Equal([9, 5, 9, 11], manifest.Architecture);

        // Called again, the finished training is not repeated, and its time is the first run's, not this call's;
        // a wrong architecture is refused.
        var again = await task.TrainAsync(architecture, context, default);
        Assert.Equal(20, again["steps"]);
        Assert.True(manifest.TrainingSeconds > 0);
        Assert.True(again["train_seconds"] >= manifest.TrainingSeconds, $"{again["train_seconds"]} s reported, {manifest.TrainingSeconds} s trained");
        await Assert.ThrowsAsync<InvalidOperationException>(() => task.TrainAsync(Architecture.Parse("1 1 1 1"), context, default));

        var scored = await task.EvaluateTrainedAsync(architecture, context, default);
        foreach (var name in new[] { "intelligibility_rate", "wer", "cer", "open_wer", "open_cer", "open_sentence_accuracy", "per", "mcd_db",
                     "robustness_error_rate", "ground_truth_wer", "ground_truth_open_wer", "ground_truth_intelligibility_rate", "ground_truth_mcd_db" })
            Assert.True(scored.ContainsKey(name), name);
        // 20 steps teach nothing: the model's speech is not understood, the recordings' own mels are.
        Assert.True(scored["open_cer"] > scored["ground_truth_open_cer"], $"model open CER {scored["open_cer"]}, ground truth {scored["ground_truth_open_cer"]}");
        Assert.True(scored["mcd_db"] > scored["ground_truth_mcd_db"] + 1, $"model MCD {scored["mcd_db"]} dB, ground truth {scored["ground_truth_mcd_db"]} dB");
        Assert.Equal(2, Directory.GetFiles(Path.Combine(context.OutputDirectory, "evaluation", "test"), "*.wav").Length);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(context.OutputDirectory, "evaluation", "hard"), "*.wav").Length);
    }

    [Fact]
    public async Task A_final_training_stopped_at_a_checkpoint_resumes_to_the_weights_of_an_uninterrupted_one()
    {
        using var folder = new TempFolder();
        var architecture = Architecture.Parse("9 5 9 11");
        TrainingContext Context(string name) => new() { Device = "cpu", Seed = 1, OutputDirectory = folder.Combine(name) };
        async Task Train(string name, int steps)
        {
            using var task = CreateTask(folder, CandidateEvaluation.Standalone, steps, checkpointEvery: 10);
            await task.TrainAsync(architecture, Context(name), default);
        }
        TransformerTts Latest(string name) => TtsModelFile.Load(folder.Combine(name), torch.CPU, latest: true).Model;

        await Train("whole", 30);
        await Train("resumed", 10);
        using var stopped = Latest("resumed");
        await Train("resumed", 30);

        // The weights match only if the resumed run draws the batches and the dropout masks that the uninterrupted one
        // drew from step 10 on (they came out identical here; the margin allows for kernels whose rounding may depend on
        // memory alignment, far below the 0.7 a fresh data order made).
        using var whole = Latest("whole");
        using var resumed = Latest("resumed");
        Assert.True(MaxDifference(whole, stopped) > 1e-3, "twenty more steps changed nothing, so the comparison below shows nothing");
        Assert.True(MaxDifference(whole, resumed) < 1e-4, $"the resumed weights differ from the uninterrupted ones by up to {MaxDifference(whole, resumed)}");
    }

    private static double MaxDifference(TransformerTts a, TransformerTts b)
    {
        using var scope = torch.NewDisposeScope();
        return a.parameters().Zip(b.parameters(), (x, y) => (x - y).abs().max().item<float>()).Max();
    }
}
