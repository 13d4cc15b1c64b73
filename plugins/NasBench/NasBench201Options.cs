using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace SemiNas.Plugins.NasBench;

/// <summary>The data set whose NAS-Bench-201 results a search optimises.</summary>
public enum NasBench201Dataset
{
    [Description("CIFAR-10 trained on a 25k half of the training set; validation on the other half (YAML: cifar10-valid).")]
    Cifar10Valid,

    [Description("CIFAR-100; validation on half of the test set, x-valid (YAML: cifar100).")]
    Cifar100,

    [Description("ImageNet16-120, 16x16 images of 120 classes; validation on half of its test set (YAML: imagenet16-120).")]
    ImageNet16_120,
}

/// <summary><c>task.options</c> of the nasbench201 plugin.</summary>
public sealed class NasBench201Options
{
    public const double MaxSimulatedSeconds = 86_400;

    [Description("Data set whose results are looked up: cifar10-valid (default), cifar100 or imagenet16-120.")]
    public NasBench201Dataset Dataset { get; set; } = NasBench201Dataset.Cifar10Valid;

    [Description("Training schedule of the looked-up results: 200 (the benchmark's full training, default) or 12 " +
                 "(the cheap low-fidelity schedule; no training accuracy).")]
    [AllowedValues(12, 200, ErrorMessage = "epochs must be 12 or 200 (the two schedules NAS-Bench-201 records).")]
    public int Epochs { get; set; } = 200;

    [Description("Seconds each evaluation waits before answering (default 0), to exercise progress display, " +
                 "parallel workers, interruption and resume as if the cells were really trained.")]
    [Range(0, MaxSimulatedSeconds, ErrorMessage = "simulatedSeconds must be between 0 and 86400.")]
    public double SimulatedSeconds { get; set; }
}
