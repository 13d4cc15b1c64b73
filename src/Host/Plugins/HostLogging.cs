using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SemiNas.Host.Plugins;

/// <summary>
/// The loggers the host hands to plugins: one console (standard error) sink for the process, so that what a plugin
/// reports is seen beside the host's own output instead of vanishing into a null logger.
/// </summary>
public static class HostLogging
{
    private static ILoggerFactory _factory = NullLoggerFactory.Instance;

    /// <summary>Starts console logging for this process; disposing the result flushes what is queued.</summary>
    public static IDisposable Start(LogLevel minimum = LogLevel.Information)
    {
        // One console provider, one line a message; standard output carries results (tables, --json), so every log
        // line goes to standard error.
        var factory = LoggerFactory.Create(builder => builder
            .SetMinimumLevel(minimum)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(o => o.SingleLine = true));
        _factory = factory;
        return factory;
    }

    public static ILogger ForPlugin(string pluginName) => _factory.CreateLogger($"plugin.{pluginName}");
}
