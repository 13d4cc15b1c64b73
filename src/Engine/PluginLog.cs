using System.Globalization;
using Microsoft.Extensions.Logging;

namespace SemiNas.Engine;

/// <summary>
/// The logger a plugin gets for one evaluation (or one final training): each message goes to the console, at the
/// level chosen with <c>--verbosity</c>, and to a file of its own beside the trial's checkpoints, at that level or
/// Debug, whichever says more, so that what a plugin said about a trial can still be read after the search.
/// The file, and its folder, are made at the first message, so that the many trials of a table task that logs nothing
/// leave no empty folders behind; it is appended to, so a trial that resumes after a restart keeps its first
/// attempt's lines.
/// </summary>
public sealed class PluginLog : IDisposable
{
    /// <summary>The name of the log file in each trial's folder.</summary>
    public const string TrialLogFile = "trial.log";

    private readonly Lock _sync = new();
    private readonly string _path;
    private StreamWriter? _file;
    private bool _closed;

    /// <param name="console">The plugin's console logger, filtered at the chosen verbosity.</param>
    /// <param name="path">The log file; created, or appended to.</param>
    /// <param name="consolePrefix">Put before each console line (the trial it is about); the file needs none.</param>
    public PluginLog(ILogger console, string path, string consolePrefix = "")
    {
        _path = path;
        Logger = new TeeLogger(console, this, consolePrefix);
    }

    /// <summary>The console logger of a plugin, by the category its other messages use.</summary>
    public static ILogger ConsoleFor(ILoggerFactory loggers, string pluginName) => loggers.CreateLogger($"plugin.{pluginName}");

    public ILogger Logger { get; }

    public void Dispose()
    {
        lock (_sync)
        {
            _file?.Dispose();
            _file = null;
            _closed = true;
        }
    }

    private void Write(LogLevel level, string message, Exception? exception)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {Abbreviation(level)} {message}");
        lock (_sync)
        {
            // A plugin that logs after its evaluation returned (from a task it left running) reaches the console only.
            if (_closed) return;
            try
            {
                _file ??= Open(_path);
                _file.WriteLine(line);
                if (exception is not null) _file.WriteLine(exception);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Losing the file must not fail the evaluation; the console still has every line.
                _closed = true;
                Console.Error.WriteLine($"warning: {_path} cannot be written ({e.Message}); this trial's log goes to the console only.");
            }
        }
    }

    private static StreamWriter Open(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        return new StreamWriter(stream) { AutoFlush = true };
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
        // Debug, or Trace when the console takes Trace: the file never says less than the console.
        private readonly LogLevel _fileLevel = console.IsEnabled(LogLevel.Trace) ? LogLevel.Trace : LogLevel.Debug;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => console.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && (logLevel >= _fileLevel || console.IsEnabled(logLevel));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.None) return;
            console.Log(logLevel, eventId, state, exception, (s, e) => prefix + formatter(s, e));
            if (logLevel >= _fileLevel) log.Write(logLevel, formatter(state, exception), exception);
        }
    }
}
