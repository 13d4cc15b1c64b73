using System.Net;
using System.Net.Http.Headers;

namespace SemiNas.Dashboard.Tests;

public class TokenTests
{
    [Fact]
    public async Task Beyond_localhost_a_token_is_generated_and_every_request_without_it_is_refused()
    {
        var store = TestStores.Mixed(TestStores.TempDirectory());
        await using var server = await DashboardServer.StartAsync(new DashboardOptions([store], Bind: "0.0.0.0", Port: 0));
        Assert.True(server.TokenGenerated);
        Assert.False(string.IsNullOrWhiteSpace(server.Token));
        Assert.Contains("token=", server.Url.Query);
        using var http = new HttpClient(new HttpClientHandler { UseProxy = false });
        foreach (var path in new[] { "/", "/api/data", "/anything" })
        {
            var refused = await http.GetAsync(server.LocalUrl(path, withToken: false));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.DoesNotContain("search-1", await refused.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(server.LocalUrl("/api/data", withToken: false) + "?token=wrong")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(server.LocalUrl("/api/data", withToken: false) + "?token=" + server.Token + "x")).StatusCode);

        var data = await http.GetAsync(server.LocalUrl("/api/data"));
        Assert.Equal(HttpStatusCode.OK, data.StatusCode);
        Assert.Contains("search-1", await data.Content.ReadAsStringAsync());
        using var bearer = new HttpRequestMessage(HttpMethod.Get, server.LocalUrl("/api/data", withToken: false));
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", server.Token);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(bearer)).StatusCode);
    }

    [Fact]
    public async Task On_localhost_no_token_is_needed_unless_one_is_given()
    {
        var store = TestStores.Mixed(TestStores.TempDirectory());
        using var http = new HttpClient(new HttpClientHandler { UseProxy = false });
        await using (var open = await DashboardServer.StartAsync(new DashboardOptions([store], Port: 0)))
        {
            Assert.Null(open.Token);
            Assert.Equal("127.0.0.1", open.Url.Host);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(open.LocalUrl("/api/data"))).StatusCode);
            // Another name for this address (DNS rebinding) is refused.
            using var rebound = new HttpRequestMessage(HttpMethod.Get, open.LocalUrl("/api/data"));
            rebound.Headers.Host = "attacker.example";
            var response = await http.SendAsync(rebound);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.DoesNotContain("search-1", await response.Content.ReadAsStringAsync());
        }
        await using var guarded = await DashboardServer.StartAsync(new DashboardOptions([store], Port: 0, Token: "s3cret"));
        Assert.False(guarded.TokenGenerated);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(guarded.LocalUrl("/", withToken: false))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(guarded.LocalUrl("/"))).StatusCode);
    }

    [Fact]
    public async Task Bad_options_and_missing_stores_fail_before_serving()
    {
        var store = TestStores.Mixed(TestStores.TempDirectory());
        Assert.Contains("give an IP address", (await Assert.ThrowsAsync<ArgumentException>(() =>
            DashboardServer.StartAsync(new DashboardOptions([store], Bind: "example.org", Port: 0)))).Message);
        Assert.Contains("non-empty", (await Assert.ThrowsAsync<ArgumentException>(() =>
            DashboardServer.StartAsync(new DashboardOptions([store], Port: 0, Token: "")))).Message);
        await Assert.ThrowsAsync<FileNotFoundException>(() =>
            DashboardServer.StartAsync(new DashboardOptions([store + ".missing"], Port: 0)));
    }
}
