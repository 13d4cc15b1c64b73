namespace SemiNas.Host.Tests.Cli;

public class PlotCommandTests
{
    [Fact]
    public async Task Plot_draws_infeasible_trials_too_and_says_how_many_of_each_kind()
    {
        using var folder = new TempFolder();
        // About a quarter of random NAS-Bench-201 cells are below 85 % validation accuracy on CIFAR-10.
        folder.Write("c.yaml", Configs.NasBench201(name: "pl", budget: 60, extra: "constraints:\n  valid_accuracy: {min: 85}"));
        Assert.Equal(0, (await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml")).ExitCode);
        var (exitCode, output, error) = await SeminasProcess.RunAsync(folder.Path, "plot", "experiments/pl.sqlite", "--output", "p.png");
        Assert.True(exitCode == 0, error);
        var match = System.Text.RegularExpressions.Regex.Match(output, @"Wrote p\.png: (\d+) feasible, (\d+) infeasible and 0 failed trials\.");
        Assert.True(match.Success, output);
        var (feasible, infeasible) = (int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value));
        Assert.Equal(60, feasible + infeasible);
        Assert.InRange(infeasible, 1, 59);
        Assert.True(new FileInfo(folder.File("p.png")).Length > 10_000);
    }
}
