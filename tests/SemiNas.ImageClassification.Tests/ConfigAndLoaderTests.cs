using SemiNas.Contracts;
using SemiNas.Host.Configuration;
using SemiNas.ImageClassification.Data;
using SemiNas.ImageClassification.Model;
using SemiNas.ImageClassification.Training;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Tests;

/// <summary>The shipped image configurations, grey input, the prefetching loader and the final training's output.</summary>
public sealed class ConfigAndLoaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("seminas-image-config-").FullName;

    public ConfigAndLoaderTests() => set_num_threads(1);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static long CountParameters(nn.Module module) => module.parameters().Sum(p => p.numel());

    [Fact]
    public void MobileNetV2_1_0_in_the_shipped_stage_format_has_300_774_272_multiply_adds_and_3_504_872_parameters()
    {
        var options = TestConfigs.Options("mobilenetv2-1.0.yaml");
        var chain = ChainSpec.From(options.Space, inChannels: options.Dataset.Channels);
        var space = new ChainSearchSpace(chain);
        Assert.Equal(16, space.Length);
        Assert.All(space.AllowedTokens, allowed => Assert.Equal([1], allowed));
        var mobileNetV2 = new Architecture(Enumerable.Repeat(1, 16));

        var cost = CostModel.Of(chain, mobileNetV2);
        Assert.Equal(300_774_272, cost.MultiplyAdds);
        Assert.Equal(3_504_872, cost.Parameters);
        using var network = new ChainNetwork(chain, mobileNetV2);
        Assert.Equal(3_504_872, CountParameters(network));
    }

    [Fact]
    public void The_paper_config_searches_at_width_1_without_a_FLOPs_term_and_widens_SemiNASNet_to_598_952_544_multiply_adds()
    {
        var loaded = ConfigLoader.Load(TestConfigs.Path("imagenet-paper.yaml"));
        Assert.Empty(loaded.Config.Constraints);
        var options = TestConfigs.Options("imagenet-paper.yaml");
        Assert.Equal(1.0, options.Space.WidthMultiplier);
        Assert.True(loaded.Config.Execution.Workers >= options.Evaluation.Supernet.PoolSize);

        var search = CostModel.Of(ChainSpec.From(options.Space), CostModelTests.SemiNasNet);
        var final = CostModel.Of(ChainSpec.From(options.Space, options.Final.WidthMultiplier), CostModelTests.SemiNasNet);
        Assert.Equal((598_952_544, 6_319_360), (final.MultiplyAdds, final.Parameters));
        Assert.True(search.MultiplyAdds < 400e6);
    }

    [Theory]
    [InlineData("fashion-mnist.yaml")]
    [InlineData("image-synthetic.yaml")]
    [InlineData("cifar10-proxy.yaml")]
    [InlineData("imagenet-600m.yaml")]
    [InlineData("imagenet-paper.yaml")]
    public void Shipped_supernet_configs_hand_out_whole_rounds_the_size_of_the_strategys_batches(string file)
    {
        var loaded = ConfigLoader.Load(TestConfigs.Path(file));
        var options = TestConfigs.Options(file);
        var supernet = options.Evaluation.Supernet;
        Assert.True(loaded.Config.Execution.Workers >= Math.Max(supernet.PoolSize, supernet.RoundSize), file);
        using var plan = Host.Experiments.ExperimentPlan.Create(loaded, new ImageClassificationPlugin(), Path.Combine(_folder, $"{file}.sqlite"));
        var search = plan.StrategyOptions as Controller.Strategies.SemiNasOptions;
        Assert.NotNull(search);
        Assert.Equal(search.InitialSamples, supernet.PoolSize);
        Assert.Equal(search.NewPerIteration, supernet.RoundSize);
    }

    [Fact]
    public void The_Fashion_MNIST_config_reads_grey_28x28_images_into_a_1_channel_stem_under_a_limit_that_matters()
    {
        var loaded = ConfigLoader.Load(TestConfigs.Path("fashion-mnist.yaml"));
        var options = TestConfigs.Options("fashion-mnist.yaml");
        Assert.Equal(DatasetKind.FashionMnist, options.Dataset.Kind);
        var chain = ChainSpec.From(options.Space, inChannels: options.Dataset.Channels);
        Assert.Equal((1, 28), (chain.InChannels, chain.Resolution));
        var space = new ChainSearchSpace(chain);
        var limit = loaded.Config.Constraints["flops"].Max!.Value;
        var random = new Random(1);
        var within = Enumerable.Range(0, 1000).Count(_ => CostModel.Of(chain, space.Sample(random)).MultiplyAdds <= limit);
        Assert.InRange(within, 150, 600);
        var allK3e6 = new Architecture(Enumerable.Repeat(2, space.Length));
        Assert.True(CostModel.Of(chain, allK3e6).MultiplyAdds > limit);

        using var network = new ChainNetwork(chain, allK3e6);
        Assert.Equal(CostModel.Of(chain, allK3e6).Parameters, CountParameters(network));
        using var input = zeros(2, 1, 28, 28);
        using var logits = network.forward(input);
        Assert.Equal([2L, 10], logits.shape);
    }

    [Fact]
    public void A_grey_data_set_needs_one_mean_and_one_std()
    {
        var options = TestConfigs.Options("image-synthetic.yaml");
        options.Dataset = new DatasetOptions { Kind = DatasetKind.FashionMnist };
        var errors = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        errors.AddRange(options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)));
        Assert.Contains(errors, e => e.ErrorMessage!.Contains("dataset.mean and dataset.std need 1 value each for dataset.kind fashion-mnist"));
    }

    [Fact]
    public void Prefetching_batches_on_a_background_thread_trains_exactly_as_preparing_them_in_the_loop()
    {
        var chain = ModelTests.TinyChain();
        var architecture = new ChainSearchSpace(chain).Sample(new Random(2));
        using var images = SyntheticImages.Generate(256, 10, 32, 7);
        var dataset = new DatasetOptions { MinCropScale = 0.35, ColorJitter = new ColorJitterOptions { Brightness = 0.3, Contrast = 0.3 } };

        List<double> Train(int prefetch)
        {
            manual_seed(4);
            using var network = new ChainNetwork(chain, architecture);
            using var trainer = new SgdTrainer(network, new OptimizerOptions { BatchSize = 32, LearningRate = 0.05 }, 12);
            using var augmentation = new Augmentation(dataset, 32, CPU);
            var sampler = new BatchSampler(images.Count, 32, 9);
            var losses = new List<double>();
            network.train();
            TrainingLoop.Run(trainer, images, augmentation, sampler, 12, _ => network.forward, int.MaxValue, () => { },
                r => losses.Add(r.Loss), CancellationToken.None, prefetch);
            return losses;
        }

        var inLoop = Train(0);
        var prefetched = Train(3);
        Assert.Equal(12, inLoop.Count);
        Assert.Equal(inLoop, prefetched);
    }

    [Fact]
    public void A_failing_batch_stops_the_training_with_its_error_and_cancellation_stops_the_prefetch_thread()
    {
        var chain = ModelTests.TinyChain();
        var architecture = new ChainSearchSpace(chain).Sample(new Random(2));
        using var network = new ChainNetwork(chain, architecture);
        using var trainer = new SgdTrainer(network, new OptimizerOptions { BatchSize = 8, LearningRate = 0.05 }, 100);
        using var augmentation = new Augmentation(new DatasetOptions(), 32, CPU);
        using var images = SyntheticImages.Generate(64, 10, 32, 7);
        var failing = new FailingSet(images, failAt: 3);
        var sampler = new BatchSampler(images.Count, 8, 1);
        var error = Assert.Throws<InvalidDataException>(() => TrainingLoop.Run(trainer, failing, augmentation, sampler, 100,
            _ => network.forward, int.MaxValue, () => { }, null, CancellationToken.None, prefetch: 2));
        Assert.Equal("broken image", error.Message);
        Assert.Equal(3, trainer.Step);

        using var cancel = new CancellationTokenSource();
        trainer.Step = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => TrainingLoop.Run(trainer, images, augmentation, sampler, 100,
            _ => network.forward, int.MaxValue, () => { }, r => { if (r.Step == 5) cancel.Cancel(); }, cancel.Token, prefetch: 2));
        Assert.Equal(5, trainer.Step);
    }

    [Fact]
    public async Task Final_training_prints_a_summary_per_epoch_and_no_line_per_step()
    {
        var options = TestConfigs.Options("image-synthetic.yaml");
        options.Final.Epochs = 3;
        options.Final.ProgressSeconds = 3600;
        using var task = (ImageClassificationTask)new ImageClassificationPlugin().CreateTask(options,
            new TaskCreationContext { ConfigDirectory = _folder, Seed = 1 });
        var lines = new List<EvaluationProgress>();
        var context = new TrainingContext
        {
            Device = "cpu", Seed = 3, OutputDirectory = Path.Combine(_folder, "final"), Progress = new Synchronous(lines.Add),
        };
        var metrics = await task.TrainAsync(task.Space.Sample(new Random(5)), context, CancellationToken.None);

        // 37 training steps per epoch (the synthetic set after its validation split, batches of 32), 111 in all, yet 3 epoch
        // lines and 1 scoring line.
        Assert.Equal(3, lines.Count(l => l.Message!.Contains("done: train loss")));
        Assert.Equal(4, lines.Count);
        // Each epoch line carries that epoch's summary at its step, for the console (train keeps no intermediate values).
        Assert.All(lines.Take(3), l => Assert.True(l.Metrics!.ContainsKey("train_loss") && l.Step > 0));
        Assert.Contains("epoch 3/3 done", lines[2].Message);
        Assert.True(metrics["train_seconds"] > 0);

        // final.seed trains the same architecture again from other weights.
        options.Final.Seed = 1;
        using var reseeded = (ImageClassificationTask)new ImageClassificationPlugin().CreateTask(options,
            new TaskCreationContext { ConfigDirectory = _folder, Seed = 1 });
        var other = await reseeded.TrainAsync(task.Space.Sample(new Random(5)), new TrainingContext
        {
            Device = "cpu", Seed = 3, OutputDirectory = Path.Combine(_folder, "final-seed1"),
        }, CancellationToken.None);
        Assert.NotEqual(metrics["train_loss"], other["train_loss"]);
    }

    private sealed class FailingSet(IImageSet inner, int failAt) : IImageSet
    {
        private int _loads;

        public int Count => inner.Count;
        public int Size => inner.Size;
        public int Classes => inner.Classes;
        public IReadOnlyList<int> Labels => inner.Labels;

        public Tensor Load(IReadOnlyList<int> indices) =>
            Interlocked.Increment(ref _loads) > failAt ? throw new InvalidDataException("broken image") : inner.Load(indices);
    }

    private sealed class Synchronous(Action<EvaluationProgress> report) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress value) => report(value);
    }
}
