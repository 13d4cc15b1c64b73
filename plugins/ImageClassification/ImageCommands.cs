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
    private const string Usage = """
        usage: seminas image bench [--resolution 32] [--batch 64] [--steps 10] [--width 1.0] [--threads N] [--device cpu]
               seminas image make-cifar DIR [--train 5000] [--test 1000] [--seed 7]

        bench       Images/s of one training step of the supernet (a random path of the SemiNAS ImageNet space) and of a
                    standalone candidate (SemiNASNet), SGD with Nesterov momentum on generated images.
        make-cifar  Writes generated images in the CIFAR-10 binary format (data_batch_1..5.bin, test_batch.bin) to DIR,
                    to try the cifar10 data set kind without the real CIFAR-10. It is NOT CIFAR-10.
        """;

    public static Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        try
        {
            if (args.Count == 0 || args[0] is "-h" or "--help" or "help")
            {
                Console.WriteLine(Usage);
                return Task.FromResult(args.Count == 0 ? 2 : 0);
            }
            var options = ParseOptions(args.Skip(1).ToList(), out var positional);
            return Task.FromResult(args[0] switch
            {
                "bench" when positional.Count == 0 => Bench(options, cancellationToken),
                "make-cifar" when positional.Count == 1 => MakeCifar(positional[0], options),
                _ => Fail($"unknown or malformed command: image {string.Join(' ', args)}\n\n{Usage}"),
            });
        }
        catch (FormatException e)
        {
            return Task.FromResult(Fail(e.Message));
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }

    private static Dictionary<string, string> ParseOptions(List<string> args, out List<string> positional)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        positional = [];
        for (var i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) { positional.Add(args[i]); continue; }
            if (i + 1 >= args.Count) throw new FormatException($"{args[i]} needs a value.");
            options[args[i][2..]] = args[++i];
        }
        return options;
    }

    private static T Get<T>(Dictionary<string, string> options, string name, T fallback) where T : IParsable<T>
    {
        if (!options.Remove(name, out var text)) return fallback;
        return T.TryParse(text, CultureInfo.InvariantCulture, out var value) ? value
            : throw new FormatException($"--{name}: '{text}' is not a valid {typeof(T).Name}.");
    }

    private static void RejectUnknown(Dictionary<string, string> options)
    {
        if (options.Count > 0) throw new FormatException($"unknown option --{options.Keys.First()}\n\n{Usage}");
    }

    /// <summary>Measures images/s of training steps; the first steps warm up and are not counted.</summary>
    private static int Bench(Dictionary<string, string> options, CancellationToken cancellationToken)
    {
        var resolution = Get(options, "resolution", 32);
        var batch = Get(options, "batch", 64);
        var steps = Get(options, "steps", 10);
        var width = Get(options, "width", 1.0);
        var threads = Get(options, "threads", 0);
        var deviceName = Get(options, "device", "cpu");
        RejectUnknown(options);
        if (threads > 0) torch.set_num_threads(threads);
        var device = torch.device(deviceName);
        torch.manual_seed(1); // the same initial weights on every run, so that two runs time the same arithmetic

        var space = new SpaceOptions { Resolution = resolution, Classes = 10 };
        var chain = ChainSpec.From(space, width);
        var searchSpace = new ChainSearchSpace(chain);
        var dataset = new DatasetOptions { SyntheticSize = resolution, MinCropScale = 0.35 };
        using var images = SyntheticImages.Generate(Math.Max(batch * 2, 256), 10, resolution, 7);
        using var augmentation = new Augmentation(dataset, resolution, device);
        var optimizer = new OptimizerOptions { BatchSize = batch, LearningRate = 0.05 };
        var semiNasNet = Architecture.Parse("6 5 1 7 4 2 5 3 5 2 5 3 3 5 7 3 1 6 3 3 6");
        if (semiNasNet.Length != searchSpace.Length) semiNasNet = searchSpace.Sample(new Random(1));

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"device {deviceName}, {torch.get_num_threads()} threads, batch {batch}, {resolution}x{resolution}, width x{width}, {steps} timed steps after 2 warm-up steps"));

        using (var supernet = new Supernet(chain))
        {
            supernet.to(device);
            var random = new Random(1);
            using var trainer = new SgdTrainer(supernet.ParameterGroups(), optimizer, steps + 2);
            var rate = Measure(supernet, trainer, images, augmentation, batch, steps, r =>
            {
                var path = searchSpace.Sample(random);
                trainer.ActiveGroups = supernet.GroupsOf(path);
                return x => supernet.Forward(x, path);
            }, cancellationToken);
            var parameters = supernet.parameters().Sum(p => p.numel());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"supernet step (random single path, {parameters:N0} supernet parameters): {rate:F1} images/s"));
        }

        using (var network = new ChainNetwork(chain, semiNasNet))
        {
            network.to(device);
            using var trainer = new SgdTrainer(network, optimizer, steps + 2);
            var rate = Measure(network, trainer, images, augmentation, batch, steps, _ => network.forward, cancellationToken);
            var cost = CostModel.Of(chain, semiNasNet);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"standalone step ({semiNasNet}, {cost.MultiplyAdds / 1e6:F1}M multiply-adds, {cost.Parameters:N0} parameters): {rate:F1} images/s"));
        }
        return 0;
    }

    private static double Measure(nn.Module model, SgdTrainer trainer, IImageSet images, Augmentation augmentation,
        int batch, int steps, Func<Random, Func<Tensor, Tensor>> forwardAt, CancellationToken cancellationToken)
    {
        var sampler = new BatchSampler(images.Count, batch, 1);
        model.train();
        var noop = () => { };
        TrainingLoop.Run(trainer, images, augmentation, sampler, 2, forwardAt, int.MaxValue, noop, null, cancellationToken);
        var watch = Stopwatch.StartNew();
        TrainingLoop.Run(trainer, images, augmentation, sampler, steps + 2, forwardAt, int.MaxValue, noop, null, cancellationToken);
        return (double)steps * sampler.BatchSize / watch.Elapsed.TotalSeconds;
    }

    private static int MakeCifar(string folder, Dictionary<string, string> options)
    {
        var train = Get(options, "train", 5000);
        var test = Get(options, "test", 1000);
        var seed = Get(options, "seed", 7);
        RejectUnknown(options);
        Directory.CreateDirectory(folder);
        using var all = SyntheticImages.Generate(train + test, 10, Cifar10Reader.Side, seed);
        var perBatch = (train + 4) / 5;
        for (var b = 0; b < 5; b++)
        {
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
