using System.Text.Json;
using SemiNas.Host.Tests.Cli;

namespace SemiNas.Host.Tests.PluginAuthors;

/// <summary>What docs/plugins.md promises an author of a strategy: samples/MinimalStrategy, built into a plugin folder.</summary>
public class StrategyPluginTests
{
    private static readonly string SampleFolder = Path.Combine(AppContext.BaseDirectory, "test-plugins", "SemiNas.Samples.MinimalStrategy");

    [Fact]
    public void The_docs_show_the_sample_strategy_and_its_project_file_as_they_are()
    {
        var docs = File.ReadAllText(Path.Combine(Repository.Root, "docs", "plugins.md")).ReplaceLineEndings("\n");
        var sample = Path.Combine(Repository.Root, "samples", "MinimalStrategy");
        var files = Directory.GetFiles(sample, "*.cs").Append(Path.Combine(sample, "SemiNas.Samples.MinimalStrategy.csproj")).ToList();
        Assert.Equal(3, files.Count);
        foreach (var file in files)
            Assert.True(docs.Contains(File.ReadAllText(file).ReplaceLineEndings("\n").Trim(), StringComparison.Ordinal),
                $"docs/plugins.md does not show {Path.GetFileName(file)} as it is");
    }

    [Fact]
    public async Task Plugins_lists_the_sample_strategy_beside_the_hosts_own_with_where_each_came_from()
    {
        using var folder = new TempFolder();
        var (exitCode, json, error) = await SeminasProcess.RunAsync(folder.Path, "plugins", "--plugins", SampleFolder, "--json");
        Assert.True(exitCode == 0, error);
        using var document = JsonDocument.Parse(json);
        var strategies = document.RootElement.GetProperty("strategies").EnumerateArray().ToList();
        Assert.Equal(["random", "evolution", "seminas", "nao", "greedy"], strategies.Select(s => s.GetProperty("name").GetString()));
        var greedy = strategies[^1];
        Assert.Equal(Path.Combine(SampleFolder, "SemiNas.Samples.MinimalStrategy.dll"), greedy.GetProperty("path").GetString());
        Assert.Equal(["randomStart", "mutatedPositions"],
            greedy.GetProperty("options").EnumerateArray().Select(o => o.GetProperty("keyPath").GetString()));

        var text = await SeminasProcess.RunAsync(folder.Path, "plugins", "--plugins", SampleFolder);
        Assert.Contains($"  greedy ({Path.Combine(SampleFolder, "SemiNas.Samples.MinimalStrategy.dll")})", text.Output);
        Assert.Contains("      randomStart (int, default 8", text.Output);

        var without = await SeminasProcess.RunAsync(folder.Path, "plugins", "--json");
        Assert.DoesNotContain("greedy", without.Output);
    }

    [Fact]
    public async Task A_search_with_the_sample_strategy_repeats_itself_by_seed_and_resumes_after_SIGKILL_as_if_never_stopped()
    {
        using var folder = new TempFolder();
        folder.Write("a.yaml", Config("a", seed: 1));
        folder.Write("b.yaml", Config("b", seed: 1));
        folder.Write("c.yaml", Config("c", seed: 2));

        // The uninterrupted runs go on beside the one that is killed.
        var a = SeminasProcess.RunAsync(folder.Path, "search", "a.yaml");
        var c = SeminasProcess.RunAsync(folder.Path, "search", "c.yaml");
        var store = folder.File("experiments/b.sqlite");
        using (var process = SeminasProcess.Start(folder.Path, "search", "b.yaml"))
        {
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (StoreSql.CompleteTrials(store) < 10)
            {
                Assert.True(DateTime.UtcNow < deadline, "the search made no progress");
                Assert.False(process.HasExited, "the search ended before it was killed");
                await Task.Delay(20);
            }
            process.Kill(entireProcessTree: true); // SIGKILL: no cleanup runs
            await process.WaitForExitAsync();
        }
        Assert.InRange(StoreSql.CompleteTrials(store), 10, 29);
        var resumed = await SeminasProcess.RunAsync(folder.Path, "search", "b.yaml");
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains("resuming", resumed.Output);
        Assert.True((await a).ExitCode == 0, (await a).Error);
        Assert.True((await c).ExitCode == 0, (await c).Error);

        var trials = await BudgetAndExperimentsTests.Tokens(folder, "experiments/a.sqlite");
        Assert.Equal(30, trials.Count);
        Assert.Equal(trials, await BudgetAndExperimentsTests.Tokens(folder, "experiments/b.sqlite"));
        Assert.NotEqual(trials, await BudgetAndExperimentsTests.Tokens(folder, "experiments/c.sqlite"));
    }

    // The sample's folder is named in the configuration, as a user would name a strategy plugin of their own.
    private static string Config(string name, int seed) =>
        Configs.NasBench201(name: name, budget: 30, seed: seed, simulatedSeconds: 0.05, strategy: "greedy",
                extra: $"pluginPaths: [{JsonSerializer.Serialize(SampleFolder)}]")
            .Replace("  budget: 30\n", "  budget: 30\n  options: {randomStart: 8, mutatedPositions: 2}\n");
}
