namespace SemiNas.Host.Tests.Cli;

public class BenchControllerTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task Bench_controller_says_that_its_reference_times_come_from_another_machine()
    {
        using var folder = new TempFolder();
        var (exitCode, output, error) = await SeminasProcess.RunAsync(folder.Path, "bench", "controller", "--repetitions", "1", "--threads", "1");
        Assert.True(exitCode == 0, error);
        Assert.Contains("official PyTorch code", output);
        Assert.Contains("measured with PyTorch 1.13.1 on 2 threads of another 2-core machine", output);
        Assert.Contains("indicative only", output);
    }
}
