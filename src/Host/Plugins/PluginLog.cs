using System.Globalization;
using Microsoft.Extensions.Logging;

namespace SemiNas.Host.Plugins;

/// <summary>
/// The logger a plugin gets for one evaluation (or one final training): each message goes to the console, at the
/// level chosen with <c>--verbosity</c>, and to a file of its own beside the trial's checkpoints, at that level or
/// Debug, whichever says more, so that what a plugin said about a trial can still be read after the search.
/// The file is appended to, so a trial that resumes after a restart keeps the log of its first attempt.
/// </summary>
public sealed class PluginLog : IDisposable
{
    /// <summary>The name of the log file in each trial's folder.</summary>
    public const string TrialLogFile = "trial.log";

    private readonly Lock _sync = new();
    private StreamWriter? _file;

    private PluginLog(StreamWriter file, string pluginName, string consolePrefix)
    {
        _file = file;
        Logger = new TeeLogger(HostLogging.ForPlugin(pluginName), this, consolePrefix);
    }

    public ILogger Logger { get; }

    /// <param name="pluginName">Names the console lines' category, as for the plugin's other messages.</param>
    /// <param name="path">The log file; created, or appended to.</param>
    /// <param name="consolePrefix">Put before each console line (the trial it is about); the file needs none.</param>
    public static PluginLog Open(string pluginName, string path, string consolePrefix = "")
    {
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        return new PluginLog(new StreamWriter(stream) { AutoFlush = true }, pluginName, consolePrefix);
    }

    public void Dispose()
    {
        lock (_sync)
        {
            _file?.Dispose();
            _file = null;
        }
    }

    private void Write(LogLevel level, string message, Exception? exception)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {Abbreviation(level)} {message}");
        lock (_sync)
        {
            // A plugin that logs after its evaluation returned (from a task it left running) reaches the console only.
            if (_file is null) return;
            _file.WriteLine(line);
            if (exception is not null) _file.WriteLine(exception);
        }
    }

    private static string Abbreviation(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    private sealed class TeeLogger(ILogger console, PluginLog log, string prefix) : ILogger
    {
        private static LogLevel FileLevel => HostLogging.Minimum < LogLevel.Debug ? HostLogging.Minimum : LogLevel.Debug;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => console.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && (logLevel >= FileLevel || console.IsEnabled(logLevel));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.None) return;
            console.Log(logLevel, eventId, state, exception, (s, e) => prefix + formatter(s, e));
            if (logLevel >= FileLevel) log.Write(logLevel, formatter(state, exception), exception);
        }
    }
}
