using System.Diagnostics;
using SemiNas.Host.Tests.Cli;
using SemiNas.Storage;

namespace SemiNas.Host.Tests.Storage;

/// <summary>The proposer-and-workers arrangement on the store that several machines share.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresWorkerTests(PostgresServer server)
{
    [Fact]
    public async Task A_proposer_and_two_workers_on_PostgreSQL_meet_the_budget_exactly_and_share_the_trials()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201(name: "pw", budget: 30, simulatedSeconds: 0.2, workers: 0));
        var url = server.Url(server.CreateDatabase());
        var proposer = SeminasProcess.RunAsync(folder.Path, "search", "c.yaml", "--storage", url);
        var deadline = Stopwatch.StartNew();
        while (!HasExperiment(url))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(2), "the search never created its experiment");
            await Task.Delay(50);
        }
        var workers = await Task.WhenAll(
            SeminasProcess.RunAsync(folder.Path, "worker", url),
            SeminasProcess.RunAsync(folder.Path, "worker", url));
        var search = await proposer;

        Assert.True(search.ExitCode == 0, search.Error);
        Assert.All(workers, w => Assert.True(w.ExitCode == 0, w.Error));
        using var store = ExperimentStores.OpenReadOnly(url);
        var experiment = store.FindExperiment("pw")!;
        var trials = store.LoadTrials(experiment.Id);
        Assert.Equal(30, trials.Count);
        Assert.All(trials, t => Assert.Equal(SemiNas.Core.TrialState.Complete, t.State));
        Assert.Equal(30, trials.Select(t => t.CanonicalKey).Distinct().Count());
        Assert.Equal(2, store.LoadAttempts(experiment.Id).Select(a => a.Owner).Distinct().Count());
    }

    private static bool HasExperiment(string url)
    {
        try
        {
            using var store = ExperimentStores.OpenReadOnly(url);
            return store.ListExperiments().Count == 1;
        }
        catch (StoreException)
        {
            return false; // the schema is not there yet
        }
    }
}
