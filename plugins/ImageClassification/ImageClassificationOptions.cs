using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Runtime.Serialization;

namespace SemiNas.ImageClassification;

/// <summary><c>task.options</c> of the image-classification plugin.</summary>
public sealed class ImageClassificationOptions : IValidatableObject
{
    [Description("The search space: the MobileNetV2/ProxylessNAS chain (defaults: the SemiNAS ImageNet space).")]
    public SpaceOptions Space { get; set; } = new();

    [Description("Where the images come from.")]
    public DatasetOptions Dataset { get; set; } = new();

    [Description("How a candidate is scored during the search.")]
    public SearchEvaluationOptions Evaluation { get; set; } = new();

    [Description("The final training of a chosen architecture (seminas train / seminas eval).")]
    public FinalTrainingOptions Final { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Dataset.Kind is DatasetKind.Cifar10 or DatasetKind.FashionMnist && Space.Classes != 10)
            yield return new ValidationResult(
                $"space.classes is {Space.Classes}, but {Dataset.KindName} has 10 classes; set space.classes: 10.", [nameof(Space)]);
        if (Dataset.Kind == DatasetKind.Synthetic && Space.Classes > 1000)
            yield return new ValidationResult("space.classes must be at most 1000 for the synthetic data set.", [nameof(Space)]);
        if (Dataset.Kind == DatasetKind.Idx && Space.Classes > 256)
            yield return new ValidationResult("space.classes must be at most 256 for IDX data (one label byte per image).", [nameof(Space)]);
        if (Dataset.Kind is not (DatasetKind.Synthetic or DatasetKind.FashionMnist) && string.IsNullOrWhiteSpace(Dataset.Path))
            yield return new ValidationResult($"dataset.path is required for dataset.kind {Dataset.KindName}.", [nameof(Dataset)]);
        var channels = Dataset.Channels;
        if (Dataset.Mean.Count != channels || Dataset.Std.Count != channels)
            yield return new ValidationResult(
                $"dataset.mean and dataset.std need {channels} value{(channels == 1 ? "" : "s")} each for dataset.kind {Dataset.KindName} " +
                $"({(channels == 1 ? "grey images" : "R, G, B")}); got {Dataset.Mean.Count} and {Dataset.Std.Count}.", [nameof(Dataset)]);
        if (Dataset.Std.Any(v => v <= 0))
            yield return new ValidationResult("dataset.std values must be positive.", [nameof(Dataset)]);
    }
}

/// <summary>The chain of layers, its widths and its candidate operations.</summary>
public sealed class SpaceOptions : IValidatableObject
{
    [Description("Input resolution (square), pixels."), Range(8, 1024)]
    public int Resolution { get; set; } = 224;

    [Description("Number of classes of the classifier."), Range(2, 100_000)]
    public int Classes { get; set; } = 1000;

    [Description("Multiplies every width (stem, first block, stages, head), rounded to a multiple of 8 as MobileNetV2 " +
                 "does; 1.35 turns the search widths into the paper's final 600M-FLOPs widths."), Range(0.05, 8.0)]
    public double WidthMultiplier { get; set; } = 1.0;

    [Description("Output channels of the stem (conv 3x3 with stemStride; its input channels are the data set's: 3, or 1 for grey images)."),
     Range(1, 4096)]
    public int Stem { get; set; } = 32;

    [Description("Stride of the stem convolution: 2 as in MobileNetV2 at 224x224; 1 keeps small inputs (28x28, 32x32) at full resolution."),
     Range(1, 2)]
    public int StemStride { get; set; } = 2;

    [Description("Output channels of the first block (MBConv k3 e1, stride 1)."), Range(1, 4096)]
    public int FirstBlock { get; set; } = 16;

    [Description("The searchable stages: width, number of layers and the stride of the stage's first layer.")]
    public List<StageOptions> Stages { get; set; } =
    [
        new() { Width = 24, Layers = 4, Stride = 2 },
        new() { Width = 40, Layers = 4, Stride = 2 },
        new() { Width = 80, Layers = 4, Stride = 2 },
        new() { Width = 96, Layers = 4, Stride = 1 },
        new() { Width = 192, Layers = 4, Stride = 2 },
        new() { Width = 320, Layers = 1, Stride = 1 },
    ];

    [Description("Output channels of the head's 1x1 convolution, before pooling and the classifier."), Range(1, 16384)]
    public int Head { get; set; } = 1280;

    [Description("Dropout before the classifier."), Range(0.0, 0.99)]
    public double Dropout { get; set; }

    [Description("Candidate operations of a searchable layer, token 1 first: kKeE is an MBConv with a KxK depthwise " +
                 "kernel and expansion E; 'zero' skips the layer (never allowed on a stage's first layer).")]
    public List<string> Operations { get; set; } = ["k3e3", "k3e6", "k5e3", "k5e6", "k7e3", "k7e6", "zero"];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Stages.Count == 0)
            yield return new ValidationResult("stages needs at least one stage.", [nameof(Stages)]);
        for (var i = 0; i < Stages.Count; i++)
        {
            var s = Stages[i];
            if (s.Width < 1 || s.Layers < 1 || s.Stride is not (1 or 2))
                yield return new ValidationResult(
                    $"stages[{i}]: width and layers must be at least 1 and stride 1 or 2 (got width {s.Width}, layers {s.Layers}, stride {s.Stride}).",
                    [nameof(Stages)]);
        }
        string? problem = null;
        try
        {
            var ops = Operations.Select(OperationSpec.Parse).ToList();
            if (ops.Count(o => !o.IsZero) == 0) problem = "operations needs at least one MBConv operation (kKeE).";
            else if (ops.Select(o => o.Name).Distinct().Count() != ops.Count) problem = "operations lists an operation twice.";
        }
        catch (FormatException e)
        {
            problem = e.Message;
        }
        if (problem is not null) yield return new ValidationResult(problem, [nameof(Operations)]);
    }
}

public sealed class StageOptions
{
    [Description("Output channels of every layer of the stage."), Range(1, 16384)]
    public int Width { get; set; } = 24;

    [Description("Number of searchable layers."), Range(1, 64)]
    public int Layers { get; set; } = 1;

    [Description("Stride of the stage's first layer: 1 or 2."), Range(1, 2)]
    public int Stride { get; set; } = 1;
}

public enum DatasetKind
{
    [Description("Generated images: each class is a seeded colour pattern plus noise; for tests and demos.")]
    Synthetic,

    [Description("The CIFAR-10 binary format: a folder with data_batch_1..5.bin and test_batch.bin.")]
    Cifar10,

    [Description("An ImageNet-style folder: train/<class>/*.JPEG and val/<class>/*.JPEG (JPEG, PNG, WebP, ...).")]
    Folder,

    [Description("Fashion-MNIST (Zalando, MIT licence): 60,000 training and 10,000 test images, 28x28 grey, 10 classes, " +
                 "as IDX files; dataset.path defaults to /usr/share/datasets/fashion-mnist (Debian: apt-get install dataset-fashion-mnist).")]
    [EnumMember(Value = "fashion-mnist")]
    FashionMnist,

    [Description("Any IDX data set in the MNIST layout (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, " +
                 "t10k-labels-idx1-ubyte, each plain or .gz): grey images, labels 0..space.classes-1.")]
    Idx,
}

/// <summary>Random colour changes of the training images, each factor drawn per image (torchvision's ColorJitter).</summary>
public sealed class ColorJitterOptions
{
    [Description("Brightness: the image is multiplied by U(1-b, 1+b); 0 for none (the reference: 0.4)."), Range(0.0, 1.0)]
    public double Brightness { get; set; }

    [Description("Contrast: blended with its mean grey level by U(1-c, 1+c); 0 for none (the reference: 0.4)."), Range(0.0, 1.0)]
    public double Contrast { get; set; }

    [Description("Saturation: blended with its grey version by U(1-s, 1+s); 0 for none; RGB only (the reference: 0.4)."), Range(0.0, 1.0)]
    public double Saturation { get; set; }

    [Description("Hue: the colours turn by U(-h, h) of a full circle (a rotation of the YIQ chroma plane); 0 for none; RGB only " +
                 "(the reference: 0.1)."), Range(0.0, 0.5)]
    public double Hue { get; set; }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool Any => Brightness > 0 || Contrast > 0 || Saturation > 0 || Hue > 0;
}

public sealed class DatasetOptions
{
    [Description("synthetic, cifar10, folder, fashion-mnist or idx.")]
    public DatasetKind Kind { get; set; } = DatasetKind.Synthetic;

    [Description("Folder of the data (cifar10, folder, idx; fashion-mnist defaults to /usr/share/datasets/fashion-mnist), " +
                 "relative to the experiment file.")]
    public string? Path { get; set; }

    [Description("Seed of the split: a permutation of the training images from it picks the held-out images (the first heldOut) " +
                 "and the training subset (the next trainLimit). Independent of the experiment seed, so that every search on the " +
                 "data scores on the same held-out images.")]
    public int SplitSeed { get; set; } = 12345;

    [Description("Use at most this many training images (a fixed, seeded subset); 0 for all."), Range(0, int.MaxValue)]
    public int TrainLimit { get; set; }

    [Description("Use at most this many validation images for final evaluation; 0 for all."), Range(0, int.MaxValue)]
    public int ValidLimit { get; set; }

    [Description("Images carved out of the training set to score candidates during the search (the paper: 5000)."),
     Range(1, int.MaxValue)]
    public int HeldOut { get; set; } = 5000;

    [Description("Synthetic data set: training images."), Range(1, 10_000_000)]
    public int SyntheticTrain { get; set; } = 2000;

    [Description("Synthetic data set: validation images."), Range(1, 10_000_000)]
    public int SyntheticValid { get; set; } = 500;

    [Description("Synthetic data set: image size (square), pixels."), Range(4, 1024)]
    public int SyntheticSize { get; set; } = 32;

    [Description("Seed of the synthetic images (independent of the experiment seed, so every search sees the same data).")]
    public int SyntheticSeed { get; set; } = 7;

    [Description("Folder data set: threads that decode images in parallel. Training crops are cut from each whole decoded " +
                 "image; evaluation resizes the shorter side to resolution/0.875 and takes the centre square."), Range(1, 256)]
    public int DecodeThreads { get; set; } = 4;

    [Description("Batches prepared ahead of the training step by a background thread (decode, crop, jitter, normalise), so " +
                 "that loading overlaps the step; it bounds the memory they hold. 0 prepares each batch in the step's thread."),
     Range(0, 64)]
    public int Prefetch { get; set; } = 2;

    [Description("Random-resized-crop: smallest area fraction of the crop (the paper: 0.08); 1 for flip only."),
     Range(0.01, 1.0)]
    public double MinCropScale { get; set; } = 0.08;

    [Description("Random horizontal flip of training images.")]
    public bool Flip { get; set; } = true;

    [Description("Colour jitter of training images (off by default).")]
    public ColorJitterOptions ColorJitter { get; set; } = new();

    [Description("Normalisation mean per channel (R, G, B; one value for grey data sets), on the 0..1 scale.")]
    public List<double> Mean { get; set; } = [0.485, 0.456, 0.406];

    [Description("Normalisation standard deviation per channel (R, G, B; one value for grey data sets), on the 0..1 scale.")]
    public List<double> Std { get; set; } = [0.229, 0.224, 0.225];

    /// <summary>The channels of the data set's images: 1 for the grey IDX sets, 3 otherwise.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int Channels => Kind is DatasetKind.FashionMnist or DatasetKind.Idx ? 1 : 3;

    [System.Text.Json.Serialization.JsonIgnore]
    internal string KindName => Kind == DatasetKind.FashionMnist ? "fashion-mnist" : Kind.ToString().ToLowerInvariant();

    /// <summary>Where Debian's dataset-fashion-mnist installs the IDX files.</summary>
    public const string FashionMnistFolder = "/usr/share/datasets/fashion-mnist";
}

public enum EvaluationMode
{
    [Description("The paper's weight-sharing supernet: single-path training on the pool, candidates scored on held-out images.")]
    Supernet,

    [Description("Each candidate is trained from scratch for a short schedule and scored on held-out images.")]
    Standalone,
}

public enum LearningRateSchedule
{
    [Description("Per-step cosine decay to 0.")]
    Cosine,

    [Description("Multiply by gamma every stepEvery steps.")]
    Step,
}

/// <summary>The SGD recipe shared by the supernet, standalone and final trainings.</summary>
public sealed class OptimizerOptions
{
    [Description("Images per step."), Range(1, 65536)]
    public int BatchSize { get; set; } = 64;

    [Description("Initial learning rate."), Range(0.0, 100.0)]
    public double LearningRate { get; set; } = 0.05;

    [Description("Nesterov momentum."), Range(0.0, 0.9999)]
    public double Momentum { get; set; } = 0.9;

    [Description("Weight decay on convolution and linear weights (none on batch-norm and biases)."), Range(0.0, 1.0)]
    public double WeightDecay { get; set; } = 4e-5;

    [Description("Label smoothing of the cross-entropy."), Range(0.0, 0.99)]
    public double LabelSmoothing { get; set; } = 0.1;

    [Description("cosine or step.")]
    public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.Cosine;

    [Description("Step schedule: multiply the rate by gamma every this many steps."), Range(1, int.MaxValue)]
    public int StepEvery { get; set; } = 1000;

    [Description("Step schedule: the factor."), Range(0.0, 1.0)]
    public double Gamma { get; set; } = 0.97;
}

public sealed class SearchEvaluationOptions
{
    [Description("supernet (weight sharing, the paper) or standalone (short training of each candidate).")]
    public EvaluationMode Mode { get; set; } = EvaluationMode.Supernet;

    [Description("Held-out images each candidate is scored on (at most dataset.heldOut); the paper scores one batch of 512."),
     Range(1, int.MaxValue)]
    public int ScoreImages { get; set; } = 512;

    [Description("Supernet mode settings.")]
    public SupernetOptions Supernet { get; set; } = new();

    [Description("Standalone mode settings.")]
    public StandaloneOptions Standalone { get; set; } = new();
}

public sealed class SupernetOptions
{
    [Description("The first round: the strategy's first poolSize candidates, which the warm-up trains on before scoring " +
                 "them (set it to search.options.initialSamples; the paper: its 100 random seed architectures). " +
                 "execution.workers must be at least poolSize and roundSize for the host to hand out a whole round at once."),
     Range(1, 100_000)]
    public int PoolSize { get; set; } = 100;

    [Description("Candidates per later round, the pool the supernet trains on for roundSteps (set it to " +
                 "search.options.newPerIteration; the paper: the 100 architectures each controller iteration generates)."),
     Range(1, 100_000)]
    public int RoundSize { get; set; } = 100;

    [Description("Single-path steps on the first round's architectures before any of them is scored (the paper: 20000)."),
     Range(0, int.MaxValue)]
    public int WarmupSteps { get; set; } = 20_000;

    [Description("Single-path steps on each later round's architectures (the paper: 20000); 0 keeps the warmed-up weights."),
     Range(0, int.MaxValue)]
    public int RoundSteps { get; set; } = 20_000;

    [Description("Seconds the first candidate of a round waits, after the latest arrival, for the rest " +
                 "of the round before the round is formed with the candidates that came (its steps then shrink in proportion). " +
                 "With enough workers a whole round arrives at once and nothing waits."), Range(0.0, 3600.0)]
    public double CollectSeconds { get; set; } = 2;


    [Description("Training batches (without augmentation, the same for every candidate) that re-estimate the batch-norm " +
                 "statistics of a candidate's path before it is scored; 0 scores with the running statistics, as the paper " +
                 "does. Short warm-ups need it: an operation drawn a few times still has nearly its initial statistics."),
     Range(0, 10_000)]
    public int RecalibrationBatches { get; set; }

    [Description("Steps between two checkpoints of the supernet."), Range(1, int.MaxValue)]
    public int CheckpointEvery { get; set; } = 500;

    [Description("The SGD recipe (the paper: lr 0.4, batch 512, step schedule, gamma 0.97).")]
    public OptimizerOptions Optimizer { get; set; } = new()
    {
        LearningRate = 0.4, BatchSize = 512, Schedule = LearningRateSchedule.Step, StepEvery = 2500, Gamma = 0.97,
    };
}

public sealed class StandaloneOptions
{
    [Description("Training steps of each candidate."), Range(1, int.MaxValue)]
    public int Steps { get; set; } = 1000;

    [Description("Steps between two checkpoints of a candidate's training."), Range(1, int.MaxValue)]
    public int CheckpointEvery { get; set; } = 200;

    [Description("The SGD recipe.")]
    public OptimizerOptions Optimizer { get; set; } = new() { LearningRate = 0.1, BatchSize = 128 };
}

public sealed class FinalTrainingOptions
{
    [Description("Width multiplier of the final network (1.35: the paper's widened 600M network).") , Range(0.05, 8.0)]
    public double WidthMultiplier { get; set; } = 1.35;

    [Description("Resolution of the final network; 0 keeps space.resolution."), Range(0, 1024)]
    public int Resolution { get; set; }

    [Description("Dropout before the classifier (the paper: 0.3)."), Range(0.0, 0.99)]
    public double Dropout { get; set; } = 0.3;

    [Description("Training epochs (the paper: 300)."), Range(1, 100_000)]
    public int Epochs { get; set; } = 300;

    [Description("Added to the final training's seed (which seminas train derives from the experiment seed and the trial): " +
                 "another value trains the same architecture again from other initial weights and batch orders.")]
    public int Seed { get; set; }

    [Description("Seconds between two progress lines of seminas train (an epoch summary is printed after every epoch as well)."),
     Range(1, 3600)]
    public int ProgressSeconds { get; set; } = 15;

    [Description("Steps between two checkpoints."), Range(1, int.MaxValue)]
    public int CheckpointEvery { get; set; } = 1000;

    [Description("The SGD recipe (the paper: lr 0.05, batch 256, per-step cosine).")]
    public OptimizerOptions Optimizer { get; set; } = new() { LearningRate = 0.05, BatchSize = 256 };
}
