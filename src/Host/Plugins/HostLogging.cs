using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SemiNas.Engine;

namespace SemiNas.Host.Plugins;

/// <summary>
/// The loggers the host hands to plugins: one console (standard error) sink for the process, so that what a plugin
/// reports is seen beside the host's own output instead of vanishing into a null logger.
/// </summary>
public static class HostLogging
{
    private static ILoggerFactory _factory = NullLoggerFactory.Instance;

    /// <summary>The least severe level that reaches the console (<c>--verbosity</c>).</summary>
    public static LogLevel Minimum { get; private set; } = LogLevel.Information;

    /// <summary>Starts console logging for this process; disposing the result flushes what is queued.</summary>
    public static IDisposable Start(LogLevel minimum = LogLevel.Information)
    {
        Minimum = minimum;
        // One console provider, one line a message; standard output carries results (tables, --json), so every log
        // line goes to standard error.
        var factory = LoggerFactory.Create(builder => builder
            .SetMinimumLevel(minimum)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(o => o.SingleLine = true));
        _factory = factory;
        return factory;
    }

    /// <summary>The console loggers of this process; the search loop hands them to plugins (RunSettings.Logging).</summary>
    public static ILoggerFactory Factory => _factory;

    public static ILogger ForPlugin(string pluginName) => PluginLog.ConsoleFor(_factory, pluginName);
}
