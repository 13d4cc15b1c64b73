using System.Text.Json;
using CsvHelper;
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
        Assert.Equal(94.3733, root.GetProperty("bestReportInSpace").GetDouble(), 4);
        // On CIFAR-10 the best cell by validation accuracy is also the best test cell (not so on CIFAR-100).
        Assert.Equal(94.3733, root.GetProperty("oracle").GetDouble(), 4);
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
            Assert.InRange(group.GetProperty("oracleShare").GetDouble(), 0, 1);
            Assert.Equal(curve.Count, group.GetProperty("objectiveCurveMean").GetArrayLength());
        }

        var runs = File.ReadAllLines(folder.File("out/runs.csv"));
        Assert.Equal(1 + 3 * 3, runs.Length);
        Assert.Contains(runs, line => line.StartsWith("random,random,10,11,"));
        Assert.True(File.Exists(folder.File("out/table.md")));
        Assert.True(new FileInfo(folder.File("out/curves-30.png")).Length > 10_000);
        Assert.True(new FileInfo(folder.File("out/objective-30.png")).Length > 10_000);
    }

    [Fact]
    public async Task A_shorter_budget_read_off_a_longer_run_equals_a_run_at_that_budget()
    {
        using var folder = new TempFolder();
        folder.Write("b.yaml", """
            schemaVersion: 1
            name: prefix
            task: {plugin: nasbench201, options: {dataset: cifar100}}
            seeds: 4
            runs:
              - label: "long, \"6/2\""
                strategy: evolution
                budgets: [12, 40]
                options: {populationSize: 6, tournamentSize: 2}
              - label: short
                strategy: evolution
                budgets: [12]
                options: {populationSize: 6, tournamentSize: 2}
            """);
        var (exitCode, _, error) = await SeminasProcess.RunAsync(folder.Path, "benchmark", "b.yaml", "--output", "out", "--parallel", "1");
        Assert.True(exitCode == 0, error);

        // label,strategy,budget,seed,queries,final_objective,final_report,pick_is_oracle,queries_to_oracle,seconds; the
        // label with a comma and quotes reads back whole.
        var rows = ReadCsv(folder.File("out/runs.csv"));
        Assert.Equal(4 * 3, rows.Count);
        const string Long = "long, \"6/2\"";
        string[] Row(string label, string budget, string seed) => rows.Single(r => r[0] == label && r[2] == budget && r[3] == seed);
        foreach (var seed in new[] { "1", "2", "3", "4" })
        {
            Assert.Equal(Row("short", "12", seed)[4..9], Row(Long, "12", seed)[4..9]);
            Assert.Equal("12", Row(Long, "12", seed)[4]);
            Assert.Equal("40", Row(Long, "40", seed)[4]);
        }
        Assert.Contains(new[] { "1", "2", "3", "4" }, seed => Row(Long, "40", seed)[6] != Row(Long, "12", seed)[6]);
    }

    [Fact]
    public async Task A_benchmark_run_again_with_more_seeds_runs_only_the_new_ones_and_a_changed_one_starts_over()
    {
        using var folder = new TempFolder();
        const string config = """
            schemaVersion: 1
            name: grow
            task: {plugin: nasbench201, options: {dataset: cifar10-valid}}
            runs:
              - strategy: evolution
                budgets: [30]
                options: {populationSize: 8, tournamentSize: 3}
            """;
        folder.Write("b.yaml", config);
        var first = await SeminasProcess.RunAsync(folder.Path, "benchmark", "b.yaml", "--output", "out", "--seeds", "3");
        Assert.True(first.ExitCode == 0, first.Error);
        var firstRows = File.ReadAllLines(folder.File("out/runs.csv")).Skip(1).ToList();

        var second = await SeminasProcess.RunAsync(folder.Path, "benchmark", "b.yaml", "--output", "out", "--seeds", "5", "--parallel", "2");
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Contains("3 of 5 runs are already in", second.Output);
        var secondRows = File.ReadAllLines(folder.File("out/runs.csv")).Skip(1).ToList();
        Assert.Equal(5, secondRows.Count);
        // Same results for the seeds that were kept (the seconds column aside).
        Assert.Equal(firstRows.Select(WithoutSeconds), secondRows.Take(3).Select(WithoutSeconds));

        folder.Write("b.yaml", config.Replace("tournamentSize: 3", "tournamentSize: 4"));
        var changed = await SeminasProcess.RunAsync(folder.Path, "benchmark", "b.yaml", "--output", "out", "--seeds", "2");
        Assert.True(changed.ExitCode == 0, changed.Error);
        Assert.Contains("starting over", changed.Output);
        Assert.DoesNotContain("already in", changed.Output);
        static string WithoutSeconds(string row) => row[..row.LastIndexOf(',')];
    }

    [Fact]
    public async Task A_worker_killed_mid_benchmark_hands_its_runs_to_a_new_one_and_every_run_is_reported()
    {
        using var folder = new TempFolder();
        folder.Write("b.yaml", """
            schemaVersion: 1
            name: crash
            task: {plugin: nasbench201, options: {dataset: cifar10-valid}}
            seeds: 4
            runs:
              - strategy: nao
                budgets: [20]
                options: {initialSamples: 10, newPerIteration: 5, hidden: 8, mlpHidden: 8, pretrainEpochs: 20, trainEpochs: 10}
            """);
        using var process = SeminasProcess.Start(folder.Path, "benchmark", "b.yaml", "--output", "out", "--parallel", "2");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();

        // SIGKILL the first worker as soon as it exists, as a native crash would end it.
        int? worker = null;
        for (var wait = 0; worker is null && !process.HasExited && wait < 600; wait++)
        {
            worker = ChildProcesses(process.Id).Cast<int?>().FirstOrDefault();
            if (worker is null) await Task.Delay(50);
        }
        Assert.True(worker is not null, "no benchmark worker appeared");
        using (var victim = System.Diagnostics.Process.GetProcessById(worker.Value)) victim.Kill();

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, await error);
        Assert.Contains("a benchmark worker failed", await error);
        var seeds = ReadCsv(folder.File("out/runs.csv")).Select(r => r[3]).Order().ToList();
        Assert.Equal(["1", "2", "3", "4"], seeds);
        Assert.Contains("crash", await output);
    }

    // Linux: the fourth field of /proc/PID/stat, after the parenthesised command name, is the parent's id.
    private static IEnumerable<int> ChildProcesses(int parent)
    {
        foreach (var directory in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var id)) continue;
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (IOException)
            {
                continue;
            }
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) == parent) yield return id;
        }
    }

    [Fact]
    public async Task A_predictor_study_reports_rank_correlations_with_and_without_pseudo_labels()
    {
        using var folder = new TempFolder();
        folder.Write("p.yaml", """
            schemaVersion: 1
            name: study
            task: {plugin: nasbench201, options: {dataset: cifar10-valid}}
            seeds: 2
            predictor:
              labelled: [15, 80]
              heldOut: 400
              variants:
                - {label: nao, strategy: nao, options: {hidden: 16, mlpHidden: 16, pretrainEpochs: 60, trainEpochs: 10}}
                - {label: seminas, strategy: seminas, options: {hidden: 16, mlpHidden: 16, pretrainEpochs: 60, trainEpochs: 10, pseudoLabeled: 300, upSample: 5}}
            """);
        var (exitCode, output, error) = await SeminasProcess.RunAsync(folder.Path, "benchmark", "p.yaml", "--output", "out", "--parallel", "2");
        Assert.True(exitCode == 0, error);
        Assert.Contains("| seminas | 80 | 300 | 400 | 2 |", output);

        using var summary = JsonDocument.Parse(File.ReadAllText(folder.File("out/summary.json")));
        var groups = summary.RootElement.GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(4, groups.Count);
        Assert.All(groups, g => Assert.InRange(g.GetProperty("kendallTau").GetDouble(), -1, 1));
        // With 80 labelled cells the predictor ranks unseen ones clearly better than chance.
        Assert.All(groups.Where(g => g.GetProperty("labelled").GetInt32() == 80),
            g => Assert.True(g.GetProperty("kendallTau").GetDouble() > 0.2, g.ToString()));
        Assert.Equal(1 + 2 * 2 * 2, File.ReadAllLines(folder.File("out/runs.csv")).Length);
        Assert.True(new FileInfo(folder.File("out/predictor.png")).Length > 5_000);
    }

    [Fact]
    public async Task A_benchmark_is_either_runs_or_a_predictor_study()
    {
        using var folder = new TempFolder();
        folder.Write("b.yaml", """
            schemaVersion: 1
            name: both
            task: {plugin: nasbench201}
            runs: [{strategy: random, budgets: [10]}]
            predictor: {labelled: [10], variants: [{label: x}]}
            """);
        var (exitCode, _, error) = await SeminasProcess.RunAsync(folder.Path, "benchmark", "b.yaml");
        Assert.Equal(2, exitCode);
        Assert.Contains("not both", error);
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

    private static List<string[]> ReadCsv(string path)
    {
        using var csv = CsvReader.FromFile(path);
        var rows = new List<string[]>();
        while (csv.Read()) rows.Add(Enumerable.Range(0, csv.FieldCount).Select(i => csv.GetString(i)).ToArray());
        return rows;
    }
}
