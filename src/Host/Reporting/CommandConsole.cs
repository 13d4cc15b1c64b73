using System.Diagnostics;
using System.Globalization;
using SemiNas.Contracts;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace SemiNas.Host.Reporting;

/// <summary>
/// What a long command other than a search shows while it runs (<c>train</c>, <c>eval</c>, and the plugins' commands
/// such as <c>image bench</c> and <c>tts evaluate</c>): the stages it reports (<see cref="CommandProgress"/>), each with
/// done/total, elapsed time, ETA, the latest message and metrics.
/// On a terminal, a live table of the stages, with the command's own lines written above it. When the output is not
/// a terminal, plain lines that a log keeps readable: every stage's start and end, and in between at most one line
/// every <c>interval</c> (the latest report, or a heartbeat saying how long ago it came), however often the command
/// reports: a training that reports every step neither floods a log nor leaves it silent.
/// </summary>
/// <param name="title">The command, e.g. "tts evaluate": names the live view, and the heartbeat before any stage.</param>
/// <param name="interval">Seconds between two lines in a log; <see cref="DefaultInterval"/> unless SEMINAS_PROGRESS_SECONDS says otherwise.</param>
public sealed class CommandConsole(TextWriter output, bool interactive, string title, TimeSpan? interval = null)
    : IProgress<CommandProgress>, IDisposable
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    /// <summary>The environment variable that sets the interval between two progress lines in a log, in seconds.</summary>
    public const string IntervalVariable = "SEMINAS_PROGRESS_SECONDS";

    private const int StagesShown = 6;

    private readonly TimeSpan _interval = interval ?? IntervalFromEnvironment();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private readonly List<StageState> _stages = [];
    private LiveConsole? _console;
    private TimeSpan _lastLine;
    private bool _ended;

    /// <summary>
    /// The console of a command: on standard output, or standard error when standard output carries the result
    /// (<paramref name="onError"/>: --json, a plugin's command); live when that stream is a terminal.
    /// </summary>
    public static CommandConsole ForCommand(string title, bool onError) => onError
        ? new CommandConsole(Console.Error, !Console.IsErrorRedirected, title)
        : new CommandConsole(Console.Out, !Console.IsOutputRedirected, title);

    public bool Interactive => interactive;

    /// <summary>The interval between two progress lines in a log: SEMINAS_PROGRESS_SECONDS (0.1 to 3600), or 5 s.</summary>
    public static TimeSpan IntervalFromEnvironment() => ParseInterval(Environment.GetEnvironmentVariable(IntervalVariable));

    /// <summary>The interval that SEMINAS_PROGRESS_SECONDS set to <paramref name="text"/> asks for (null or blank: the default).</summary>
    public static TimeSpan ParseInterval(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return DefaultInterval;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 0.1 and <= 3600
            ? TimeSpan.FromSeconds(seconds)
            : throw new FormatException($"{IntervalVariable} must be a number of seconds from 0.1 to 3600, not '{text}'.");
    }

    public void Report(CommandProgress value) =>
        Update(value.Stage, value.Done, value.Total, null, value.Unit, value.Message, value.Metrics);

    /// <summary>
    /// A sink for an evaluation's or a training's progress (<see cref="EvaluationProgress"/>: a fraction, a message
    /// and metrics), shown as the stage <paramref name="stage"/>; it ends when the fraction reaches 1.
    /// </summary>
    public IProgress<EvaluationProgress> Stage(string stage) =>
        new Sink<EvaluationProgress>(p => Update(stage, null, null, p.Fraction, null, p.Message, p.Metrics));

    /// <summary>A line of the command's own (a result): on a terminal above the live view, in a log as it is.</summary>
    public void WriteLine(string line) => Live().WriteLine(line);

    /// <summary>A writer whose lines go through <see cref="WriteLine"/>: for Console.SetOut while a live view is on the same terminal.</summary>
    public TextWriter Writer() => new LineWriter(WriteLine);

    /// <summary>Ends the stage under way (its end line) and the live view or the heartbeat.</summary>
    public void Dispose() => Finish(completed: true);

    /// <summary>
    /// Ends the stage under way, as done when the command <paramref name="completed"/>, else (it failed, or Ctrl-C)
    /// as stopped, and the live view or the heartbeat; later calls and reports change nothing.
    /// </summary>
    public void Finish(bool completed)
    {
        lock (_lock)
        {
            if (_ended) return;
            End(Current(), completed ? "done in" : "stopped after");
            _ended = true;
        }
        _console?.Dispose();
    }

    /// <summary>In a log, starts the heartbeat now, so that even a command that reports nothing is heard from while it runs.</summary>
    public void Start()
    {
        if (!interactive) Live();
    }

    private LiveConsole Live()
    {
        lock (_lock)
        {
            if (_console is not null) return _console;
            // The live view or the ticks start with the first line or report, so a command that ends at once leaves
            // no trace; a tick every fifth of the interval keeps the lines within a fifth of it of being due.
            _console = new LiveConsole(output, interactive, _interval / 5);
            _console.Start(_ => View(), Tick);
            return _console;
        }
    }

    private StageState? Current() => _stages.Count > 0 && _stages[^1].Ended is null ? _stages[^1] : null;

    private void Update(string name, long? done, long? total, double? fraction, string? unit, string? message,
        IReadOnlyDictionary<string, double>? metrics)
    {
        var console = Live();
        lock (_lock)
        {
            if (_ended) return;
            var now = _clock.Elapsed;
            var stage = Current();
            if (stage is null || stage.Name != name)
            {
                End(stage);
                stage = new StageState(name, now);
                _stages.Add(stage);
                if (_stages.Count > 50) _stages.RemoveAt(0);
                stage.Take(now, done, total, fraction, unit, message, metrics);
                Write(console, $"{name}: started" + Details(stage, now, withTiming: false));
            }
            else
            {
                stage.Take(now, done, total, fraction, unit, message, metrics);
            }
            if (stage.Complete) End(stage);
        }
    }

    /// <summary>Ends <paramref name="stage"/> with its end line (in a log); under the lock.</summary>
    private void End(StageState? stage, string how = "done in")
    {
        if (stage is null || stage.Ended is not null || _console is null) return;
        var now = _clock.Elapsed;
        stage.Ended = now;
        Write(_console, $"{stage.Name}: {how} {LiveConsole.Duration(now - stage.Started)}" + Details(stage, now, withTiming: false));
    }

    private void Write(LiveConsole console, string line)
    {
        if (interactive) return;   // the live view shows starts and ends
        _lastLine = _clock.Elapsed;
        console.WriteLine(line);
    }

    /// <summary>In a log: the latest report of the stage under way, or a heartbeat, when a line is due.</summary>
    private void Tick()
    {
        lock (_lock)
        {
            var now = _clock.Elapsed;
            if (_ended || _console is null || now - _lastLine < _interval) return;
            var line = Current() is { } stage
                ? stage.Name + ": " + Details(stage, now, withTiming: true)[3..] +
                  (stage.Fresh ? "" : $" | no news for {LiveConsole.Duration(now - stage.LastReport)}")
                : $"{title}: running, {LiveConsole.Duration(now)} elapsed";
            if (Current() is { } current) current.Fresh = false;
            Write(_console, line);
        }
    }

    private static string Details(StageState stage, TimeSpan now, bool withTiming)
    {
        var parts = new List<string>();
        if (stage.Amount() is { } amount) parts.Add(amount);
        if (stage.Message is { Length: > 0 } message) parts.Add(message);
        if (stage.Metrics is { Count: > 0 } metrics) parts.Add(Metrics(metrics));
        // No ETA until the stage has a total (or a fraction) and has moved since its first report.
        if (withTiming) parts.Add($"{LiveConsole.Duration(now - stage.Started)} elapsed" + (stage.Eta(now) is { } eta ? $", ETA {LiveConsole.Duration(eta)}" : ""));
        return parts.Count == 0 ? "" : " | " + string.Join(" | ", parts);
    }

    private static string Metrics(IReadOnlyDictionary<string, double> metrics) =>
        string.Join(" ", metrics.Select(m => $"{m.Key}={m.Value.ToString("0.####", CultureInfo.InvariantCulture)}"));

    private IRenderable View()
    {
        lock (_lock)
        {
            var now = _clock.Elapsed;
            var table = new Table().Border(TableBorder.Simple).Expand()
                .AddColumn("stage").AddColumn("progress").AddColumn("elapsed").AddColumn("ETA").AddColumn("latest");
            foreach (var stage in _stages.TakeLast(StagesShown))
            {
                var ended = stage.Ended is { } end;
                var fraction = stage.Fraction() ?? (ended ? 1 : 0);
                var latest = string.Join("  ", new[] { stage.Message, stage.Metrics is { Count: > 0 } m ? Metrics(m) : null }.Where(s => s is { Length: > 0 }));
                table.AddRow(
                    new Markup(ended ? $"[green]✓[/] {Markup.Escape(stage.Name)}" : $"[blue]{Markup.Escape(stage.Name)}[/]"),
                    new Markup(LiveConsole.Bar(fraction, 16) + " " + Markup.Escape(stage.Amount(withPercent: false) ?? "")),
                    new Text(LiveConsole.Duration((stage.Ended ?? now) - stage.Started)),
                    new Text(ended ? "done" : stage.Eta(now) is { } eta ? LiveConsole.Duration(eta) : "?"),
                    new Text(latest));
            }
            if (_stages.Count == 0) table.AddRow(new Text("running"), new Text(""), new Text(LiveConsole.Duration(now)), new Text("?"), new Text(""));
            return new Panel(table).Header($"{Markup.Escape(title)} ({LiveConsole.Duration(now)} elapsed)").Expand();
        }
    }

    /// <summary>One stage and its latest report.</summary>
    private sealed class StageState(string name, TimeSpan started)
    {
        public string Name { get; } = name;
        public TimeSpan Started { get; } = started;
        public TimeSpan? Ended { get; set; }
        public TimeSpan LastReport { get; private set; } = started;

        /// <summary>Whether a report came since the last line about the stage.</summary>
        public bool Fresh { get; set; }

        public long? Done { get; private set; }
        public long? Total { get; private set; }
        public double? Progress { get; private set; }
        public string? Unit { get; private set; }
        public string? Message { get; private set; }
        public IReadOnlyDictionary<string, double>? Metrics { get; private set; }

        // The ETA is the pace since the stage's first report, not since its start: a resumed training starts at half
        // done, and the set-up before the first step would otherwise count as progress.
        private (TimeSpan At, double Fraction)? _first;

        public bool Complete => Total is { } total ? Done >= total : Progress >= 1;

        public void Take(TimeSpan now, long? done, long? total, double? fraction, string? unit, string? message, IReadOnlyDictionary<string, double>? metrics)
        {
            (Done, Total, Progress) = (done, total, fraction);
            Unit = unit ?? Unit;
            Message = message;
            Metrics = metrics is { Count: > 0 } ? metrics : Metrics;
            LastReport = now;
            Fresh = true;
            if (Fraction() is { } f) _first ??= (now, f);
        }

        public double? Fraction() => Total is > 0 ? Math.Clamp((double)(Done ?? 0) / Total.Value, 0, 1) : Progress is { } p ? Math.Clamp(p, 0, 1) : null;

        public string? Amount(bool withPercent = true)
        {
            if (Total is { } total)
                return string.Create(CultureInfo.InvariantCulture, $"{Done ?? 0}/{total}{(Unit is null ? "" : " " + Unit)}") +
                    (withPercent ? string.Create(CultureInfo.InvariantCulture, $" ({100.0 * (Done ?? 0) / Math.Max(1, total):0}%)") : "");
            if (Done is > 0 and var done) return string.Create(CultureInfo.InvariantCulture, $"{done}{(Unit is null ? "" : " " + Unit)}");
            return Progress is { } p ? string.Create(CultureInfo.InvariantCulture, $"{100 * p:0}%") : null;
        }

        public TimeSpan? Eta(TimeSpan now)
        {
            if (Fraction() is not { } f || _first is not { } first || f <= first.Fraction) return null;
            var seconds = (LastReport - first.At).TotalSeconds / (f - first.Fraction) * (1 - f);
            return TimeSpan.FromSeconds(Math.Max(0, seconds - (now - LastReport).TotalSeconds));
        }
    }

    private sealed class Sink<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
