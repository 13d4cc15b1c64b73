using SemiNas.Contracts;

namespace SemiNas.Plugins.NasBench.NasBench101;

/// <summary>
/// A NAS-Bench-101 search: every evaluation is a lookup of the cell's 108-epoch results. Holds only immutable
/// state, so any number of workers may share it.
/// </summary>
public sealed class NasBench101Task : ISearchTask, IInProcessEvaluation
{
    public const string ValidAccuracy = "valid_accuracy";
    public const string MeanValidAccuracy = "mean_valid_accuracy";
    public const string TestAccuracy = "test_accuracy";
    public const string TrainingTime = "training_time";
    public const string Params = "params";

    private readonly NasBench101SearchSpace _space;

    public NasBench101Task(NasBench101Table table, NasBench101Query query = NasBench101Query.RandomRun)
    {
        ArgumentNullException.ThrowIfNull(table);
        Query = query;
        _space = new NasBench101SearchSpace(table);
        Metrics = BuildMetrics(table, query);
    }

    public NasBench101Query Query { get; }

    public NasBench101Table Table => _space.Table;

    public ISearchSpace Space => _space;

    public Objective Objective { get; } = new(ValidAccuracy, MetricGoal.Maximize);

    public IReadOnlyList<MetricInfo> Metrics { get; }

    public IReadOnlyDictionary<string, double> CheapMetrics(Architecture architecture) =>
        new Dictionary<string, double>(1) { [Params] = Table.Parameters(_space.RequireRow(architecture)) };

    public Task<IReadOnlyDictionary<string, double>> EvaluateAsync(
        Architecture architecture, EvaluationContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var row = _space.RequireRow(architecture);
        var table = Table;
        var metrics = new Dictionary<string, double>(5) { [Params] = table.Parameters(row) };
        if (Query == NasBench101Query.Mean || table.Runs == 1)
        {
            metrics[ValidAccuracy] = Percent(table.MeanValidationAccuracy(row));
            metrics[TrainingTime] = Mean(run => table.TrainingSeconds(row, run), table.Runs);
        }
        else
        {
            // The official query draws one of the runs for every call; drawing from the trial's seed keeps a
            // resumed or repeated search identical.
            var run = new Random(context.Seed).Next(table.Runs);
            metrics[ValidAccuracy] = Percent(table.ValidationAccuracy(row, run));
            metrics[TrainingTime] = table.TrainingSeconds(row, run);
        }
        if (table.Runs > 1) metrics[MeanValidAccuracy] = Percent(table.MeanValidationAccuracy(row));
        if (table.HasTestAccuracy) metrics[TestAccuracy] = Percent(table.MeanTestAccuracy(row));
        return Task.FromResult<IReadOnlyDictionary<string, double>>(metrics);
    }

    /// <summary>Table lookups: nothing here can crash a process.</summary>
    public string Reason => "NAS-Bench-101 table lookups";

    public void Dispose()
    {
        // Nothing to release: tables are shared by the process.
    }

    private static IReadOnlyList<MetricInfo> BuildMetrics(NasBench101Table table, NasBench101Query query)
    {
        var valid = table.Source == NasBench101Source.Slice
            ? "CIFAR-10 validation accuracy after 108 epochs, percent, of the one run the shipped 20,001-cell slice " +
              "records; only the slice's cells are valid, so the search never leaves the slice"
            : query == NasBench101Query.Mean
                ? "CIFAR-10 validation accuracy after 108 epochs, percent, mean of the three runs"
                : "CIFAR-10 validation accuracy after 108 epochs, percent, of one of the three runs drawn per trial (as the official API's query)";
        var metrics = new List<MetricInfo> { new(ValidAccuracy, valid) };
        if (table.Runs > 1)
            metrics.Add(new(MeanValidAccuracy, "CIFAR-10 validation accuracy after 108 epochs, percent, mean of the three runs"));
        if (table.HasTestAccuracy)
            metrics.Add(new(TestAccuracy, "CIFAR-10 test accuracy after 108 epochs, percent, mean of the three runs (what papers report)"));
        metrics.Add(new(TrainingTime, "training time of the run(s) behind valid_accuracy, seconds on a TPU v2"));
        metrics.Add(new(Params, "trainable parameters of the network built from the cell", Cheap: true));
        return metrics;
    }

    private static double Mean(Func<int, double> value, int count)
    {
        var sum = 0.0;
        for (var i = 0; i < count; i++) sum += value(i);
        return sum / count;
    }

    private static double Percent(double fraction) => fraction * 100;
}
