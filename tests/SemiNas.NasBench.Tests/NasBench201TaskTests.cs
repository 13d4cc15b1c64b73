using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using SemiNas.Contracts;
using SemiNas.Plugins.NasBench;

namespace SemiNas.NasBench.Tests;

public class NasBench201TaskTests
{
    private static readonly EvaluationContext Context = new()
    {
        TrialId = 1, Device = "cpu", Seed = 1, WorkingDirectory = Path.GetTempPath(), ExperimentDirectory = Path.GetTempPath(),
    };

    private static NasBench201Task CreateTask(NasBench201Dataset dataset = NasBench201Dataset.Cifar10Valid,
        int epochs = 200, double simulatedSeconds = 0) =>
        (NasBench201Task)new NasBench201Plugin().CreateTask(
            new NasBench201Options { Dataset = dataset, Epochs = epochs, SimulatedSeconds = simulatedSeconds },
            new TaskCreationContext { ConfigDirectory = ".", Seed = 1 });

    private static Task<IReadOnlyDictionary<string, double>> Evaluate(ISearchTask task, Architecture architecture,
        CancellationToken cancellationToken = default) => task.EvaluateAsync(architecture, Context, cancellationToken);

    [Fact]
    public async Task The_resnet_cell_scores_its_published_cifar10_test_accuracy()
    {
        using var task = CreateTask();
        var metrics = await Evaluate(task, NasBench201Cells.ResNet);

        Assert.Equal(93.97, metrics["test_accuracy"], 2);
        Assert.Equal(90.86, metrics["valid_accuracy"], 2);
        Assert.Equal(99.994, metrics["train_accuracy"], 3);
    }

    [Theory]
    [InlineData(NasBench201Dataset.Cifar10Valid, 6111, 91.6067, 94.3733)]
    [InlineData(NasBench201Dataset.Cifar100, 9930, 73.4933, 73.5133)]
    [InlineData(NasBench201Dataset.ImageNet16_120, 10676, 46.7333, 46.2000)]
    public async Task An_exhaustive_search_finds_the_published_optimum(NasBench201Dataset dataset, int bestIndex,
        double bestValid, double testOfBest)
    {
        using var task = CreateTask(dataset);
        var best = (Index: -1, Valid: double.NegativeInfinity, Test: double.NaN);
        foreach (var row in NasBench201Table.Shared.Rows)
        {
            var metrics = await Evaluate(task, row.ToArchitecture());
            if (task.Objective.IsBetter(metrics["valid_accuracy"], best.Valid))
                best = (row.Index, metrics["valid_accuracy"], metrics["test_accuracy"]);
        }

        Assert.Equal(bestIndex, best.Index);
        Assert.Equal(bestValid, best.Valid, 4);
        Assert.Equal(testOfBest, best.Test, 2);
    }

    [Fact]
    public async Task Twelve_epochs_report_the_cheap_schedule_without_training_accuracy()
    {
        using var full = CreateTask(epochs: 200);
        using var short12 = CreateTask(epochs: 12);
        var fullMetrics = await Evaluate(full, NasBench201Cells.ResNet);
        var shortMetrics = await Evaluate(short12, NasBench201Cells.ResNet);

        Assert.Equal(83.742, shortMetrics["valid_accuracy"], 3);
        Assert.Equal(87.95, shortMetrics["test_accuracy"], 2);
        Assert.NotEqual(fullMetrics["valid_accuracy"], shortMetrics["valid_accuracy"]);
        Assert.NotEqual(fullMetrics["test_accuracy"], shortMetrics["test_accuracy"]);
        Assert.False(shortMetrics.ContainsKey("train_accuracy"));
        Assert.DoesNotContain(short12.Metrics, metric => metric.Name == "train_accuracy");
        Assert.Equal(fullMetrics["params"], shortMetrics["params"]);
    }

    [Fact]
    public void Cheap_metrics_give_plausible_absolute_params_and_flops()
    {
        using var cifar10 = CreateTask();
        using var imageNet = CreateTask(NasBench201Dataset.ImageNet16_120);
        var row = NasBench201Table.Shared[NasBench201Cells.ResNetIndex];
        var c10 = cifar10.CheapMetrics(NasBench201Cells.ResNet);
        var in16 = imageNet.CheapMetrics(NasBench201Cells.ResNet);

        Assert.Equal(["flops", "params"], c10.Keys.Order());
        Assert.Equal(row.ParamsMC10 * 1e6, c10["params"], 0);
        Assert.Equal(row.FlopsMC10 * 1e6, c10["flops"], 0);
        Assert.InRange(c10["params"], 0.5e6, 0.6e6);
        Assert.InRange(c10["flops"], 70e6, 90e6);
        // A 16x16 input needs a quarter of the convolution work, and the 120-class head adds parameters.
        Assert.InRange(in16["flops"] / c10["flops"], 0.24, 0.26);
        Assert.True(in16["params"] > c10["params"]);
    }

    [Fact]
    public async Task Evaluation_reports_the_cheap_metrics_too()
    {
        using var task = CreateTask(NasBench201Dataset.Cifar100);
        var cheap = task.CheapMetrics(NasBench201Cells.ResNet);
        var evaluated = await Evaluate(task, NasBench201Cells.ResNet);

        Assert.Equal(cheap["params"], evaluated["params"]);
        Assert.Equal(cheap["flops"], evaluated["flops"]);
    }

    [Fact]
    public void Declares_valid_accuracy_as_the_maximised_objective_and_documents_every_metric()
    {
        using var task = CreateTask();

        Assert.Equal(new Objective("valid_accuracy", MetricGoal.Maximize), task.Objective);
        Assert.Equal(["valid_accuracy", "test_accuracy", "train_accuracy", "params", "flops"],
            task.Metrics.Select(metric => metric.Name));
        Assert.Equal(["params", "flops"], task.Metrics.Where(metric => metric.Cheap).Select(metric => metric.Name));
        Assert.All(task.Metrics, metric => Assert.False(string.IsNullOrWhiteSpace(metric.Description)));
        Assert.Contains("percent", task.Metrics[0].Description);
    }

    [Fact]
    public async Task Rejects_an_invalid_cell_with_its_reason()
    {
        using var task = CreateTask(simulatedSeconds: 30);
        var invalid = Architecture.Parse("4 1 4 2 1 9");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Evaluate(task, invalid));
        Assert.Contains("Token 6 is 9", error.Message);
        Assert.Throws<ArgumentException>(() => task.CheapMetrics(invalid));
    }

    [Fact]
    public async Task Simulated_seconds_delay_the_answer_and_report_progress()
    {
        using var task = CreateTask(simulatedSeconds: 0.2);
        var fractions = new List<double>();
        var context = new EvaluationContext
        {
            TrialId = 2, Device = "cpu", Seed = 2, WorkingDirectory = Path.GetTempPath(), ExperimentDirectory = Path.GetTempPath(),
            Progress = new SynchronousProgress(progress => { lock (fractions) fractions.Add(progress.Fraction); }),
        };

        var clock = Stopwatch.StartNew();
        var metrics = await task.EvaluateAsync(NasBench201Cells.ResNet, context, CancellationToken.None);

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.19), $"returned after {clock.Elapsed}");
        Assert.Equal(93.97, metrics["test_accuracy"], 2);
        Assert.NotEmpty(fractions);
        Assert.Equal(1.0, fractions[^1]);
        Assert.Equal(fractions.Order(), fractions);
    }

    [Fact]
    public async Task Simulated_training_stops_when_cancelled()
    {
        using var task = CreateTask(simulatedSeconds: 30);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Evaluate(task, NasBench201Cells.ResNet, cancellation.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"cancelled only after {clock.Elapsed}");
    }

    [Fact]
    public async Task Concurrent_evaluations_agree_with_sequential_ones()
    {
        using var task = CreateTask(NasBench201Dataset.ImageNet16_120);
        var architectures = NasBench201Table.Shared.Rows.Where(row => row.Index % 13 == 0)
            .Select(row => row.ToArchitecture()).ToList();

        var parallel = await Task.WhenAll(architectures.Select(a => Task.Run(() => Evaluate(task, a))));
        for (var i = 0; i < architectures.Count; i++)
            Assert.Equal((await Evaluate(task, architectures[i]))["valid_accuracy"], parallel[i]["valid_accuracy"]);
    }
}

public class NasBench201PluginTests
{
    [Fact]
    public void Is_named_nasbench201_and_binds_documented_options()
    {
        var plugin = new NasBench201Plugin();

        Assert.Equal("nasbench201", plugin.Name);
        Assert.False(string.IsNullOrWhiteSpace(plugin.Description));
        Assert.Equal(ContractVersion.Current, plugin.ContractVersion);
        Assert.Equal(typeof(NasBench201Options), plugin.OptionsType);
        Assert.All(typeof(NasBench201Options).GetProperties(), property =>
            Assert.False(string.IsNullOrWhiteSpace(
                property.GetCustomAttributes(typeof(DescriptionAttribute), false).Cast<DescriptionAttribute>()
                    .SingleOrDefault()?.Description)));
    }

    [Fact]
    public void Defaults_to_cifar10_valid_200_epochs_without_delay()
    {
        var options = new NasBench201Options();

        Assert.Equal(NasBench201Dataset.Cifar10Valid, options.Dataset);
        Assert.Equal(200, options.Epochs);
        Assert.Equal(0, options.SimulatedSeconds);
        Assert.Empty(Validate(options));
    }

    [Theory]
    [InlineData(12, 0, true)]
    [InlineData(200, 2.5, true)]
    [InlineData(100, 0, false)]
    [InlineData(0, 0, false)]
    [InlineData(200, -1, false)]
    [InlineData(200, double.NaN, false)]
    public void Validates_epochs_and_simulated_seconds(int epochs, double simulatedSeconds, bool valid)
    {
        var errors = Validate(new NasBench201Options { Epochs = epochs, SimulatedSeconds = simulatedSeconds });
        Assert.Equal(valid, errors.Count == 0);
    }

    private static List<ValidationResult> Validate(NasBench201Options options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }
}

/// <summary>Reports on the caller's thread, unlike <see cref="Progress{T}"/>, so a test sees every report at once.</summary>
internal sealed class SynchronousProgress(Action<EvaluationProgress> report) : IProgress<EvaluationProgress>
{
    public void Report(EvaluationProgress value) => report(value);
}
