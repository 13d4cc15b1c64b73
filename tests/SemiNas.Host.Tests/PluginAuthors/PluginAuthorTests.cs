using System.Text.Json;
using SemiNas.Benchmarks;
using SemiNas.Contracts;
using SemiNas.Controller;
using SemiNas.Core;
using SemiNas.Core.Strategies;
using SemiNas.Engine;
using SemiNas.Host.Benchmarks;
using SemiNas.Host.Configuration;
using SemiNas.Host.Experiments;
using SemiNas.Host.Tests.Cli;

namespace SemiNas.Host.Tests.PluginAuthors;

/// <summary>What an author of a new plugin relies on: metric names, errors that name the plugin, notations, oracles.</summary>
public class PluginAuthorTests
{
    private const string NasBench201Config = """
        schemaVersion: 1
        name: nb
        task: {plugin: nasbench201, options: {dataset: cifar100}}
        search: {strategy: random, budget: 5}
        """;

    [Fact]
    public async Task Describe_without_an_architecture_lists_the_objective_and_every_metric_by_kind()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", NasBench201Config);
        var (exitCode, output, error) = await SeminasProcess.RunAsync(folder.Path, "describe", "c.yaml", "--json");
        Assert.True(exitCode == 0, error);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal("valid_accuracy", root.GetProperty("objective").GetProperty("metric").GetString());
        Assert.Equal("maximize", root.GetProperty("objective").GetProperty("goal").GetString());
        Assert.Equal(["valid_accuracy", "test_accuracy", "train_accuracy"],
            root.GetProperty("evaluatedMetrics").EnumerateArray().Select(m => m.GetString()!));
        Assert.Equal(["params", "flops"], root.GetProperty("cheapMetrics").EnumerateArray().Select(m => m.GetString()!));
        Assert.Equal(6, root.GetProperty("space").GetProperty("length").GetInt32());

        var text = await SeminasProcess.RunAsync(folder.Path, "describe", "c.yaml");
        Assert.Contains("objective: valid_accuracy (maximize)", text.Output);
        Assert.Contains("test_accuracy", text.Output);
    }

    [Fact]
    public async Task Describe_reads_an_architecture_in_the_benchmarks_own_notation()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", NasBench201Config);
        const string best = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|";
        var (exitCode, output, error) = await SeminasProcess.RunAsync(folder.Path, "describe", "c.yaml", "--arch", best, "--json");
        Assert.True(exitCode == 0, error);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("4 4 5 2 4 2", json.RootElement.GetProperty("tokens").GetString());
        Assert.Equal(best, json.RootElement.GetProperty("description").GetString());

        var wrong = await SeminasProcess.RunAsync(folder.Path, "describe", "c.yaml", "--arch", "|nor_conv_3x3~0|+|conv_9x9~0|none~1|+|none~0|none~1|none~2|");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("input 1 of node 2 is 'conv_9x9~0'", wrong.Error);
    }

    [Fact]
    public async Task A_task_creation_error_names_the_plugin_and_the_option_and_exits_2()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", """
            schemaVersion: 1
            name: nb101
            task:
              plugin: nasbench101
              options:
                dataFile: nowhere/nasbench_only108.tfrecord
            search: {strategy: random, budget: 5}
            """);
        var (exitCode, _, error) = await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml");
        Assert.Equal(2, exitCode);
        Assert.Contains("c.yaml:6:15: task.options.dataFile: plugin 'nasbench101':", error);
        Assert.Contains("does not exist", error);
        Assert.False(File.Exists(folder.File("experiments/nb101.sqlite")), "a store was created for a search that cannot start");
    }

    [Fact]
    public async Task The_oracle_is_the_best_architecture_by_the_objective_not_the_best_test_value()
    {
        // Validation and test disagree on purpose: the best by validation is [3 3] (test 90), the best test is [1 1]
        // (test 95, validation lowest). A search that finds [3 3] has found everything searching on validation can.
        using var task = new DisagreeingTable();
        var reference = await BenchmarkRun.FindReferenceAsync(task, "test", CancellationToken.None);
        Assert.NotNull(reference);
        Assert.Equal(90, reference.Oracle);
        Assert.Equal(95, reference.BestReportInSpace);
        Assert.Equal(86, reference.OracleObjective);
        Assert.Equal("[3 3]", reference.OracleDescription);

        var factory = new RandomSearch.Factory();
        var run = await BenchmarkRun.RunAsync("random", factory, Activator.CreateInstance(factory.OptionsType)!,
            new BenchmarkRun.Target(task, "disagreeing", Constraints.None, "test", reference), budget: 9, seed: 1, CancellationToken.None);
        Assert.Equal(9, run.Queries);
        Assert.True(run.PickIsOracle);
        Assert.Equal(90, run.FinalReport);
        var before = run.AtBudget(run.QueriesToOracle!.Value - 1);
        Assert.False(before.PickIsOracle);

        var group = BenchmarkGroup.Of([run, before]);
        Assert.Equal(0.5, group.OracleShare);
        Assert.Equal(run.ObjectiveCurve.Length, group.ObjectiveCurveMean.Length);
    }

    public enum SceneSplit
    {
        [System.Runtime.Serialization.EnumMember(Value = "ClassScene")]
        ClassScene,
        ObjectOnly,
    }

    [Fact]
    public void An_enum_member_can_carry_the_datas_own_spelling_and_every_spelling_of_it_is_accepted()
    {
        Assert.Equal(["ClassScene", "objectonly"], ConfigNames.EnumValueNames(typeof(SceneSplit)));
        Assert.Equal("one of ClassScene|objectonly", OptionsDocumentation.TypeName(typeof(SceneSplit)));
        foreach (var text in new[] { "ClassScene", "class-scene", "classscene", "CLASS_SCENE" })
        {
            Assert.True(ConfigNames.TryParseEnum(typeof(SceneSplit), text, out var value), text);
            Assert.Equal(SceneSplit.ClassScene, value);
        }
    }

    /// <summary>Two positions of tokens 1..3: a table task in the few lines <see cref="TableTask"/> leaves to write.</summary>
    private sealed class DisagreeingTable : TableTask
    {
        public override ISearchSpace Space { get; } = new GridSpace();

        public override Objective Objective { get; } = new("valid");

        public override IReadOnlyList<MetricInfo> Metrics { get; } = [new("valid", "validation accuracy"), new("test", "test accuracy")];

        protected override IReadOnlyDictionary<string, double>? Lookup(Architecture architecture)
        {
            var (a, b) = (architecture[0], architecture[1]);
            var valid = 80 + a + b;
            var test = (a, b) == (1, 1) ? 95 : (a, b) == (3, 3) ? 90 : 85;
            return new Dictionary<string, double> { ["valid"] = valid, ["test"] = test };
        }
    }

    private sealed class GridSpace : IEnumerableSearchSpace
    {
        public int Length => 2;

        public int VocabularySize => 4;

        public IReadOnlyList<IReadOnlyList<int>> AllowedTokens { get; } = [[1, 2, 3], [1, 2, 3]];

        public Architecture Sample(Random random) => new([random.Next(1, 4), random.Next(1, 4)]);

        public bool IsValid(Architecture architecture, out string? reason)
        {
            reason = architecture.Length == 2 && architecture.Tokens.All(t => t is >= 1 and <= 3) ? null : "two tokens in 1..3";
            return reason is null;
        }

        public string CanonicalKey(Architecture architecture) => architecture.ToString();

        public string Describe(Architecture architecture) => $"[{architecture}]";

        public IEnumerable<Architecture> EnumerateAll() =>
            from a in Enumerable.Range(1, 3) from b in Enumerable.Range(1, 3) select new Architecture([a, b]);
    }
}
