using System.Diagnostics;
using System.Globalization;
using SemiNas.Contracts;
using SemiNas.ImageClassification.Data;
using SemiNas.ImageClassification.Model;
using SemiNas.ImageClassification.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification;

/// <summary><c>seminas image ...</c>: a training-throughput benchmark and a generator of CIFAR-10-format data.</summary>
internal static class ImageCommands
{
    public static PluginCommand Command { get; } = new("image",
        "Image-classification tools: 'image bench' (training throughput), 'image make-cifar' (synthetic CIFAR-10-format data).")
    {
        Subcommands =
        [
            new("bench",
                "Images/s of the data loader alone (load, decode, random-resized crop, colour jitter, normalise: the same pipeline and " +
                "prefetch as training), of one training step alone (inputs already prepared) for the supernet (a random path of the " +
                "SemiNAS ImageNet space) and a standalone candidate (SemiNASNet), and of the candidate's training with the loader, so " +
                "that one sees which of the two limits. Data: generated images, --folder or --idx.")
            {
                Options =
                [
                    new("--resolution", typeof(int), "Image side in pixels (default 32)."),
                    new("--batch", typeof(int), "Batch size (default 64)."),
                    new("--steps", typeof(int), "Timed steps (default 10)."),
                    new("--width", typeof(double), "Width multiplier of the networks (default 1.0)."),
                    new("--threads", typeof(int), "libtorch threads (default: libtorch's choice)."),
                    new("--device", typeof(string), "cpu or cuda (default cpu)."),
                    new("--folder", typeof(string), "An ImageNet-style split, DIR/<class>/*.JPEG, instead of generated images.") { ValueName = "DIR" },
                    new("--idx", typeof(string), "An IDX folder such as /usr/share/datasets/fashion-mnist, instead of generated images.") { ValueName = "DIR" },
                    new("--decode-threads", typeof(int), "JPEG decoding threads (default 4)."),
                    new("--prefetch", typeof(int), "Batches prepared ahead (default 2)."),
                    new("--min-crop", typeof(double), "Smallest area of the random-resized crop (default 0.08)."),
                    new("--jitter", typeof(double), "Colour jitter J: brightness, contrast and saturation J, hue J/4 (default 0)."),
                ],
                Run = Guard(Bench),
            },
            new("make-cifar",
                "Writes generated images in the CIFAR-10 binary format (data_batch_1..5.bin, test_batch.bin) to DIR, to try the cifar10 " +
                "data set kind without the real CIFAR-10. It is NOT CIFAR-10.")
            {
                Arguments = [new("DIR", typeof(string), "The folder to write.")],
                Options =
                [
                    new("--train", typeof(int), "Training images (default 5000)."),
                    new("--test", typeof(int), "Test images (default 1000)."),
                    new("--seed", typeof(int), "Seed of the generated images (default 7)."),
                ],
                Run = Guard(MakeCifar),
            },
        ],
    };

    // The host has parsed the command line; what it cannot know (options that exclude each other) is a usage error here.
    private static Func<PluginCommandInput, CancellationToken, Task<int>> Guard(Func<PluginCommandInput, CancellationToken, int> run) =>
        (input, cancellationToken) =>
        {
            try
            {
                return Task.FromResult(run(input, cancellationToken));
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"image: {e.Message}");
                return Task.FromResult(2);
            }
        };

    /// <summary>Measures images/s of the loader and of training steps; the first batches or steps warm up and are not counted.</summary>
    private static int Bench(PluginCommandInput input, CancellationToken cancellationToken)
    {
        var resolution = input.Get("--resolution", 32);
        var batch = input.Get("--batch", 64);
        var steps = input.Get("--steps", 10);
        var width = input.Get("--width", 1.0);
        var threads = input.Get("--threads", 0);
        var deviceName = input.Get("--device", "cpu");
        var folder = input.Get<string?>("--folder", null);
        var idx = input.Get<string?>("--idx", null);
        var decodeThreads = input.Get("--decode-threads", 4);
        var prefetch = input.Get("--prefetch", 2);
        var minCrop = input.Get("--min-crop", 0.08);
        var jitter = input.Get("--jitter", 0.0);
        if (folder is not null && idx is not null) throw new FormatException("give --folder or --idx, not both.");
        if (threads > 0) torch.set_num_threads(threads);
        // Each measurement is a stage of the host's progress (its batches counted, warm-up included), so a slow one,
        // on a big --folder or a slow device, shows how far it is instead of leaving the console silent.
        var progress = input.Progress;
        progress.Report(new CommandProgress("data") { Message = folder ?? idx ?? "generated images" });
        var device = torch.device(deviceName);
        torch.manual_seed(1); // the same initial weights on every run, so that two runs time the same arithmetic

        var dataset = new DatasetOptions
        {
            SyntheticSize = resolution, MinCropScale = minCrop, DecodeThreads = decodeThreads, Prefetch = prefetch,
            ColorJitter = new ColorJitterOptions { Brightness = jitter, Contrast = jitter, Saturation = jitter, Hue = Math.Min(0.5, jitter / 4) },
        };
        IImageSet images;
        IDisposable? owner = null;
        string source;
        if (folder is not null)
        {
            var classes = FolderImageSet.ClassNames(folder);
            images = FolderImageSet.Open(folder, classes, (int)Math.Round(resolution / 0.875), decodeThreads);
            source = $"{images.Count:N0} images in {folder} ({decodeThreads} decode threads)";
        }
        else if (idx is not null)
        {
            var (train, test) = IdxReader.ReadFolder(idx, 256);
            test.Dispose();
            owner = train;
            images = train;
            dataset.Kind = DatasetKind.Idx;
            dataset.Mean = [0.5];
            dataset.Std = [0.25];
            source = $"{train.Count:N0} IDX training images from {idx}";
        }
        else
        {
            var generated = SyntheticImages.Generate(Math.Max(batch * 2, 256), 10, resolution, 7);
            owner = generated;
            images = generated;
            source = "generated images in memory";
        }
        using var disposeImages = owner;
        var space = new SpaceOptions { Resolution = resolution, Classes = Math.Max(2, images.Classes) };
        var chain = ChainSpec.From(space, width, inChannels: images.Channels);
        var searchSpace = new ChainSearchSpace(chain);
        using var augmentation = new Augmentation(dataset, resolution, device, images.Channels);
        var optimizer = new OptimizerOptions { BatchSize = batch, LearningRate = 0.05 };
        var semiNasNet = Architecture.Parse("6 5 1 7 4 2 5 3 5 2 5 3 3 5 7 3 1 6 3 3 6");
        if (semiNasNet.Length != searchSpace.Length) semiNasNet = searchSpace.Sample(new Random(1));
        var sampler = new BatchSampler(images.Count, batch, 1);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"device {deviceName}, {torch.get_num_threads()} threads, batch {sampler.BatchSize}, {resolution}x{resolution}, width x{width}, {steps} timed steps after 2 warm-up steps; data: {source}, prefetch {prefetch}"));

        var loaderRate = MeasureLoader(images, augmentation, sampler, steps, prefetch, Stage(progress, "loader alone", steps), cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"loader alone (load, crop, flip{(jitter > 0 ? ", colour jitter" : "")}, normalise{(images.CropsOnLoad ? ", decoding every image" : "")}): {loaderRate:F1} images/s"));

        using var fixedBatch = new FixedBatch(images, augmentation, sampler);
        using (var supernet = new Supernet(chain))
        {
            supernet.to(device);
            var random = new Random(1);
            using var trainer = new SgdTrainer(supernet.ParameterGroups(), optimizer, steps + 2);
            var rate = MeasureStep(supernet, trainer, fixedBatch, steps, Stage(progress, "supernet step alone", steps), () =>
            {
                var path = searchSpace.Sample(random);
                trainer.ActiveGroups = supernet.GroupsOf(path);
                return x => supernet.Forward(x, path);
            }, cancellationToken);
            var parameters = supernet.parameters().Sum(p => p.numel());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"supernet step alone (random single path, {parameters:N0} supernet parameters): {rate:F1} images/s"));
        }

        var cost = CostModel.Of(chain, semiNasNet);
        double stepRate, withLoader;
        using (var network = new ChainNetwork(chain, semiNasNet))
        {
            network.to(device);
            using var trainer = new SgdTrainer(network, optimizer, 2 * steps + 4);
            stepRate = MeasureStep(network, trainer, fixedBatch, steps, Stage(progress, "standalone step alone", steps), () => network.forward, cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"standalone step alone ({semiNasNet}, {cost.MultiplyAdds / 1e6:F1}M multiply-adds, {cost.Parameters:N0} parameters): {stepRate:F1} images/s"));
            var evalRate = MeasureEval(network, fixedBatch, steps, Stage(progress, "standalone evaluation", steps), cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"standalone evaluation forward alone (no gradients): {evalRate:F1} images/s"));
            trainer.Step = 0;
            withLoader = MeasureTraining(network, trainer, images, augmentation, sampler, steps, prefetch, Stage(progress, "standalone training with the loader", steps),
                cancellationToken);
        }
        var limit = loaderRate < stepRate ? "the loader limits: add decode threads (or prefetch), or cheaper augmentation"
            : "the training step limits; the loader keeps up";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"standalone training with the loader: {withLoader:F1} images/s ({limit})"));
        return 0;
    }

    /// <summary>Reports batch <c>done</c> of a measurement's 2 warm-up and <paramref name="steps"/> timed batches.</summary>
    private static Action<long> Stage(IProgress<CommandProgress> progress, string name, int steps)
    {
        progress.Report(new CommandProgress(name, 0, steps + 2) { Unit = "batches" });
        return done => progress.Report(new CommandProgress(name, done, steps + 2) { Unit = "batches", Message = done < 2 ? "warming up" : null });
    }

    private static double MeasureLoader(IImageSet images, Augmentation augmentation, BatchSampler sampler, int steps, int prefetch,
        Action<long> done, CancellationToken cancellationToken)
    {
        void Drain(long from, long until)
        {
            using var pipeline = new BatchPipeline(images, augmentation, sampler, from, until, prefetch, cancellationToken);
            for (var step = from; step < until; step++)
            {
                var (inputs, labels) = pipeline.Next(step);
                if (inputs.device.type != DeviceType.CPU) torch.cuda.synchronize();
                inputs.Dispose();
                labels.Dispose();
                done(step + 1);
            }
        }
        Drain(0, 2);
        var watch = Stopwatch.StartNew();
        Drain(2, steps + 2);
        return (double)steps * sampler.BatchSize / watch.Elapsed.TotalSeconds;
    }

    /// <summary>One prepared batch, trained on again and again: the step's speed without the loader.</summary>
    private sealed class FixedBatch(IImageSet images, Augmentation augmentation, BatchSampler sampler) : IDisposable
    {
        public (Tensor Inputs, Tensor Labels) Batch { get; } = TrainingLoop.Prepare(images, augmentation, sampler, 0);

        public int Size => (int)Batch.Labels.shape[0];

        public void Dispose()
        {
            Batch.Inputs.Dispose();
            Batch.Labels.Dispose();
        }
    }

    private static double MeasureStep(nn.Module model, SgdTrainer trainer, FixedBatch batch, int steps, Action<long> done, Func<Func<Tensor, Tensor>> forward,
        CancellationToken cancellationToken)
    {
        model.train();
        var watch = new Stopwatch();
        for (var i = 0; i < steps + 2; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (i == 2) watch.Start();
            trainer.TrainStep(forward(), batch.Batch.Inputs, batch.Batch.Labels);
            done(i + 1);
        }
        return (double)steps * batch.Size / watch.Elapsed.TotalSeconds;
    }

    private static double MeasureEval(ChainNetwork network, FixedBatch batch, int steps, Action<long> done, CancellationToken cancellationToken)
    {
        network.eval();
        using var noGrad = torch.no_grad();
        var watch = new Stopwatch();
        for (var i = 0; i < steps + 2; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (i == 2) watch.Start();
            using var logits = network.forward(batch.Batch.Inputs);
            _ = logits.sum().item<float>();
            done(i + 1);
        }
        network.train();
        return (double)steps * batch.Size / watch.Elapsed.TotalSeconds;
    }

    private static double MeasureTraining(nn.Module model, SgdTrainer trainer, IImageSet images, Augmentation augmentation,
        BatchSampler sampler, int steps, int prefetch, Action<long> done, CancellationToken cancellationToken)
    {
        model.train();
        var noop = () => { };
        void Report(StepReport report) => done(report.Step);
        TrainingLoop.Run(trainer, images, augmentation, sampler, 2, _ => ((nn.Module<Tensor, Tensor>)model).forward, int.MaxValue, noop, Report, cancellationToken, prefetch);
        var watch = Stopwatch.StartNew();
        TrainingLoop.Run(trainer, images, augmentation, sampler, steps + 2, _ => ((nn.Module<Tensor, Tensor>)model).forward, int.MaxValue, noop, Report, cancellationToken, prefetch);
        return (double)steps * sampler.BatchSize / watch.Elapsed.TotalSeconds;
    }

    private static int MakeCifar(PluginCommandInput input, CancellationToken cancellationToken)
    {
        var folder = input.Get<string>("DIR");
        var train = input.Get("--train", 5000);
        var test = input.Get("--test", 1000);
        var seed = input.Get("--seed", 7);
        Directory.CreateDirectory(folder);
        using var all = SyntheticImages.Generate(train + test, 10, Cifar10Reader.Side, seed);
        var perBatch = (train + 4) / 5;
        for (var b = 0; b < 5; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var start = b * perBatch;
            var count = Math.Max(0, Math.Min(perBatch, train - start));
            if (count == 0) continue;
            WriteRange(Path.Combine(folder, Cifar10Reader.TrainFiles[b]), all, start, count);
        }
        WriteRange(Path.Combine(folder, Cifar10Reader.TestFile), all, train, test);
        Console.WriteLine($"wrote {train} training and {test} test images (generated, not CIFAR-10) in the CIFAR-10 binary format to {folder}");
        return 0;
    }

    private static void WriteRange(string file, IImageSet set, int start, int count)
    {
        var indices = Enumerable.Range(start, count).ToArray();
        using var images = set.Load(indices);
        Cifar10Reader.Write(file, images, indices.Select(i => set.Labels[i]).ToArray());
    }
}
