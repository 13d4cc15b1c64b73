using SemiNas.Contracts;
using SemiNas.Tts.Data;
using SemiNas.Tts.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.Tts.Tests;

/// <summary>Where the reference code (Zumbalamambo/SemiNAS tts/) is specific, the plugin does what it does.</summary>
public class FidelityTests
{
    // Printed by numpy 1.24.2 (python3 -c 'import numpy as np; np.random.seed(1); print(np.random.permutation(13100)[:12])'),
    // and the other draws below likewise.
    [Fact]
    public void The_split_is_numpys_seeded_permutation()
    {
        Assert.Equal([9405, 4512, 4834, 10028, 1432, 2245, 6922, 674, 7395, 8440, 1820, 12700], NumpyLegacyRandom.Permutation(13_100, 1)[..12]);
        Assert.Equal([2, 9, 6, 4, 0, 3, 1, 7, 8, 5], NumpyLegacyRandom.Permutation(10, 1));
        Assert.Equal([400, 664, 351, 1065, 1368, 1682, 241, 1564, 1102, 1793, 102, 593], NumpyLegacyRandom.Permutation(1859, 1)[..12]);
        Assert.Equal([254, 57, 150, 66, 114, 280, 204, 249, 37, 177, 81, 237], NumpyLegacyRandom.Permutation(300, 7)[..12]);

        // generate_data_low_resource.py: valid = indices[:100], test = indices[100:200], train = the next 1,500, each sorted.
        var split = CorpusSplits.LowResource(Enumerable.Range(0, 13_100).ToList(), 1500, 100, 100, seed: 1);
        Assert.Equal([135, 142, 209, 223, 232], split.Valid.Take(5));
        Assert.Equal([484, 573, 763, 1165, 1197], split.Test.Take(5));
        Assert.Equal([4, 17, 22, 35, 58], split.Train.Take(5));
    }

    [Fact]
    public void Every_decoder_operation_of_the_supernet_has_its_own_encoder_decoder_attention()
    {
        const int h = 16, layers = 2;
        var settings = new TtsModelSettings { Vocabulary = 20, Hidden = h, EncoderLayers = 1, DecoderLayers = layers, MelBins = 8, PrenetWidth = 8 };
        using var perOperation = new TransformerTts(settings with { CrossAttentionPerOperation = true }, null);
        using var perHeads = new TransformerTts(settings, null);
        // 11 attentions per decoder layer instead of 4 (one per head count 1, 2, 4, 8): the 7 convolutions and the
        // LSTM each get their own 1-head attention (4 linear layers) and its LayerNorm.
        Assert.Equal(layers * 7 * (4 * (h * h + h) + 2 * h), perOperation.ParameterCount - perHeads.ParameterCount);
        // A standalone model holds one either way.
        using var a = new TransformerTts(settings with { CrossAttentionPerOperation = true }, [1, 3, 11]);
        using var b = new TransformerTts(settings, [1, 3, 11]);
        Assert.Equal(a.ParameterCount, b.ParameterCount);
    }

    [Fact]
    public void The_attention_constraint_holds_sharp_heads_to_a_window_that_starts_at_the_first_phoneme()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var settings = new TtsModelSettings
        {
            Vocabulary = 30, Hidden = 16, EncoderLayers = 1, DecoderLayers = 2, MelBins = 8, PrenetWidth = 8, Dropout = 0, ReductionFactor = 2,
            CrossAttentionPerOperation = true,
        };
        int[] encoderOps = [9], decoderOps = [3, 8];
        using var model = new TransformerTts(settings, [.. encoderOps, .. decoderOps]);
        model.eval();
        // Sharpen the encoder–decoder attention: large query and key weights make every row nearly one-hot.
        using (no_grad())
            foreach (var (name, parameter) in model.named_parameters())
                if (name.Contains("cross", StringComparison.OrdinalIgnoreCase) && (name.Contains("query") || name.Contains("key")) && name.EndsWith("weight"))
                    parameter.mul_(40);
        var ids = Enumerable.Range(0, 32).Select(k => k < 16 ? 3L + k : k < 25 ? 5L + k - 16 : 0L).ToArray();
        var tokens = tensor(ids, [2, 16]);
        var padding = tokens.eq(0);

        model.AttentionConstraint = false;
        using var free = model.Generate(encoderOps, decoderOps, tokens, padding, 30, stopEarly: false);
        model.AttentionConstraint = true;
        using var constrained = model.Generate(encoderOps, decoderOps, tokens, padding, 30, stopEarly: true);

        // Free decoding looks past the window; the constrained one, whose window is [0, 3] for its first steps, does not.
        Assert.Contains(free.Attention, a => a.narrow(2, 0, 4).narrow(3, 4, 12).sum().item<float>() > 0.5f);
        foreach (var a in constrained.Attention)
            Assert.True(a.narrow(2, 0, 4).narrow(3, 4, 12).sum().item<float>() < 1e-4f, "attention outside the first window");
        // Once a sentence has ended it stays ended.
        var ended = constrained.StopLogits.gt(0);
        for (var i = 0; i < 2; i++)
        {
            var row = ended[i].data<bool>().ToArray();
            var first = Array.IndexOf(row, true);
            if (first >= 0) Assert.All(row[first..], Assert.True);
        }
    }
}

/// <summary>The final model is the best checkpoint by validation loss; the trial objective is selectable; inputs are checked at start.</summary>
[Collection(FliteCorpusCollection.Name)]
public class FinalModelTests(FliteCorpusFixture fixture)
{
    private TtsTask CreateTask(TempFolder folder, SearchObjective objective = SearchObjective.Dfr, string? corpus = null) =>
        (TtsTask)new TtsPlugin().CreateTask(new TtsOptions
        {
            Corpus = corpus ?? fixture.Corpus.Directory,
            TrainUtterances = 8, ValidUtterances = 2, TestUtterances = 2, HardSentences = "",
            EncoderLayers = 1, DecoderLayers = 1,
            Evaluation = CandidateEvaluation.Standalone,
            Objective = objective,
            RewardWeights = [0, 0, 1, 1],
            Search = new TtsModelOptions { Hidden = 16, ReductionFactor = 4, Steps = 4, WarmupSteps = 10, LearningRate = 1, MaxFramesPerBatch = 1200 },
            Final = new TtsModelOptions { Hidden = 16, ReductionFactor = 4, Steps = 9, WarmupSteps = 10, LearningRate = 1, MaxFramesPerBatch = 1200, CheckpointEvery = 2 },
        }, new TaskCreationContext { ConfigDirectory = folder.Path, Seed = 1 });

    [Fact]
    public async Task The_model_kept_is_the_checkpoint_with_the_lowest_validation_loss()
    {
        using var folder = new TempFolder();
        using var task = CreateTask(folder);
        var context = new TrainingContext { Device = "cpu", Seed = 1, OutputDirectory = folder.Combine("final") };
        var trained = await task.TrainAsync(Architecture.Parse("9 3"), context, default);

        var manifest = TtsModelFile.ReadManifest(context.OutputDirectory);
        Assert.Equal(9, manifest.StepsDone);
        Assert.Contains(manifest.BestStep, new[] { 2, 4, 6, 8, 9 });
        Assert.Equal(manifest.BestStep, trained["best_step"]);
        Assert.True(File.Exists(Path.Combine(context.OutputDirectory, TtsModelFile.BestWeightsFile)));
        // The metrics describe the kept model: its validation loss is the best one recorded.
        Assert.Equal(manifest.BestValidLoss!.Value, trained["valid_loss"], 5);

        // Evaluation reads the best weights, resuming the latest.
        var (best, _) = TtsModelFile.Load(context.OutputDirectory, CPU);
        var (latest, _) = TtsModelFile.Load(context.OutputDirectory, CPU, latest: true);
        using (best)
        using (latest)
        {
            var same = best.parameters().Zip(latest.parameters()).All(p => p.First.equal(p.Second).all().item<bool>());
            Assert.Equal(manifest.BestStep == manifest.StepsDone, same);
        }
    }

    [Theory]
    [InlineData(SearchObjective.Dfr, "dfr", MetricGoal.Maximize)]
    [InlineData(SearchObjective.ValidMelLoss, "valid_mel_loss", MetricGoal.Minimize)]
    [InlineData(SearchObjective.Reward, "reward", MetricGoal.Maximize)]
    public async Task The_trial_objective_is_selectable(SearchObjective objective, string metric, MetricGoal goal)
    {
        using var folder = new TempFolder();
        using var task = CreateTask(folder, objective);
        Assert.Equal(new Objective(metric, goal), task.Objective);
        if (objective != SearchObjective.Reward) return;
        var metrics = await task.EvaluateAsync(Architecture.Parse("9 3"), new EvaluationContext
        {
            TrialId = 1, Device = "cpu", Seed = 1, WorkingDirectory = folder.Combine("trials", "1"), ExperimentDirectory = folder.Combine("trials"),
        }, default);
        // rewardWeights [0, 0, 1, 1]: DFR minus the validation loss.
        Assert.Equal(metrics["dfr"] - metrics["valid_loss"], metrics["reward"], 9);
        Assert.True(metrics["valid_mel_loss"] > 0 && metrics["valid_mel_loss"] < metrics["valid_loss"]);
    }

    [Fact]
    public void Inputs_are_checked_at_start_and_skipped_rows_listed()
    {
        using var folder = new TempFolder();
        using (var missing = CreateTask(folder, corpus: "nowhere"))
            Assert.Throws<DirectoryNotFoundException>(() => missing.CheckInputs(TextWriter.Null));

        var root = fixture.CopyTo(folder.Combine("corpus"));
        File.AppendAllLines(Path.Combine(root, "metadata.csv"), ["X-1|A row without its recording.|A row without its recording."]);
        using var task = CreateTask(folder, corpus: "corpus");
        var report = new StringWriter();
        task.CheckInputs(report);
        Assert.Contains($"skipped: {Path.Combine(root, "wavs", "X-1.wav")}: missing WAV file (metadata.csv line {FliteCorpusFixture.Sentences + 1}, id 'X-1')", report.ToString());
    }
}
