using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SemiNas.Dashboard.Tests;

/// <summary>
/// Debian's headless chromium driven over the DevTools protocol: open a page, evaluate script in it, collect its
/// uncaught exceptions and console errors. A missing chromium is an error (build/install-debian-packages.sh installs
/// it), never a skipped test.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly Dictionary<int, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly Lock _lock = new();
    private readonly List<string> _errors = new();
    private readonly Task _reader;
    private int _nextId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
        _reader = Task.CompletedTask;
    }

    private HeadlessChromium(HeadlessChromium started, Uri page) : this(started._process, started._profile)
    {
        _socket.ConnectAsync(page, CancellationToken.None).GetAwaiter().GetResult();
        _reader = Task.Run(ReadLoop);
    }

    /// <summary>Uncaught exceptions and console errors seen so far.</summary>
    public IReadOnlyList<string> Errors
    {
        get { lock (_lock) return _errors.ToList(); }
    }

    /// <param name="searchPath">Folders to look in, as in PATH (default: PATH).</param>
    public static string Executable(string? searchPath = null)
    {
        foreach (var name in new[] { "chromium", "chromium-browser" })
        foreach (var dir in (searchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path)) return path;
        }
        throw new InvalidOperationException(
            "chromium is not installed: these tests drive a real browser. Run build/install-debian-packages.sh (./test.sh does) or apt-get install chromium.");
    }

    public static async Task<HeadlessChromium> StartAsync()
    {
        var profile = Directory.CreateTempSubdirectory("seminas-chromium-").FullName;
        var info = new ProcessStartInfo(Executable())
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
                     "--disable-background-networking", "--no-proxy-server", "--remote-debugging-port=0", "--user-data-dir=" + profile,
                     "--window-size=1400,1000", "about:blank",
                 })
            info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new InvalidOperationException("chromium did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var browser = new HeadlessChromium(process, profile);
        try
        {
            // Chromium writes the port it picked here once it listens.
            var portFile = Path.Combine(profile, "DevToolsActivePort");
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!File.Exists(portFile) || File.ReadAllText(portFile).Split('\n').Length < 2)
            {
                if (process.HasExited) throw new InvalidOperationException($"chromium exited with code {process.ExitCode} before listening.");
                if (DateTime.UtcNow > deadline) throw new TimeoutException("chromium did not open its DevTools port within 60 s.");
                await Task.Delay(100);
            }
            var port = int.Parse(File.ReadAllText(portFile).Split('\n')[0].Trim());
            using var http = new HttpClient(new HttpClientHandler { UseProxy = false });
            var target = JsonNode.Parse(await (await http.PutAsync($"http://127.0.0.1:{port}/json/new?about:blank", null)).Content.ReadAsStringAsync())!;
            var page = new HeadlessChromium(browser, new Uri(target["webSocketDebuggerUrl"]!.GetValue<string>()));
            await page.SendAsync("Runtime.enable");
            await page.SendAsync("Page.enable");
            return page;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    public async Task NavigateAsync(string url)
    {
        var result = await SendAsync("Page.navigate", new JsonObject { ["url"] = url });
        if (result["errorText"] is { } error) throw new InvalidOperationException($"chromium could not open {url}: {error}");
    }

    /// <summary>Evaluates an expression in the page and returns its value (JSON-serialisable values only).</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject
        {
            ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true,
        });
        if (result["exceptionDetails"] is { } details) throw new InvalidOperationException($"evaluating `{expression}` threw: {details.ToJsonString()}");
        return result["result"]?["value"]?.DeepClone();
    }

    /// <summary>Waits until the expression is truthy; fails with the page's state when it never is.</summary>
    public async Task WaitForAsync(string expression, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            // While a navigation is under way the document may have no body yet: that is "not yet", not a failure.
            var value = await EvaluateAsync($"(() => {{ try {{ return !!({expression}); }} catch (e) {{ return false; }} }})()");
            if (value?.GetValue<bool>() == true) return;
            // A script error will not go away by waiting: say so at once.
            var error = await EvaluateAsync("document.body && document.body.dataset.error || null");
            if (DateTime.UtcNow > deadline || error is not null)
            {
                var state = await EvaluateAsync("JSON.stringify(document.body ? document.body.dataset : null)");
                throw new TimeoutException($"{what}: {(error is null ? "not" : "script error,")} within {timeout.TotalSeconds:0} s. body data: {state}; errors: {string.Join(" | ", Errors)}");
            }
            await Task.Delay(150);
        }
    }

    public async Task<byte[]> ScreenshotAsync()
    {
        var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true });
        return Convert.FromBase64String(result["data"]!.GetValue<string>());
    }

    private async Task<JsonObject> SendAsync(string method, JsonObject? parameters = null)
    {
        var source = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        int id;
        lock (_lock)
        {
            id = ++_nextId;
            _pending[id] = source;
        }
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        var done = await Task.WhenAny(source.Task, Task.Delay(TimeSpan.FromSeconds(60)));
        if (done != source.Task) throw new TimeoutException($"chromium did not answer {method} within 60 s.");
        return await source.Task;
    }

    private async Task ReadLoop()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var received = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (received.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage) continue;
                var node = JsonNode.Parse(message.ToArray())!.AsObject();
                message.SetLength(0);
                Dispatch(node);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The browser went away; pending calls time out with their own message.
        }
    }

    private void Dispatch(JsonObject node)
    {
        if (node["id"] is { } idNode)
        {
            TaskCompletionSource<JsonObject>? source;
            lock (_lock) _pending.Remove(idNode.GetValue<int>(), out source);
            if (node["error"] is { } error) source?.TrySetException(new InvalidOperationException($"DevTools error: {error.ToJsonString()}"));
            else source?.TrySetResult(node["result"]?.AsObject() ?? new JsonObject());
            return;
        }
        var method = node["method"]?.GetValue<string>();
        var parameters = node["params"];
        string? error2 = method switch
        {
            "Runtime.exceptionThrown" => parameters?["exceptionDetails"]?.ToJsonString(),
            "Runtime.consoleAPICalled" when parameters?["type"]?.GetValue<string>() == "error" => parameters["args"]?.ToJsonString(),
            _ => null,
        };
        if (error2 is not null) lock (_lock) _errors.Add(error2);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
        catch (WebSocketException)
        {
        }
        _socket.Dispose();
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // chromium's helpers may still hold a file for a moment; the temp folder is cleaned up eventually.
        }
    }
}
