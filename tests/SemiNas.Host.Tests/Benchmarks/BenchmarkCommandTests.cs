using System.Text.Json;
using SemiNas.Host.Tests.Cli;

namespace SemiNas.Host.Tests.Benchmarks;

public class BenchmarkCommandTests
{
    [Fact]
    public async Task A_benchmark_writes_a_summary_a_table_every_run_and_a_plot()
    {
        using var folder = new TempFolder();
        folder.Write("b.yaml", """
            schemaVersion: 1
            name: tiny
            task: {plugin: nasbench201, options: {dataset: cifar10-valid}}
            reportMetric: test_accuracy
            seeds: 3
            runs:
              - strategy: random
                budgets: [10, 30]
              - strategy: evolution
                budgets: [30]
            """);
        var (exitCode, output, error) = await SeminasProcess.RunAsync(folder.Path, "benchmark", "b.yaml", "--output", "out", "--seed-offset", "10");
        Assert.True(exitCode == 0, error);
        Assert.Contains("| random | 30 | 3 |", output);

        using var summary = JsonDocument.Parse(File.ReadAllText(folder.File("out/summary.json")));
        var root = summary.RootElement;
        Assert.Equal(94.3733, root.GetProperty("optimum").GetDouble(), 4);
        var groups = root.GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(3, groups.Count);
        foreach (var group in groups)
        {
            Assert.Equal(3, group.GetProperty("runs").GetInt32());
            var mean = group.GetProperty("mean").GetDouble();
            Assert.InRange(mean, 80, 94.3734);
            var curve = group.GetProperty("curveMean").EnumerateArray().Select(v => v.GetDouble()).ToList();
            Assert.Equal(group.GetProperty("budget").GetInt32(), curve.Count);
            Assert.Equal(mean, curve[^1], 6);
        }

        var runs = File.ReadAllLines(folder.File("out/runs.csv"));
        Assert.Equal(1 + 3 * 3, runs.Length);
        Assert.Contains(runs, line => line.StartsWith("random,random,10,11,"));
        Assert.True(File.Exists(folder.File("out/table.md")));
        Assert.True(new FileInfo(folder.File("out/curves-30.png")).Length > 10_000);
    }

    [Fact]
    public async Task An_unknown_strategy_in_a_benchmark_names_its_line()
    {
        using var folder = new TempFolder();
        folder.Write("b.yaml", """
            schemaVersion: 1
            name: bad
            task: {plugin: nasbench201}
            runs:
              - strategy: random
                budgets: [10]
              - strategy: annealing
                budgets: [10]
            """);
        var (exitCode, _, error) = await SeminasProcess.RunAsync(folder.Path, "benchmark", "b.yaml");
        Assert.Equal(2, exitCode);
        Assert.Contains("b.yaml:7:15: runs[1].strategy", error);
    }
}
