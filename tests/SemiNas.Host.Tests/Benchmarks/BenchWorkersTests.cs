using System.Globalization;
using System.Text.RegularExpressions;
using SemiNas.Host.Tests.Cli;

namespace SemiNas.Host.Tests.Benchmarks;

/// <summary>`seminas bench workers`: a search's wall time with N worker processes, in its smallest form.</summary>
public class BenchWorkersTests
{
    [Fact]
    public async Task Bench_workers_times_a_search_with_two_worker_processes_no_faster_than_the_ideal()
    {
        using var folder = new TempFolder();

        var (code, output, error) = await SeminasProcess.RunAsync(folder.Path, "bench", "workers", "--trials", "4", "--seconds", "0.2", "--workers", "2");

        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        var row = Regex.Match(lines[2], @"^ +2 +(?<wall>[0-9.]+) +0\.40 +(?<efficiency>[0-9]+)% +(?<processes>[0-9.]+) +SQLite \(temporary file\)$");
        Assert.True(row.Success, lines[2]);
        // Two workers cannot evaluate four trials of 0.2 s each in less than 0.4 s: a faster figure would measure nothing.
        var wall = double.Parse(row.Groups["wall"].Value, CultureInfo.InvariantCulture);
        Assert.InRange(wall, 0.4, 120);
        Assert.InRange(int.Parse(row.Groups["efficiency"].Value, CultureInfo.InvariantCulture), 1, 100);
        Assert.True(double.Parse(row.Groups["processes"].Value, CultureInfo.InvariantCulture) >= wall, lines[2]);
    }

    [Fact]
    public async Task Bench_workers_refuses_a_count_below_one_before_starting_anything()
    {
        using var folder = new TempFolder();
        var (code, output, error) = await SeminasProcess.RunAsync(folder.Path, "bench", "workers", "--workers", "2", "0");
        Assert.Equal(1, code);
        Assert.Contains("--workers must be at least 1.", error);
        Assert.Equal("", output);
    }
}
