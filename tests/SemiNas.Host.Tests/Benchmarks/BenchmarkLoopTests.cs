using System.Collections.Concurrent;
using SemiNas.Benchmarks;
using SemiNas.Contracts;
using SemiNas.Engine;
using SemiNas.Host.Configuration;
using SemiNas.Host.Experiments;
using SemiNas.Host.Plugins;
using SemiNas.Host.Tests.Cli;

namespace SemiNas.Host.Tests.Benchmarks;

public class BenchmarkLoopTests
{
    /// <summary>A task that notes every architecture it evaluates.</summary>
    private sealed class RecordingTask(ISearchTask inner) : ISearchTask
    {
        public ConcurrentQueue<Architecture> Evaluated { get; } = new();

        public ISearchSpace Space => inner.Space;

        public Objective Objective => inner.Objective;

        public IReadOnlyList<MetricInfo> Metrics => inner.Metrics;

        public IReadOnlyDictionary<string, double> CheapMetrics(Architecture architecture) => inner.CheapMetrics(architecture);

        public Task<IReadOnlyDictionary<string, double>> EvaluateAsync(Architecture architecture, EvaluationContext context, CancellationToken cancellationToken)
        {
            Evaluated.Enqueue(architecture);
            return inner.EvaluateAsync(architecture, context, cancellationToken);
        }

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task A_benchmark_with_a_FLOPs_limit_never_evaluates_an_architecture_beyond_it()
    {
        using var folder = new TempFolder();
        using var plan = ExperimentPlan.Create(ConfigLoader.Load(folder.Write("c.yaml", Configs.NasBench201())), PluginCatalog.Discover([]));
        const double limit = 50e6;
        var space = (IEnumerableSearchSpace)plan.Task.Space;
        Assert.Contains(space.EnumerateAll(), a => plan.Task.CheapMetrics(a)["flops"] > limit);
        var reference = await BenchmarkRun.FindReferenceAsync(plan.Task, "test_accuracy", CancellationToken.None);
        var task = new RecordingTask(plan.Task);
        var target = new BenchmarkRun.Target(task, "nasbench201",
            new Constraints(new Dictionary<string, MetricBound> { ["flops"] = new(Min: null, Max: limit) }), "test_accuracy", reference);

        foreach (var strategy in new[] { "random", "evolution" })
        {
            var factory = PluginCatalog.FromAssemblies([]).GetStrategy(strategy);
            var run = await BenchmarkRun.RunAsync(strategy, factory, Activator.CreateInstance(factory.OptionsType)!, target,
                budget: 100, seed: 3, CancellationToken.None);
            Assert.Equal(100, run.Queries);
            // The table's best cell is a big one: a search held to small cells cannot pick it.
            Assert.False(run.PickIsOracle);
        }
        Assert.Equal(200, task.Evaluated.Count);
        Assert.All(task.Evaluated, a => Assert.InRange(plan.Task.CheapMetrics(a)["flops"], 0, limit));
    }

    /// <summary>Fails every other evaluation, the first included, as a crashing training would.</summary>
    private sealed class HalfFailingTask(ISearchTask inner) : ISearchTask
    {
        private int _calls;

        public ConcurrentQueue<(Architecture Architecture, bool Failed)> Evaluated { get; } = new();

        public ISearchSpace Space => inner.Space;

        public Objective Objective => inner.Objective;

        public IReadOnlyList<MetricInfo> Metrics => inner.Metrics;

        public IReadOnlyDictionary<string, double> CheapMetrics(Architecture architecture) => inner.CheapMetrics(architecture);

        public Task<IReadOnlyDictionary<string, double>> EvaluateAsync(Architecture architecture, EvaluationContext context, CancellationToken cancellationToken)
        {
            var fail = Interlocked.Increment(ref _calls) % 2 == 1;
            Evaluated.Enqueue((architecture, fail));
            return fail ? throw new InvalidOperationException("out of memory") : inner.EvaluateAsync(architecture, context, cancellationToken);
        }

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task A_failed_evaluation_in_a_benchmark_costs_a_query_and_is_never_the_pick()
    {
        using var folder = new TempFolder();
        using var plan = ExperimentPlan.Create(ConfigLoader.Load(folder.Write("c.yaml", Configs.NasBench201())), PluginCatalog.Discover([]));
        var task = new HalfFailingTask(plan.Task);
        var factory = PluginCatalog.FromAssemblies([]).GetStrategy("random");
        var run = await BenchmarkRun.RunAsync("random", factory, Activator.CreateInstance(factory.OptionsType)!, new BenchmarkRun.Target(task, "nasbench201", Constraints.None,
            "test_accuracy", Reference: null), budget: 40, seed: 2, CancellationToken.None);

        Assert.Equal(40, run.Queries);
        Assert.Equal(40, task.Evaluated.Count);
        Assert.True(double.IsNaN(run.Curve[0]), "the first query failed, so there is no pick yet");
        var succeeded = await Task.WhenAll(task.Evaluated.Where(e => !e.Failed)
            .Select(e => plan.Task.EvaluateAsync(e.Architecture, new EvaluationContext { TrialId = 0, Device = "cpu", Seed = 0, WorkingDirectory = folder.Path, ExperimentDirectory = folder.Path }, default)));
        Assert.Equal(succeeded.Max(m => m["valid_accuracy"]), run.FinalObjective);
    }

    [Fact]
    public async Task The_constraints_of_a_benchmark_file_are_checked_against_the_task_s_metrics()
    {
        using var folder = new TempFolder();
        const string config = """
            schemaVersion: 1
            name: small
            task: {plugin: nasbench201, options: {dataset: cifar10-valid}}
            constraints:
              flops: {max: 50e6}
            seeds: 2
            runs:
              - strategy: random
                budgets: [20]
            """;
        folder.Write("b.yaml", config);
        var (exitCode, output, error) = await SeminasProcess.RunAsync(folder.Path, "benchmark", "b.yaml", "--output", "out", "--parallel", "1");
        Assert.True(exitCode == 0, error);
        Assert.Contains("| random | 20 | 2 |", output);

        folder.Write("b.yaml", config.Replace("flops:", "flop:"));
        (exitCode, _, error) = await SeminasProcess.RunAsync(folder.Path, "benchmark", "b.yaml", "--output", "out");
        Assert.Equal(2, exitCode);
        Assert.Contains("b.yaml:5:9: constraints.flop: the task has no metric 'flop'", error);
    }

    [Fact]
    public async Task Constraints_on_a_predictor_study_are_refused_rather_than_ignored()
    {
        using var folder = new TempFolder();
        folder.Write("b.yaml", """
            schemaVersion: 1
            name: study
            task: {plugin: nasbench201}
            constraints: {flops: {max: 50e6}}
            predictor: {labelled: [10], variants: [{label: x}]}
            """);
        var (exitCode, _, error) = await SeminasProcess.RunAsync(folder.Path, "benchmark", "b.yaml");
        Assert.Equal(2, exitCode);
        Assert.Contains("a predictor study has none", error);
    }
}
