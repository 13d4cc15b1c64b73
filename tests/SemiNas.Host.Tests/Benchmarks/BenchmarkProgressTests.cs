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
        Assert.Equal(TimeSpan.FromSeconds(90), BenchmarkProgress.Eta(Jobs, finished, workers: 2));
    }

    [Fact]
    public void A_kind_with_no_finished_job_yet_is_priced_at_the_mean_of_all_finished_jobs()
    {
        FinishedJob[] finished = [new("0|random|200|1", 1), new("0|random|200|2", 3)];

        Assert.Equal(TimeSpan.FromSeconds(2 * 2 + 4 * 2), BenchmarkProgress.Eta(Jobs, finished, workers: 1));
        Assert.Null(BenchmarkProgress.Eta(Jobs, [], workers: 1));
    }
}
