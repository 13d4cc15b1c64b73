using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SemiNas.Dashboard;

/// <param name="Inputs">Stores (and summary.json files) to show.</param>
/// <param name="Bind">IP address to listen on; "localhost" is 127.0.0.1.</param>
/// <param name="Port">TCP port; 0 picks a free one.</param>
/// <param name="Token">Required on every request when set; generated when binding beyond loopback without one.</param>
public sealed record DashboardOptions(IReadOnlyList<string> Inputs, string Bind = "localhost", int Port = 8050, string? Token = null,
    double PollSeconds = 1);

/// <summary>
/// `seminas dashboard`: Kestrel from the shared framework, serving the page and its data (re-read from the stores on
/// every request, read-only). Anyone who can reach a non-loopback address could read the experiments, so there every
/// request must carry the token (query `token=`, or `Authorization: Bearer`), else 401.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DashboardServer(WebApplication app, Uri url, string? token)
    {
        _app = app;
        Url = url;
        Token = token;
    }

    /// <summary>The page's address, with the token when one is needed.</summary>
    public Uri Url { get; }

    public string? Token { get; }

    /// <summary>Whether the token was generated here (the caller prints it).</summary>
    public bool TokenGenerated { get; private init; }

    public static async Task<DashboardServer> StartAsync(DashboardOptions options, CancellationToken cancellationToken = default)
    {
        if (options.Inputs.Count == 0) throw new ArgumentException("give at least one store.");
        if (options.Port is < 0 or > 65535) throw new ArgumentException($"--port {options.Port}: give 0 to 65535.");
        if (options.PollSeconds <= 0) throw new ArgumentException("the poll interval must be positive.");
        var address = ParseBind(options.Bind);
        if (options.Token is { Length: 0 }) throw new ArgumentException("--token: give a non-empty token.");
        var generated = options.Token is null && !IPAddress.IsLoopback(address);
        var token = options.Token ?? (generated ? Base64Url(RandomNumberGenerator.GetBytes(24)) : null);

        // Fail now, with the store's own message, rather than on the first page view.
        DashboardData.Build(options.Inputs, live: true, DateTimeOffset.UtcNow);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, options.Port));
        var app = builder.Build();
        var page = Page.Live(TimeSpan.FromSeconds(options.PollSeconds));

        if (token is not null)
        {
            var expected = Encoding.UTF8.GetBytes(token);
            app.Use(async (context, next) =>
            {
                if (Authorized(context.Request, expected))
                {
                    await next(context);
                    return;
                }
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await context.Response.WriteAsync("401: this dashboard needs its token; open the address `seminas dashboard` printed (…/?token=…).\n");
            });
        }
        else
        {
            // No token on loopback: a web page elsewhere could still reach this server through DNS rebinding (its own
            // name pointed at 127.0.0.1), so answer only requests addressed to this machine by a loopback name.
            app.Use(async (context, next) =>
            {
                var host = context.Request.Host.Host;
                if (host is "localhost" or "127.0.0.1" or "[::1]" or "::1")
                {
                    await next(context);
                    return;
                }
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsync($"400: this dashboard answers to localhost or 127.0.0.1 only, not '{host}'.\n");
            });
        }
        app.MapGet("/", () => Results.Content(page, "text/html; charset=utf-8"));
        app.MapGet("/api/data", (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            try
            {
                var data = DashboardData.Build(options.Inputs, live: true, DateTimeOffset.UtcNow);
                return Results.Content(DashboardData.Serialize(data), "application/json; charset=utf-8");
            }
            catch (Exception e) when (e is IOException or FormatException or Storage.StoreException or UnauthorizedAccessException)
            {
                // The page keeps its last view and says why this read failed; the next poll tries again.
                return Results.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
        await app.StartAsync(cancellationToken);

        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var host = IPAddress.Any.Equals(address) || IPAddress.IPv6Any.Equals(address) ? Dns.GetHostName() : bound.Host;
        var url = new UriBuilder(bound.Scheme, host, bound.Port, "/") { Query = token is null ? "" : "token=" + Uri.EscapeDataString(token) }.Uri;
        return new DashboardServer(app, url, token) { TokenGenerated = generated };
    }

    /// <summary>The address actually listened on (port resolved), for clients on this machine.</summary>
    public Uri LocalUrl(string path = "/", bool withToken = true)
    {
        var port = Url.Port;
        var query = withToken && Token is not null ? "token=" + Uri.EscapeDataString(Token) : "";
        return new UriBuilder("http", "127.0.0.1", port, path) { Query = query }.Uri;
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static bool Authorized(HttpRequest request, byte[] expected)
    {
        string? given = request.Query["token"];
        var header = request.Headers.Authorization.ToString();
        if (given is null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) given = header["Bearer ".Length..].Trim();
        return given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), expected);
    }

    private static IPAddress ParseBind(string bind)
    {
        if (string.Equals(bind, "localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        return IPAddress.TryParse(bind, out var address)
            ? address
            : throw new ArgumentException($"--bind '{bind}': give an IP address of this machine (e.g. 0.0.0.0 for all), or localhost.");
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
