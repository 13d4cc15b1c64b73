using System.Diagnostics;
using SemiNas.Contracts;

namespace SemiNas.Plugins.NasBench;

/// <summary>
/// A NAS-Bench-201 search: every evaluation is a lookup in the benchmark table, optionally slowed down to
/// behave like real training. Holds only immutable state, so any number of workers may share it.
/// </summary>
public sealed class NasBench201Task : ISearchTask, IInProcessEvaluation
{
    // Enough progress reports for a live display to move, few enough not to flood it.
    private const int ProgressSteps = 10;

    private readonly NasBench201SearchSpace _space;
    private readonly NasBench201MetricColumns _columns;
    private readonly TimeSpan _simulatedDuration;

    public NasBench201Task(NasBench201Options options, NasBench201Table table)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(table);
        if (!(options.SimulatedSeconds is >= 0 and <= NasBench201Options.MaxSimulatedSeconds))
            throw new ArgumentOutOfRangeException(nameof(options), options.SimulatedSeconds,
                $"SimulatedSeconds must be between 0 and {NasBench201Options.MaxSimulatedSeconds}.");
        // Values are copied: the options object belongs to the caller and could change after creation.
        Dataset = options.Dataset;
        Epochs = options.Epochs;
        _columns = NasBench201MetricColumns.For(options.Dataset, options.Epochs);
        _simulatedDuration = TimeSpan.FromSeconds(options.SimulatedSeconds);
        _space = new NasBench201SearchSpace(table);
    }

    public NasBench201Dataset Dataset { get; }

    public int Epochs { get; }

    public ISearchSpace Space => _space;

    public Objective Objective { get; } = new(NasBench201MetricColumns.ValidAccuracy, MetricGoal.Maximize);

    public IReadOnlyList<MetricInfo> Metrics => _columns.Metrics;

    public IReadOnlyDictionary<string, double> CheapMetrics(Architecture architecture)
    {
        var row = _space.RowOf(architecture);
        return new Dictionary<string, double>(2)
        {
            [NasBench201MetricColumns.Params] = FromMillions(_columns.ParamsMillions(row)),
            [NasBench201MetricColumns.Flops] = FromMillions(_columns.FlopsMillions(row)),
        };
    }

    public async Task<IReadOnlyDictionary<string, double>> EvaluateAsync(
        Architecture architecture, EvaluationContext context, CancellationToken cancellationToken)
    {
        // Looked up first so that an invalid cell fails at once instead of after the simulated wait.
        var row = _space.RowOf(architecture);
        cancellationToken.ThrowIfCancellationRequested();
        if (_simulatedDuration > TimeSpan.Zero)
            await SimulateTrainingAsync(row, context.Progress, cancellationToken).ConfigureAwait(false);

        var metrics = new Dictionary<string, double>(5)
        {
            [NasBench201MetricColumns.ValidAccuracy] = _columns.Valid(row),
            [NasBench201MetricColumns.TestAccuracy] = _columns.Test(row),
            [NasBench201MetricColumns.Params] = FromMillions(_columns.ParamsMillions(row)),
            [NasBench201MetricColumns.Flops] = FromMillions(_columns.FlopsMillions(row)),
        };
        if (_columns.Train is { } train) metrics[NasBench201MetricColumns.TrainAccuracy] = train(row);
        return metrics;
    }

    /// <summary>Table lookups (even with simulatedSeconds, a wait): nothing here can crash a process.</summary>
    public string Reason => "NAS-Bench-201 table lookups";

    public void Dispose()
    {
        // Nothing to release: the table is shared by the process.
    }

    /// <summary>
    /// Waits the simulated duration in steps, reporting progress after each, with the simulated epoch as the step.
    /// Each step waits until its deadline on one stopwatch, so timer granularity does not add up over the steps. The
    /// table holds no learning curves, only each schedule's final accuracies: the last step reports those (validation,
    /// and training where the table has it) at the last epoch, and the steps before it report none rather than
    /// invented ones.
    /// </summary>
    private async Task SimulateTrainingAsync(NasBench201Row row, IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        for (var step = 1; step <= ProgressSteps; step++)
        {
            var remaining = _simulatedDuration * step / ProgressSteps - clock.Elapsed;
            if (remaining > TimeSpan.Zero) await Task.Delay(remaining, cancellationToken).ConfigureAwait(false);
            var epoch = Epochs * step / ProgressSteps;
            Dictionary<string, double>? final = null;
            if (step == ProgressSteps)
            {
                final = new Dictionary<string, double>(2) { [NasBench201MetricColumns.ValidAccuracy] = _columns.Valid(row) };
                if (_columns.Train is { } train) final[NasBench201MetricColumns.TrainAccuracy] = train(row);
            }
            progress?.Report(new EvaluationProgress((double)step / ProgressSteps,
                $"simulated training {step}/{ProgressSteps}", final) { Step = epoch });
        }
    }

    // The file gives millions with 6 decimals, so the absolute value is a whole number; rounding drops the
    // binary floating-point residue (e.g. 73306.00000000001) that would otherwise show in reports.
    private static double FromMillions(double millions) => Math.Round(millions * 1e6);
}
