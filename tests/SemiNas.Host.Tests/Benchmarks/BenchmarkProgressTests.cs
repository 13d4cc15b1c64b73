using SemiNas.Host.Benchmarks;

namespace SemiNas.Host.Tests.Benchmarks;

public class BenchmarkProgressTests
{
    private static readonly string[] Jobs =
        [.. Enumerable.Range(1, 4).Select(s => $"0|random|200|{s}"), .. Enumerable.Range(1, 4).Select(s => $"3|seminas|200|{s}")];

    [Fact]
    public void The_ETA_prices_each_pending_job_at_its_own_kind_not_at_the_fast_jobs_that_finished_first()
    {
        FinishedJob[] finished = [.. Enumerable.Range(1, 4).Select(s => new FinishedJob($"0|random|200|{s}", 0.1)), new("3|seminas|200|1", 60)];

        // Three SemiNAS runs of about a minute are left, on two workers.
        var (known, unpriced) = BenchmarkProgress.Eta(Jobs, finished, workers: 2)!.Value;
        Assert.Equal(TimeSpan.FromSeconds(90), known);
        Assert.Empty(unpriced);
    }

    [Fact]
    public void A_kind_with_no_finished_job_yet_is_not_priced_at_the_fast_jobs_but_named_and_the_ETA_is_a_lower_bound()
    {
        FinishedJob[] finished = [new("0|random|200|1", 1), new("0|random|200|2", 3)];

        var (known, unpriced) = BenchmarkProgress.Eta(Jobs, finished, workers: 1)!.Value;
        Assert.Equal(TimeSpan.FromSeconds(2 * 2), known);
        Assert.Equal(["seminas 200"], unpriced);
        Assert.Null(BenchmarkProgress.Eta(Jobs, [], workers: 1));
    }

    [Fact]
    public void A_line_names_the_run_that_just_finished_and_a_heartbeat_follows_while_none_does()
    {
        var output = new StringWriter();
        var progress = new BenchmarkProgress(Jobs, workers: 1, output);

        progress.Report([new FinishedJob("0|random|200|1", 0.1)], "random budget 200 seed 1: 93.1");
        progress.Heartbeat(); // too soon: nothing new, and the last line is fresh
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.Contains("1/8 runs done", line);
        Assert.Contains("(last: random budget 200 seed 1: 93.1)", line);
        Assert.Contains("ETA more than", line);
        Assert.Contains("no seminas 200 run finished yet", line);

        // Once the heartbeat is due, a line comes without a run finishing, saying how many are under way.
        var beating = new BenchmarkProgress(Jobs, workers: 2, output = new StringWriter(), heartbeat: TimeSpan.Zero);
        beating.Report([new FinishedJob("0|random|200|1", 0.1)], "random budget 200 seed 1: 93.1");
        beating.Heartbeat();
        lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.EndsWith("; 2 running", lines[1].TrimEnd());
    }
}
