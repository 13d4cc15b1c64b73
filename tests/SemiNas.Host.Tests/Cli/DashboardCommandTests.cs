using System.Net;
using System.Text.Json;

namespace SemiNas.Host.Tests.Cli;

/// <summary>`seminas report` and `seminas dashboard` as a user runs them, on a store a real search writes.</summary>
public class DashboardCommandTests
{
    [Fact]
    public async Task Report_writes_one_html_file_for_a_store_and_a_benchmark_summary()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201(name: "small", budget: 12, extra: "constraints: {flops: {max: 150e6}}"));
        var (searchCode, _, searchError) = await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml");
        Assert.True(searchCode == 0, searchError);
        Directory.CreateDirectory(folder.File("bench"));
        folder.Write("bench/summary.json", """{"name": "b", "objective": "valid_accuracy", "reportMetric": "test_accuracy", "seeds": 1, "groups": []}""");

        var (code, output, error) = await SeminasProcess.RunAsync(folder.Path, "report", "experiments/small.sqlite", "bench", "--output", "out/r.html");
        Assert.True(code == 0, error);
        Assert.Contains("Wrote out/r.html", output);
        var html = File.ReadAllText(folder.File("out/r.html"));
        Assert.Contains("\"name\":\"small\"", html);
        Assert.Contains("\"kind\":\"benchmark\"", html);
        Assert.Contains("150000000", html);    // the constraint, for its line on the FLOPs chart

        var (badCode, _, badError) = await SeminasProcess.RunAsync(folder.Path, "report", "c.yaml", "--output", "x.html");
        Assert.Equal(1, badCode);
        Assert.Contains("neither an experiment store nor a readable summary.json", badError);
        Assert.False(File.Exists(folder.File("x.html")));
    }

    [Fact]
    public async Task Dashboard_serves_a_running_search_live_and_demands_its_token_beyond_localhost()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", Configs.NasBench201(name: "live", budget: 60, simulatedSeconds: 0.2, workers: 2));
        using var search = SeminasProcess.Start(folder.Path, "search", "c.yaml");
        _ = search.StandardOutput.ReadToEndAsync();
        _ = search.StandardError.ReadToEndAsync();
        var store = folder.File("experiments/live.sqlite");
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!File.Exists(store))
        {
            Assert.True(DateTime.UtcNow < deadline, "the search did not create its store");
            await Task.Delay(100);
        }
        await Task.Delay(1000);   // the schema and the experiment row

        using var dashboard = SeminasProcess.Start(folder.Path, "dashboard", "experiments/live.sqlite", "--bind", "0.0.0.0", "--port", "0");
        var errors = dashboard.StandardError.ReadToEndAsync();
        try
        {
            string? token = null, url = null;
            while (url is null)
            {
                var line = await dashboard.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("dashboard exited: " + await errors);
                if (line.StartsWith("Generated the access token ", StringComparison.Ordinal)) token = line.Split(' ')[4];
                if (line.StartsWith("Dashboard at ", StringComparison.Ordinal)) url = line.Split(' ')[2];
            }
            Assert.NotNull(token);
            var port = new Uri(url).Port;
            using var http = new HttpClient(new HttpClientHandler { UseProxy = false });
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync($"http://127.0.0.1:{port}/api/data")).StatusCode);

            async Task<int> Finished()
            {
                using var document = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/api/data?token={token}"));
                return document.RootElement.GetProperty("sources")[0].GetProperty("experiments")[0].GetProperty("counts").GetProperty("finished").GetInt32();
            }
            var first = await Finished();
            Assert.True(first < 60, "the search was already over");
            var later = first;
            while (later == first && DateTime.UtcNow < deadline)
            {
                await Task.Delay(300);
                later = await Finished();
            }
            Assert.True(later > first, $"no progress seen: {first} then {later}");
        }
        finally
        {
            dashboard.Kill();
            await dashboard.WaitForExitAsync();
            await search.WaitForExitAsync();
        }
        Assert.Equal(0, search.ExitCode);
    }
}
