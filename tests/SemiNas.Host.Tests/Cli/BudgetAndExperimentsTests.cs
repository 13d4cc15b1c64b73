using System.Text.Json;

namespace SemiNas.Host.Tests.Cli;

public class BudgetAndExperimentsTests
{
    [Theory]
    [InlineData("random")]
    [InlineData("evolution")]
    public async Task A_finished_search_given_more_budget_goes_on_as_if_it_had_had_that_budget_from_the_start(string strategy)
    {
        using var folder = new TempFolder();
        folder.Write("short.yaml", Configs.NasBench201(name: "grow", budget: 15, strategy: strategy));
        Assert.Equal(0, (await SeminasProcess.RunAsync(folder.Path, "search", "short.yaml")).ExitCode);
        var (exitCode, output, error) = await SeminasProcess.RunAsync(folder.Path, "search", "short.yaml", "--budget", "30");
        Assert.True(exitCode == 0, error);
        Assert.Contains("resuming", output);

        folder.Write("long.yaml", Configs.NasBench201(name: "grow", budget: 30, strategy: strategy));
        Assert.Equal(0, (await SeminasProcess.RunAsync(folder.Path, "search", "long.yaml", "--storage", "long.sqlite")).ExitCode);

        Assert.Equal(await Tokens(folder, "long.sqlite"), await Tokens(folder, "experiments/grow.sqlite"));
        var shrink = await SeminasProcess.RunAsync(folder.Path, "search", "short.yaml", "--budget", "10");
        Assert.Equal(1, shrink.ExitCode);
        Assert.Contains("has 30 finished trials already", shrink.Error);
    }

    [Fact]
    public async Task Experiments_lists_every_experiment_of_a_store()
    {
        using var folder = new TempFolder();
        folder.Write("a.yaml", Configs.NasBench201(name: "a", budget: 5, extra: "storage: {path: s.sqlite}"));
        folder.Write("b.yaml", Configs.NasBench201(name: "b", budget: 7, strategy: "evolution", extra: "storage: {path: s.sqlite}"));
        Assert.Equal(0, (await SeminasProcess.RunAsync(folder.Path, "search", "a.yaml")).ExitCode);
        Assert.Equal(0, (await SeminasProcess.RunAsync(folder.Path, "search", "b.yaml")).ExitCode);

        var (exitCode, output, error) = await SeminasProcess.RunAsync(folder.Path, "experiments", "s.sqlite");
        Assert.True(exitCode == 0, error);
        Assert.Contains("a: nasbench201, random, 5/5 trials, finished, best valid_accuracy", output);
        Assert.Contains("b: nasbench201, evolution, 7/7 trials, finished", output);

        var json = await SeminasProcess.RunAsync(folder.Path, "experiments", "s.sqlite", "--json");
        using var document = JsonDocument.Parse(json.Output);
        Assert.Equal(["a", "b"], document.RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()!));
    }

    internal static async Task<List<string>> Tokens(TempFolder folder, string store)
    {
        var (exitCode, output, error) = await SeminasProcess.RunAsync(folder.Path, "export", store, "--format", "json");
        Assert.True(exitCode == 0, error);
        using var document = JsonDocument.Parse(output);
        return document.RootElement.EnumerateArray().Select(t => t.GetProperty("tokens").GetString()!).ToList();
    }
}
