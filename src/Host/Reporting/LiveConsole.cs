using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace SemiNas.Host.Reporting;

/// <summary>
/// What the host's progress displays (<see cref="ConsoleProgress"/> for a search, <see cref="CommandConsole"/> for
/// train, eval and the plugins' commands) share. On a terminal, a Spectre.Console live view redrawn a few times a
/// second, with lines written above it; when the output is not a terminal, plain lines, and a tick on a timer on which
/// the owner writes its heartbeat when one is due. Lines may be written from any thread.
/// </summary>
internal sealed class LiveConsole(TextWriter output, bool interactive, TimeSpan tick) : IDisposable
{
    private static readonly TimeSpan LiveRefresh = TimeSpan.FromMilliseconds(250);

    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _ended = new();
    private readonly ConcurrentQueue<string> _above = new();
    private IAnsiConsole? _ansi;
    private bool _queueing;
    private Timer? _timer;
    private Task? _live;

    /// <summary>
    /// On a terminal, starts the live view drawn by <paramref name="view"/> (called with true for its last drawing, as
    /// the view ends); otherwise calls <paramref name="onTick"/> every tick until <see cref="Stop"/>.
    /// </summary>
    public void Start(Func<bool, IRenderable> view, Action onTick)
    {
        if (interactive)
        {
            _ansi = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.Detect,
                Interactive = InteractionSupport.Yes,
                Out = new AnsiConsoleOutput(output),
            });
            _queueing = true;
            _live = Task.Run(() => RunLiveViewAsync(_ansi, view));
        }
        else
        {
            _timer = new Timer(_ => onTick(), null, tick, tick);
        }
    }

    /// <summary>
    /// Writes a line: in a log as it is, on a terminal above the live view (which Spectre.Console redraws below it) at
    /// its next drawing. Only the view's own thread writes to the terminal while the view is on: Spectre.Console's live
    /// display takes its locks in one order when drawing and in the other when another thread writes, and the two
    /// deadlocked.
    /// </summary>
    public void WriteLine(string line)
    {
        lock (_lock)
        {
            if (_queueing)
            {
                _above.Enqueue(line);
                return;
            }
            output.WriteLine(line);
            output.Flush();
        }
    }

    /// <summary>Ends the ticks or the live view (drawn once more, as it ends); safe to call twice.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            if (_ended.IsCancellationRequested) return;
            _ended.Cancel();
        }
        _timer?.Dispose();
        _live?.GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        Stop();
        _ended.Dispose();
    }

    private async Task RunLiveViewAsync(IAnsiConsole console, Func<bool, IRenderable> view)
    {
        await console.Live(view(false)).AutoClear(false).StartAsync(async context =>
        {
            while (!_ended.IsCancellationRequested)
            {
                WriteAbove(console);
                context.UpdateTarget(view(false));
                try
                {
                    await Task.Delay(LiveRefresh, _ended.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
            // Lines queued until the end are written before the last drawing; later ones go straight to the output.
            lock (_lock)
            {
                WriteAbove(console);
                _queueing = false;
            }
            context.UpdateTarget(view(true));
        });
    }

    private void WriteAbove(IAnsiConsole console)
    {
        while (_above.TryDequeue(out var line)) console.Write(new AboveView(line));
    }

    /// <summary>
    /// A line written while the live view is drawn: Spectre.Console moves the cursor to the view's first line and
    /// writes over it, which left the end of the view's old lines beside a shorter line; erasing to the end of the
    /// screen first leaves the line alone, and the view is drawn again below it.
    /// </summary>
    private sealed class AboveView(string line) : IRenderable
    {
        private readonly IRenderable _text = new Text(line + Environment.NewLine);

        public Measurement Measure(RenderOptions options, int maxWidth) => _text.Measure(options, maxWidth);

        public IEnumerable<Segment> Render(RenderOptions options, int maxWidth) =>
            [Segment.Control("\u001b[0J"), .. _text.Render(options, maxWidth)];
    }

    /// <summary>A green-on-grey bar of <paramref name="width"/> cells, as Spectre.Console markup.</summary>
    public static string Bar(double fraction, int width = 24)
    {
        var filled = Math.Clamp((int)(fraction * width), 0, width);
        return $"[green]{new string('━', filled)}[/][grey]{new string('━', width - filled)}[/]";
    }

    /// <summary>0.4s, 3m05s, 2h10m: short enough for a heartbeat line.</summary>
    public static string Duration(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m"
        : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:00}s"
        : t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s";
}

/// <summary>
/// A <see cref="TextWriter"/> that hands each complete line to <paramref name="writeLine"/>: what a command prints
/// with <see cref="Console.WriteLine()"/> while a live view is on the terminal goes above the view instead of through it.
/// </summary>
internal sealed class LineWriter(Action<string> writeLine) : TextWriter
{
    private readonly StringBuilder _line = new();
    private readonly Lock _lock = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_lock)
        {
            if (value == '\n')
            {
                var text = _line.ToString().TrimEnd('\r');
                _line.Clear();
                writeLine(text);
            }
            else
            {
                _line.Append(value);
            }
        }
    }

    public override void Write(string? value)
    {
        if (value is null) return;
        foreach (var c in value) Write(c);
    }

    public override void Write(char[] buffer, int index, int count)
    {
        for (var i = index; i < index + count; i++) Write(buffer[i]);
    }

    /// <summary>A line left without its newline when the command ends is written too.</summary>
    protected override void Dispose(bool disposing)
    {
        lock (_lock)
        {
            if (_line.Length > 0) writeLine(_line.ToString());
            _line.Clear();
        }
        base.Dispose(disposing);
    }
}
