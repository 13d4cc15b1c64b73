namespace SemiNas.Host.Tests.Cli;

/// <summary><c>seminas search</c> stopped by SIGTERM at the earliest moments that matter: as soon as it owns the
/// experiment, and as soon as it has claimed a trial. Both are still inside the command's synchronous start, where a
/// signal once found no handler and ended the process with 143, the trial left RUNNING.</summary>
public class SearchSignalTests
{
    [Fact]
    public async Task SIGTERM_right_after_the_start_or_the_first_claim_stops_the_search_cleanly_and_it_resumes()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201(name: "s", budget: 2, simulatedSeconds: 60));
        var store = folder.File("experiments/s.sqlite");
        var interruptedBefore = 0;
        for (var round = 1; round <= 2; round++)
        {
            var atClaim = round % 2 == 0;
            using var search = SeminasProcess.Start(folder.Path, "search", "c.yaml");
            var output = search.StandardOutput.ReadToEndAsync();
            var errors = search.StandardError.ReadToEndAsync();
            var poll = TimeSpan.FromMilliseconds(2);
            if (atClaim)
                await WorkerCommandTests.WaitUntil(() => StoreSql.Query(store, "SELECT COUNT(*) FROM trials WHERE state = 'RUNNING'") == 1,
                    "the search never started a trial", poll);
            else
                await WorkerCommandTests.WaitUntil(() => File.Exists(store) && StoreSql.Query(store, "SELECT COUNT(*) FROM experiments WHERE owner IS NOT NULL") == 1,
                    "the search never took the experiment", poll);
            await WorkerCommandTests.Signal("-TERM", search.Id);
            using var stopped = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try
            {
                await search.WaitForExitAsync(stopped.Token);
            }
            finally
            {
                if (!search.HasExited) search.Kill(entireProcessTree: true);
            }

            Assert.True(search.ExitCode == 130, $"round {round}: exit {search.ExitCode}\n{await output}\n{await errors}");
            Assert.Contains("Interrupted", await output);
            Assert.Equal(0, StoreSql.Query(store, "SELECT COUNT(*) FROM trials WHERE state <> 'WAITING'"));
            Assert.Equal(0, StoreSql.Query(store, "SELECT COUNT(*) FROM trial_attempts WHERE ended_at IS NULL"));
            Assert.Equal(0, StoreSql.Query(store, "SELECT COUNT(*) FROM experiments WHERE owner IS NOT NULL"));
            // The claimed trial's attempt is ended as interrupted (an earlier signal may or may not come before a claim).
            var interrupted = StoreSql.Query(store, "SELECT COUNT(*) FROM trial_attempts WHERE outcome = 'INTERRUPTED'");
            if (atClaim) Assert.Equal(interruptedBefore + 1, interrupted);
            interruptedBefore = interrupted;
        }
    }
}
