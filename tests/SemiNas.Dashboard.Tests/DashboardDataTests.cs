using System.Text.Json.Nodes;

namespace SemiNas.Dashboard.Tests;

public class DashboardDataTests
{
    [Fact]
    public void A_store_becomes_counts_constraints_trials_and_an_eta()
    {
        var directory = TestStores.TempDirectory();
        var store = TestStores.Mixed(directory);
        var data = DashboardData.Build([store], live: true, DateTimeOffset.UtcNow);
        var source = data["sources"]![0]!;
        Assert.Equal("store", source["kind"]!.GetValue<string>());
        var experiment = source["experiments"]![0]!;
        var counts = experiment["counts"]!;
        Assert.Equal(7, counts["complete"]!.GetValue<int>());
        Assert.Equal(1, counts["infeasible"]!.GetValue<int>());
        Assert.Equal(1, counts["failed"]!.GetValue<int>());
        Assert.Equal(1, counts["running"]!.GetValue<int>());
        Assert.Equal(1, counts["waiting"]!.GetValue<int>());
        Assert.Equal(150e6, experiment["constraints"]!["flops"]!["max"]!.GetValue<double>());
        Assert.Null(experiment["constraints"]!["flops"]!["min"]);
        Assert.Equal(10, experiment["trials"]!.AsArray().Count);
        // A running search (not finished, trials to go, a mean duration known) has an ETA; the running trial its elapsed time.
        Assert.NotNull(experiment["etaSeconds"]);
        var running = experiment["trials"]!.AsArray().Single(t => t!["state"]!.GetValue<string>() == "RUNNING")!;
        Assert.True(running["elapsedSeconds"]!.GetValue<double>() >= 0);
        Assert.Equal(TestStores.Owner, running["worker"]!.GetValue<string>());
        Assert.Equal(TestStores.Device, running["device"]!.GetValue<string>());
        // The first trial's 300 steps of training loss, thinned for the page to 200 points, its first and last steps kept.
        var loss = experiment["trials"]![0]!["intermediate"]!["train_loss"]!.AsArray();
        Assert.Equal(DashboardData.MaxIntermediatePoints, loss.Count);
        Assert.Equal((1, 3.0), (loss[0]![0]!.GetValue<int>(), loss[0]![1]!.GetValue<double>()));
        Assert.Equal(TestStores.LossSteps, loss[^1]![0]!.GetValue<int>());
        Assert.Empty(experiment["trials"]![1]!["intermediate"]!.AsObject());
        var requeued = experiment["trials"]!.AsArray().Single(t => t!["number"]!.GetValue<int>() == 10)!;
        Assert.Equal("WAITING", requeued["state"]!.GetValue<string>());
        Assert.Null(requeued["worker"]);
        var attempt = requeued["attemptLog"]!.AsArray().Single()!;
        Assert.Equal((TestStores.VanishedWorker, "lease expired"), (attempt["owner"]!.GetValue<string>(), attempt["end"]!.GetValue<string>()));
        Assert.Contains("stopped renewing its lease", attempt["reason"]!.GetValue<string>());
        var failed = experiment["trials"]!.AsArray().Single(t => t!["state"]!.GetValue<string>() == "FAILED")!;
        Assert.StartsWith("evaluation threw: out of memory", failed["error"]!.GetValue<string>());
        Assert.Equal(4, failed["tokens"]!.AsArray().Count);

        // Stopped with nothing running (an interrupted search): no ETA to promise.
        using (var writer = Storage.ExperimentStore.Open(store)) writer.Release(TestStores.Owner, "stopped");
        var stopped = DashboardData.Build([store], live: true, DateTimeOffset.UtcNow)["sources"]![0]!["experiments"]![0]!;
        Assert.Equal(0, stopped["counts"]!["running"]!.GetValue<int>());
        Assert.Null(stopped["etaSeconds"]);
    }

    [Fact]
    public void The_strategys_diagnostics_come_by_iteration_with_later_reports_merged()
    {
        var store = TestStores.Mixed(TestStores.TempDirectory(), experiments: 2);
        TestStores.AddDiagnostics(store, "search-2", iterations: 3);
        var experiments = DashboardData.Build([store], live: false, DateTimeOffset.UtcNow)["sources"]![0]!["experiments"]!.AsArray();
        Assert.Empty(experiments[0]!["diagnostics"]!.AsArray());
        var diagnostics = experiments[1]!["diagnostics"]!.AsArray();
        Assert.Equal([1, 2, 3], diagnostics.Select(d => d!["iteration"]!.GetValue<int>()));
        // Iteration 1's own values and its rank correlation, reported during iteration 2, in one entry; the last
        // iteration's batch is not scored yet.
        Assert.Equal(0.2, diagnostics[0]!["values"]!["rank.kendall_tau"]!.GetValue<double>(), 12);
        Assert.Equal(1000, diagnostics[0]!["values"]!["train.pseudo_labelled"]!.GetValue<double>());
        Assert.Null(diagnostics[2]!["values"]!["rank.kendall_tau"]);
        Assert.NotNull(diagnostics[2]!["recordedAt"]);
    }

    [Fact]
    public void Non_finite_metrics_become_null_so_the_page_can_parse_them()
    {
        var directory = TestStores.TempDirectory();
        var path = Path.Combine(directory, "nan.sqlite");
        using (var store = Storage.ExperimentStore.Open(path))
        {
            var experiment = TestStores.CreateExperiment(store, "nan");
            var trial = TestStores.Add(store, experiment.Id, 1, 1)[0];
            store.ClaimTrial(trial.Id, TestStores.Owner, TestStores.Lease);
            store.MarkFailed(trial.Id, "diverged", new Dictionary<string, double> { ["loss"] = double.NaN, ["steps"] = double.PositiveInfinity });
        }
        var json = DashboardData.Serialize(DashboardData.Build([path], live: false, DateTimeOffset.UtcNow));
        var metrics = JsonNode.Parse(json)!["sources"]![0]!["experiments"]![0]!["trials"]![0]!["metrics"]!;
        Assert.Null(metrics["loss"]);
        Assert.True(metrics.AsObject().ContainsKey("loss"));
        Assert.Null(metrics["steps"]);
    }

    [Fact]
    public void A_summary_json_or_its_folder_is_a_benchmark_source()
    {
        var directory = TestStores.TempDirectory();
        File.WriteAllText(Path.Combine(directory, "summary.json"), TestStores.BenchmarkSummary);
        foreach (var input in new[] { directory, Path.Combine(directory, "summary.json") })
        {
            var source = DashboardData.Build([input], live: false, DateTimeOffset.UtcNow)["sources"]![0]!;
            Assert.Equal("benchmark", source["kind"]!.GetValue<string>());
            Assert.Equal(2, source["summary"]!["groups"]!.AsArray().Count);
        }
    }

    [Fact]
    public void Wrong_inputs_are_refused_with_what_was_expected()
    {
        var directory = TestStores.TempDirectory();
        var other = Path.Combine(directory, "notes.txt");
        File.WriteAllText(other, "hello");
        Assert.Contains("neither an experiment store nor a readable summary.json",
            Assert.Throws<FormatException>(() => DashboardData.Build([other], false, DateTimeOffset.UtcNow)).Message);
        var json = Path.Combine(directory, "other.json");
        File.WriteAllText(json, "{\"a\": 1}");
        Assert.Contains("no \"groups\"", Assert.Throws<FormatException>(() => DashboardData.Build([json], false, DateTimeOffset.UtcNow)).Message);
        Assert.Contains("without a summary.json",
            Assert.Throws<FileNotFoundException>(() => DashboardData.Build([directory], false, DateTimeOffset.UtcNow)).Message);
        Assert.Contains("no such store",
            Assert.Throws<FileNotFoundException>(() => DashboardData.Build([Path.Combine(directory, "gone.sqlite")], false, DateTimeOffset.UtcNow)).Message);
    }

    [Fact]
    public void The_report_is_self_contained()
    {
        var directory = TestStores.TempDirectory();
        var output = Path.Combine(directory, "report.html");
        var path = TestStores.Mixed(directory);
        using (var store = Storage.ExperimentStore.Open(path))
        {
            var trial = TestStores.Add(store, store.ListExperiments()[0].Id, 11, 1)[0];
            store.ClaimTrial(trial.Id, TestStores.Owner, TestStores.Lease);
            store.MarkFailed(trial.Id, "bad </script><script>alert(1)</script>");
        }
        ReportWriter.Write([path], output);
        var html = File.ReadAllText(output);
        Assert.Contains("Chart.js v4", html);                     // the library is inlined
        Assert.DoesNotContain("src=\"http", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("/*APP*/", html);
        // An error text with "</script>" in it cannot end the data's script element.
        Assert.Equal(4, html.Split("</script>").Length - 1);
    }
}
