using SemiNas.Storage;

namespace SemiNas.Dashboard.Tests;

/// <summary>The report and the dashboard in headless chromium: no script errors, one row per trial, charts drawn, live updates.</summary>
[Trait("Category", "Browser")]
public class BrowserTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static async Task ExpectDrawnAsync(HeadlessChromium page, string what)
    {
        await page.WaitForAsync("document.body.dataset.ready === 'true' || document.body.dataset.error", Wait, what + " ready");
        Assert.Null((await page.EvaluateAsync("document.body.dataset.error || null"))?.ToString());
        var canvases = (await page.EvaluateAsync("document.querySelectorAll('canvas').length"))!.GetValue<int>();
        Assert.True(canvases > 0, what + ": no chart at all");
        var drawn = (await page.EvaluateAsync("document.querySelectorAll('canvas[data-drawn=\"true\"]').length"))!.GetValue<int>();
        Assert.Equal(canvases, drawn);
    }

    private static async Task<int> RowsAsync(HeadlessChromium page, string experiment) =>
        (await page.EvaluateAsync($"document.querySelectorAll('section[data-experiment=\"{experiment}\"] tr[data-trial]').length"))!.GetValue<int>();

    [Fact]
    public void A_missing_chromium_is_an_error_that_names_the_fix_not_a_skip()
    {
        var empty = TestStores.TempDirectory();
        var error = Assert.Throws<InvalidOperationException>(() => HeadlessChromium.Executable(empty));
        Assert.Contains("install-debian-packages.sh", error.Message);
        Assert.True(File.Exists(HeadlessChromium.Executable()), "chromium is on PATH here");
    }

    [Fact]
    public async Task The_report_draws_every_view_without_script_errors()
    {
        var directory = TestStores.TempDirectory();
        var store = TestStores.Mixed(directory, experiments: 2);
        TestStores.AddDiagnostics(store, "search-1", iterations: 4);
        var summary = Path.Combine(directory, "bench", "summary.json");
        Directory.CreateDirectory(Path.GetDirectoryName(summary)!);
        File.WriteAllText(summary, TestStores.BenchmarkSummary);
        var output = Path.Combine(directory, "report.html");
        ReportWriter.Write([store, summary], output);

        await using var page = await HeadlessChromium.StartAsync();
        await page.NavigateAsync(new Uri(output).AbsoluteUri);
        await ExpectDrawnAsync(page, "report");
        Assert.Empty(page.Errors);
        Assert.Equal(10, await RowsAsync(page, "search-1"));
        Assert.Equal(10, await RowsAsync(page, "search-2"));
        // Two experiments: compared on one chart, one line each.
        Assert.Equal(2, (await page.EvaluateAsync("Chart.getChart('compare-chart').data.datasets.length"))!.GetValue<int>());
        // Best-so-far chart: 6 feasible points, 1 infeasible, 1 failed, each in its own series.
        Assert.Equal("[6,1,1]", (await page.EvaluateAsync(
            "JSON.stringify(Chart.getChart('e0-best').data.datasets.slice(1).map(d => d.data.length))"))!.ToString());
        // Against FLOPs: the constraint line sits at 150e6.
        Assert.Equal(150e6, (await page.EvaluateAsync(
            "Chart.getChart(document.querySelector('#e0 canvas[data-metric=\"flops\"]')).data.datasets.find(d => d.label.startsWith('flops ≤')).data[0].x"))!.GetValue<double>());
        // The benchmark: one line per label and the oracle, per chart.
        Assert.Equal(3, (await page.EvaluateAsync("Chart.getChart('b1-report-5').data.datasets.length"))!.GetValue<int>());
        Assert.Equal(2, (await page.EvaluateAsync("document.querySelectorAll('#b1-groups tbody tr').length"))!.GetValue<int>());

        // Sorting by the objective, descending (two clicks), puts the infeasible 95 first.
        await page.EvaluateAsync("(() => { const th = document.querySelector('#e0-table th[data-key=\"objective\"]'); th.click(); th.click(); })()");
        Assert.Equal("7", (await page.EvaluateAsync("document.querySelector('#e0-table tbody tr').dataset.trial"))!.ToString());
        // Filtering: the state menu, then free text.
        await page.EvaluateAsync("(() => { const s = document.getElementById('e0-table-state'); s.value = 'FAILED'; s.dispatchEvent(new Event('change')); })()");
        Assert.Equal(1, await RowsAsync(page, "search-1"));
        await page.EvaluateAsync("(() => { const s = document.getElementById('e0-table-state'); s.value = ''; s.dispatchEvent(new Event('change'));" +
            " const f = document.getElementById('e0-table-filter'); f.value = 'cell-1'; f.dispatchEvent(new Event('input')); })()");
        Assert.Equal(2, await RowsAsync(page, "search-1"));   // cell-1 and cell-10

        // Who runs what: the running trial with its worker and attempt; in the table, each trial's last worker, the
        // failure reason, and the attempt that ended with its lease on a trial now waiting again.
        var running = (await page.EvaluateAsync("document.querySelector('#e0-running tr[data-running=\"9\"]').innerText"))!.ToString();
        Assert.Contains("on " + TestStores.Owner, running);
        Assert.Contains("attempt 1", running);
        Assert.Contains("device " + TestStores.Device, running);
        await page.EvaluateAsync("(() => { const f = document.getElementById('e0-table-filter'); f.value = ''; f.dispatchEvent(new Event('input')); })()");
        async Task<string> CellAsync(int trial, string key) => (await page.EvaluateAsync(
            $"(() => {{ const t = document.getElementById('e0-table'); const i = [...t.tHead.rows[0].cells].findIndex(c => c.dataset.key === '{key}');" +
            $" return t.querySelector('tr[data-trial=\"{trial}\"]').cells[i].textContent; }})()"))!.ToString();
        Assert.Equal(TestStores.VanishedWorker, await CellAsync(10, "worker"));
        Assert.Equal("1", await CellAsync(10, "attempts"));
        Assert.Contains("lease expired", await CellAsync(10, "error"));
        Assert.Contains("#1 by " + TestStores.VanishedWorker, await CellAsync(10, "error"));
        Assert.StartsWith("evaluation threw: out of memory", await CellAsync(8, "error"));
        Assert.Equal(TestStores.Owner, await CellAsync(8, "worker"));

        // A click on trial 1 opens its training loss by step below it, and it stays open through a redraw.
        await page.EvaluateAsync("document.querySelector('#e0-table tr[data-trial=\"1\"]').click()");
        const string loss = "#e0-table tr[data-detail=\"1\"] canvas[data-value=\"train_loss\"]";
        await page.WaitForAsync($"document.querySelector('{loss}')?.dataset.drawn === 'true'", Wait, "trial 1's loss chart");
        Assert.Equal(DashboardData.MaxIntermediatePoints, (await page.EvaluateAsync($"Number(document.querySelector('{loss}').dataset.points)"))!.GetValue<int>());
        await page.EvaluateAsync("document.querySelector('#e0-table th[data-key=\"number\"]').click()");
        Assert.Equal(1, (await page.EvaluateAsync($"document.querySelectorAll('{loss}').length"))!.GetValue<int>());

        // The Controller panel of the experiment whose strategy reported diagnostics (and none for the other): the
        // rank correlation has a point for each of the three batches scored, the others one per iteration, the table a
        // row per iteration. Every chart drew (checked above with the rest).
        async Task<string> PointsAsync(string chart) => (await page.EvaluateAsync(
            $"JSON.stringify(Chart.getChart('{chart}').data.datasets.map(d => [d.label, d.data.filter(p => p !== null).length]))"))!.ToString();
        Assert.Equal("""[["Kendall τ",3],["Spearman ρ",3]]""", await PointsAsync("e0-controller-rank"));
        Assert.Equal("""[["mean η of the batch",4],["largest η in the batch",4],["largest η tried",4]]""", await PointsAsync("e0-controller-eta"));
        Assert.Equal(4, (await PointsAsync("e0-controller-data")).Split(",4]").Length - 1);
        Assert.Equal(4, (await PointsAsync("e0-controller-loss")).Split(",4]").Length - 1);
        Assert.Equal("[0.2,0.3,0.4]", (await page.EvaluateAsync("JSON.stringify(Chart.getChart('e0-controller-rank').data.datasets[0].data.map(p => +p.y.toFixed(3)))"))!.ToString());
        Assert.Equal(4, (await page.EvaluateAsync("document.querySelectorAll('#e0-controller-table tbody tr').length"))!.GetValue<int>());
        Assert.Equal("1,2,3,4", (await page.EvaluateAsync("[...document.querySelectorAll('#e0-controller-table tbody tr')].map(r => r.dataset.iteration).join()"))!.ToString());
        Assert.Equal(0, (await page.EvaluateAsync("document.querySelectorAll('#e1-controller').length"))!.GetValue<int>());
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task The_dashboard_updates_live_while_trials_are_written_and_passes_its_token()
    {
        var directory = TestStores.TempDirectory();
        var path = Path.Combine(directory, "live.sqlite");
        using var writer = ExperimentStore.Open(path);
        var experiment = TestStores.CreateExperiment(writer, "live", budget: 30);
        var first = TestStores.Add(writer, experiment.Id, 1, 3);
        foreach (var t in first) TestStores.Complete(writer, t, 80 + t.Number);

        await using var server = await DashboardServer.StartAsync(new DashboardOptions([path], Port: 0, Token: "t0ken", PollSeconds: 0.3));
        await using var page = await HeadlessChromium.StartAsync();
        await page.NavigateAsync(server.LocalUrl().AbsoluteUri);
        await ExpectDrawnAsync(page, "dashboard");
        Assert.Equal(3, await RowsAsync(page, "live"));
        Assert.Null((await page.EvaluateAsync("document.body.dataset.fetchError || null"))?.ToString());

        // The store is written as a search writes it, while the page is open: new trials, one of them running.
        var more = TestStores.Add(writer, experiment.Id, 4, 5);
        foreach (var t in more.Take(4)) TestStores.Complete(writer, t, 85 + t.Number);
        writer.ClaimTrial(more[4].Id, TestStores.Owner, TestStores.Lease, new ClaimOptions(Device: "cuda:0"));
        // The page polls on its own; each condition is waited for, since a poll may land between two of the writes.
        await page.WaitForAsync("document.querySelectorAll('section[data-experiment=\"live\"] tr[data-trial]').length === 8", Wait, "live trials");
        await page.WaitForAsync("Chart.getChart('e0-best').data.datasets[1].data.length === 7", Wait, "7 feasible points on the best-so-far chart");
        await page.WaitForAsync("document.getElementById('e0-facts').textContent.includes('7 / 30')", Wait, "progress 7 / 30");
        await page.WaitForAsync("document.getElementById('e0-running').textContent.includes('#8') && " +
            "document.getElementById('e0-running').textContent.includes('elapsed') && " +
            $"document.getElementById('e0-running').textContent.includes('on {TestStores.Owner}') && " +
            "document.getElementById('e0-running').textContent.includes('device cuda:0')", Wait, "trial 8 running, with its worker, device and elapsed time");
        Assert.True((await page.EvaluateAsync("Number(document.body.dataset.updates)"))!.GetValue<int>() >= 2);

        // The strategy's diagnostics, as they arrive: the Controller panel appears with the first iteration, and the
        // rank correlation of iteration 1 is drawn once iteration 2 reports it.
        Assert.Equal(0, (await page.EvaluateAsync("document.querySelectorAll('#e0-controller').length"))!.GetValue<int>());
        TestStores.AddDiagnostics(path, "live", iterations: 1);
        await page.WaitForAsync("document.querySelectorAll('#e0-controller-table tbody tr').length === 1", Wait, "the Controller panel");
        TestStores.AddDiagnostics(path, "live", iterations: 2);
        await page.WaitForAsync("Chart.getChart('e0-controller-rank')?.data.datasets[0].data.length === 1 && " +
            "document.querySelectorAll('#e0-controller-table tbody tr').length === 2", Wait, "the rank correlation of iteration 1");
        Assert.Equal("true", (await page.EvaluateAsync("document.getElementById('e0-controller-rank').dataset.drawn"))!.ToString());
        Assert.Null((await page.EvaluateAsync("document.body.dataset.error || null"))?.ToString());
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task Without_its_token_the_dashboard_page_is_refused_in_the_browser()
    {
        var store = TestStores.Mixed(TestStores.TempDirectory());
        await using var server = await DashboardServer.StartAsync(new DashboardOptions([store], Port: 0, Token: "abc"));
        await using var page = await HeadlessChromium.StartAsync();
        await page.NavigateAsync(server.LocalUrl(withToken: false).AbsoluteUri);
        await page.WaitForAsync("document.readyState === 'complete'", Wait, "refusal page");
        var text = (await page.EvaluateAsync("document.body.innerText"))!.ToString();
        Assert.StartsWith("401", text);
        Assert.DoesNotContain("search-1", text);
    }
}
