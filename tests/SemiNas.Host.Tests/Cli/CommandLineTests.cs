using System.Text.Json;

namespace SemiNas.Host.Tests.Cli;

public class CommandLineTests
{
    [Fact]
    public async Task Killing_a_search_with_SIGKILL_and_running_it_again_ends_with_exactly_the_budget()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201(name: "killed", budget: 100, simulatedSeconds: 0.05, workers: 4));
        var store = folder.File("experiments/killed.sqlite");

        using (var process = SeminasProcess.Start(folder.Path, "search", "c.yaml"))
        {
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (StoreSql.CompleteTrials(store) < 30)
            {
                Assert.True(DateTime.UtcNow < deadline, "the search made no progress");
                Assert.False(process.HasExited, "the search ended before it was killed");
                await Task.Delay(50);
            }
            process.Kill(entireProcessTree: true); // SIGKILL: no cleanup runs
            await process.WaitForExitAsync();
        }
        var beforeResume = StoreSql.CompleteTrials(store);
        Assert.InRange(beforeResume, 30, 99);

        var (exitCode, output, error) = await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml");
        Assert.True(exitCode == 0, error);
        Assert.Contains("resuming", output);

        var (statusCode, statusJson, _) = await SeminasProcess.RunAsync(folder.Path, "status", store, "--json");
        Assert.Equal(0, statusCode);
        using var status = JsonDocument.Parse(statusJson);
        Assert.Equal(100, status.RootElement.GetProperty("trials").GetProperty("complete").GetInt32());
        Assert.Equal(0, status.RootElement.GetProperty("trials").GetProperty("failed").GetInt32());
        Assert.Equal(100, StoreSql.DistinctKeys(store));
    }

    [Fact]
    public async Task A_misspelt_key_is_reported_with_line_and_column_and_a_non_zero_exit()
    {
        using var folder = new TempFolder();
        folder.Write("bad.yaml", """
            schemaVersion: 1
            name: bad
            task:
              plugin: nasbench201
            search:
              strategy: random
              budjet: 100
            """);
        var (exitCode, _, error) = await SeminasProcess.RunAsync(folder.Path, "validate", "bad.yaml");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("bad.yaml:7:3", error);
        Assert.Contains("budget", error);
    }

    [Fact]
    public async Task Search_prints_the_best_architecture_and_export_writes_every_trial()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201(name: "small", budget: 15));
        var (exitCode, output, error) = await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml");
        Assert.True(exitCode == 0, error);
        Assert.Contains("Best trial", output);
        Assert.Contains("test_accuracy", output);

        var (csvCode, _, csvError) = await SeminasProcess.RunAsync(folder.Path, "export", "experiments/small.sqlite", "--format", "csv", "--output", "t.csv");
        Assert.True(csvCode == 0, csvError);
        var lines = File.ReadAllLines(folder.File("t.csv"));
        Assert.Equal(16, lines.Length);
        Assert.StartsWith("number,state,tokens,canonical_key", lines[0]);
        Assert.Contains("valid_accuracy", lines[0]);

        var (jsonCode, json, _) = await SeminasProcess.RunAsync(folder.Path, "export", "experiments/small.sqlite", "--format", "json");
        Assert.Equal(0, jsonCode);
        using var document = JsonDocument.Parse(json);
        Assert.Equal(15, document.RootElement.GetArrayLength());

        var (plotCode, _, plotError) = await SeminasProcess.RunAsync(folder.Path, "plot", "experiments/small.sqlite", "--output", "p.png");
        Assert.True(plotCode == 0, plotError);
        var png = File.ReadAllBytes(folder.File("p.png"));
        Assert.True(png.Length > 10_000);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
    }

    [Fact]
    public async Task Every_shipped_experiment_config_validates()
    {
        var configs = Directory.GetFiles(Path.Combine(Repository.Root, "configs"), "*.yaml");
        Assert.Contains(configs, c => c.EndsWith("quickstart.yaml"));
        foreach (var config in configs)
        {
            var (exitCode, _, error) = await SeminasProcess.RunAsync(Path.GetTempPath(), "validate", config);
            Assert.True(exitCode == 0, $"{config}: {error}");
        }
    }

    [Fact]
    public async Task Every_shipped_benchmark_config_checks()
    {
        var configs = Directory.GetFiles(Path.Combine(Repository.Root, "configs", "benchmarks"), "*.yaml");
        Assert.Contains(configs, c => c.EndsWith("nb101-predictor.yaml"));
        foreach (var config in configs)
        {
            var (exitCode, output, error) = await SeminasProcess.RunAsync(Path.GetTempPath(), "benchmark", config, "--check");
            Assert.True(exitCode == 0, $"{config}: {error}");
            Assert.Matches("^(Benchmark|Predictor study) '", output);
        }
    }

    [Fact]
    public void The_host_carries_one_libtorch_and_its_plugins_carry_none()
    {
        var output = AppContext.BaseDirectory;
        Assert.Single(Directory.GetFiles(output, "libtorch_cpu.so", SearchOption.AllDirectories));
        var plugins = Path.Combine(output, "plugins");
        Assert.Empty(Directory.GetFiles(plugins, "libtorch*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(plugins, "SemiNas.Contracts.dll", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Describe_shows_the_canonical_key_readable_form_and_cheap_metrics()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201());
        // The ResNet cell of NAS-Bench-201 (index 11472).
        var (exitCode, json, error) = await SeminasProcess.RunAsync(folder.Path, "describe", "c.yaml", "--arch", "4 1 4 2 1 2", "--json");
        Assert.True(exitCode == 0, error);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.True(root.GetProperty("valid").GetBoolean());
        Assert.True(root.GetProperty("evaluable").GetBoolean());
        Assert.Equal("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|", root.GetProperty("description").GetString());
        Assert.True(root.GetProperty("cheapMetrics").GetProperty("flops").GetDouble() > 0);

        var (invalidCode, invalidOutput, _) = await SeminasProcess.RunAsync(folder.Path, "describe", "c.yaml", "--arch", "9 1 4 2 1 2");
        Assert.NotEqual(0, invalidCode);
        Assert.Contains("not valid", invalidOutput);
    }

    [Fact]
    public async Task Describe_calls_a_NAS_Bench_101_cell_outside_the_shipped_slice_valid_and_says_apart_that_it_has_no_result()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", """
            schemaVersion: 1
            name: nb101
            task:
              plugin: nasbench101
            search: {strategy: random, budget: 5}
            """);
        // The Inception-like cell of the official API's docstring: a valid cell, not one of the slice's 20,001.
        const string inception = "2 3 2 1 4 2 1 1 4 1 1 1 2 4 2 1 1 1 1 5 1 2 2 1 2 2 6";

        var (exitCode, json, error) = await SeminasProcess.RunAsync(folder.Path, "describe", "c.yaml", "--arch", inception, "--json");
        Assert.True(exitCode == 0, error);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.True(root.GetProperty("valid").GetBoolean());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("reason").ValueKind);
        Assert.Equal("28cfc7874f6d200472e1a9dcd8650aa0", root.GetProperty("canonicalKey").GetString());
        Assert.False(root.GetProperty("evaluable").GetBoolean());
        Assert.Contains("not one of the 20,001 cells of the shipped slice, so it has no recorded accuracy",
            root.GetProperty("notEvaluableReason").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("withinConstraints").ValueKind);

        var text = await SeminasProcess.RunAsync(folder.Path, "describe", "c.yaml", "--arch", inception);
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("] valid", text.Output);
        Assert.Contains("  canonical key: 28cfc7874f6d200472e1a9dcd8650aa0", text.Output);
        Assert.Contains("  no result:     cell 28cfc7874f6d200472e1a9dcd8650aa0 is a valid NAS-Bench-101 cell but not one of", text.Output);

        // A sequence that is no cell at all stays invalid.
        var notACell = await SeminasProcess.RunAsync(folder.Path, "describe", "c.yaml", "--arch", "1 2 3", "--json");
        Assert.Equal(1, notACell.ExitCode);
        using var invalid = JsonDocument.Parse(notACell.Output);
        Assert.False(invalid.RootElement.GetProperty("valid").GetBoolean());
        Assert.Contains("27 tokens", invalid.RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Plugins_lists_the_bundled_plugin_with_its_options()
    {
        using var folder = new TempFolder();
        var (exitCode, json, error) = await SeminasProcess.RunAsync(folder.Path, "plugins", "--json");
        Assert.True(exitCode == 0, error);
        using var document = JsonDocument.Parse(json);
        var plugin = document.RootElement.GetProperty("plugins").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "nasbench201");
        Assert.Contains(plugin.GetProperty("options").EnumerateArray(), o => o.GetProperty("keyPath").GetString() == "dataset");
    }
}
