using SemiNas.Contracts;

namespace SemiNas.Plugins.NasBench;

/// <summary>
/// Which table columns one (data set, epochs) configuration reports, and how each metric is described to users.
/// </summary>
internal sealed class NasBench201MetricColumns
{
    public const string ValidAccuracy = "valid_accuracy";
    public const string TestAccuracy = "test_accuracy";
    public const string TrainAccuracy = "train_accuracy";
    public const string Params = "params";
    public const string Flops = "flops";

    private NasBench201MetricColumns(Func<NasBench201Row, double> valid, Func<NasBench201Row, double> test,
        Func<NasBench201Row, double>? train, Func<NasBench201Row, double> paramsMillions,
        Func<NasBench201Row, double> flopsMillions, IReadOnlyList<MetricInfo> metrics)
    {
        Valid = valid;
        Test = test;
        Train = train;
        ParamsMillions = paramsMillions;
        FlopsMillions = flopsMillions;
        Metrics = metrics;
    }

    public Func<NasBench201Row, double> Valid { get; }

    public Func<NasBench201Row, double> Test { get; }

    /// <summary>Null for the 12-epoch schedule, which recorded no training accuracy.</summary>
    public Func<NasBench201Row, double>? Train { get; }

    public Func<NasBench201Row, double> ParamsMillions { get; }

    public Func<NasBench201Row, double> FlopsMillions { get; }

    public IReadOnlyList<MetricInfo> Metrics { get; }

    public static NasBench201MetricColumns For(NasBench201Dataset dataset, int epochs)
    {
        var full = epochs switch
        {
            200 => true,
            12 => false,
            _ => throw new ArgumentOutOfRangeException(nameof(epochs), epochs,
                "NAS-Bench-201 records only the 12- and 200-epoch schedules."),
        };
        var schedule = full ? "200 epochs" : "the 12-epoch schedule";
        return dataset switch
        {
            NasBench201Dataset.Cifar10Valid => Create(
                full ? r => r.C10vValid : r => r.E12C10vValid,
                full ? r => r.C10Test : r => r.E12C10Test,
                full ? r => r.C10vTrain : null,
                r => r.ParamsMC10, r => r.FlopsMC10,
                $"CIFAR-10 accuracy on the 25k held-out half of the training set after {schedule} on the other half",
                $"CIFAR-10 test accuracy (10k test images) after {schedule} on all 50k training images, " +
                "the number NAS-Bench-201 papers report",
                "CIFAR-10 accuracy on the 25k training half",
                "10 classes", "32x32"),
            NasBench201Dataset.Cifar100 => Create(
                full ? r => r.C100Valid : r => r.E12C100Valid,
                full ? r => r.C100Test : r => r.E12C100Test,
                full ? r => r.C100Train : null,
                r => r.ParamsMC100, r => r.FlopsMC100,
                $"CIFAR-100 accuracy on x-valid (5k of the test images) after {schedule}",
                $"CIFAR-100 accuracy on x-test (the other 5k test images) after {schedule}",
                "CIFAR-100 training accuracy",
                "100 classes", "32x32"),
            NasBench201Dataset.ImageNet16_120 => Create(
                full ? r => r.In16Valid : r => r.E12In16Valid,
                full ? r => r.In16Test : r => r.E12In16Test,
                full ? r => r.In16Train : null,
                r => r.ParamsMIn16, r => r.FlopsMIn16,
                $"ImageNet16-120 accuracy on x-valid (3k images) after {schedule}",
                $"ImageNet16-120 accuracy on x-test (the other 3k images) after {schedule}",
                "ImageNet16-120 training accuracy",
                "120 classes", "16x16"),
            _ => throw new ArgumentOutOfRangeException(nameof(dataset), dataset, "Unknown NAS-Bench-201 data set."),
        };
    }

    private static NasBench201MetricColumns Create(Func<NasBench201Row, double> valid, Func<NasBench201Row, double> test,
        Func<NasBench201Row, double>? train, Func<NasBench201Row, double> paramsMillions,
        Func<NasBench201Row, double> flopsMillions, string validText, string testText, string trainText,
        string head, string input)
    {
        var metrics = new List<MetricInfo>
        {
            new(ValidAccuracy, $"{validText}; percent, mean over seeds. The search signal."),
            new(TestAccuracy, $"{testText}; percent, mean over seeds. For reporting only: the search never sees it."),
        };
        if (train is not null) metrics.Add(new(TrainAccuracy, $"{trainText} after 200 epochs; percent, mean over seeds."));
        metrics.Add(new(Params, $"Trainable parameters of the whole network with the {head} head; count.", Cheap: true));
        metrics.Add(new(Flops,
            $"Operations of one forward pass of a {input} image (multiply-accumulates of convolutions and the " +
            "classifier, pooling window sums), as the NAS-Bench-201 API counts them; FLOPs.", Cheap: true));
        return new NasBench201MetricColumns(valid, test, train, paramsMillions, flopsMillions, metrics);
    }
}
