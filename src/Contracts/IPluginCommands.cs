namespace SemiNas.Contracts;

/// <summary>
/// Optional, on an <see cref="ITaskPlugin"/>: commands the plugin adds to the command line, run as
/// <c>seminas NAME …</c> (for example <c>seminas tts make-corpus …</c>). A command declares its options, arguments and
/// subcommands; the host parses the command line, writes <c>--help</c> and reports bad input (exit code 2), and lists
/// the commands in <c>seminas --help</c>. Reading <see cref="Commands"/> must be cheap: the host reads it to show help,
/// so it must not load data or native libraries.
/// </summary>
public interface IPluginCommands
{
    IReadOnlyList<PluginCommand> Commands { get; }
}

/// <summary>One command, or a group of subcommands (then <see cref="Run"/> is usually null).</summary>
/// <param name="Name">What the user types, e.g. "make-corpus". Lower case, no spaces.</param>
/// <param name="Description">One or two sentences for <c>--help</c>.</param>
public sealed record PluginCommand(string Name, string Description)
{
    public IReadOnlyList<PluginOption> Options { get; init; } = [];

    /// <summary>Positional arguments, in order.</summary>
    public IReadOnlyList<PluginArgument> Arguments { get; init; } = [];

    public IReadOnlyList<PluginCommand> Subcommands { get; init; } = [];

    /// <summary>
    /// Runs the command with what was parsed and returns the process exit code (0 success, 1 failure, 2 bad input);
    /// it writes to the console itself. The token fires on Ctrl-C.
    /// </summary>
    public Func<PluginCommandInput, CancellationToken, Task<int>>? Run { get; init; }
}

/// <summary>A named option, e.g. <c>--out DIR</c>.</summary>
/// <param name="Name">With its dashes, e.g. "--out".</param>
/// <param name="Type">What the value parses to: <see cref="string"/>, <see cref="int"/>, <see cref="double"/>, or
/// <see cref="bool"/> for a flag that takes no value.</param>
/// <param name="Description">For <c>--help</c>; say the default, since the command applies it.</param>
public sealed record PluginOption(string Name, Type Type, string Description)
{
    public bool Required { get; init; }

    /// <summary>The placeholder for the value in <c>--help</c>, e.g. "DIR".</summary>
    public string? ValueName { get; init; }
}

/// <summary>A positional argument.</summary>
/// <param name="Name">Shown in <c>--help</c> and used to read the value, e.g. "DIR".</param>
/// <param name="Type">As for <see cref="PluginOption"/>, except <see cref="bool"/>.</param>
/// <param name="Description">For <c>--help</c>.</param>
public sealed record PluginArgument(string Name, Type Type, string Description)
{
    /// <summary>May be left out (only the last arguments can be).</summary>
    public bool Optional { get; init; }
}

/// <summary>What the command line gave a <see cref="PluginCommand"/>: the options and arguments present, by name.</summary>
public sealed class PluginCommandInput(IReadOnlyDictionary<string, object> values)
{
    /// <summary>Whether the option or argument named <paramref name="name"/> was given (for a flag: whether it is set).</summary>
    public bool Has(string name) => values.ContainsKey(name);

    /// <summary>
    /// The value of the option or argument named <paramref name="name"/>, or <paramref name="fallback"/> when it was not
    /// given. <typeparamref name="T"/> is its declared type.
    /// </summary>
    public T Get<T>(string name, T fallback) => values.TryGetValue(name, out var value) ? As<T>(name, value) : fallback;

    /// <summary>The value of a required option or argument (the host has checked that it was given).</summary>
    public T Get<T>(string name) => values.TryGetValue(name, out var value)
        ? As<T>(name, value)
        : throw new KeyNotFoundException($"{name} was not given: declare it Required, or read it with a fallback.");

    /// <summary>
    /// Where a long command says how far it is. Report as often as is convenient (every step is fine): the host
    /// decides what to show. On a terminal it keeps a live line per stage (done/total, elapsed time, ETA, the latest
    /// message and metrics); in a log (output redirected) it prints each stage's start and end, at most one progress
    /// line every few seconds, and a heartbeat while a stage reports nothing, so a long command is never silent and
    /// never floods. Progress goes to standard error, so standard output keeps only the command's results (--json).
    /// Never null: without a host to show it (a plugin's own tests), reports go nowhere.
    /// </summary>
    public IProgress<CommandProgress> Progress { get; init; } = CommandProgress.Ignored;

    private static T As<T>(string name, object value) => value is T typed
        ? typed
        : throw new InvalidCastException($"{name} is declared as {value.GetType().Name}; read it as that, not as {typeof(T).Name}.");
}

/// <summary>
/// How far a plugin command is (<see cref="PluginCommandInput.Progress"/>). A report naming another
/// <paramref name="Stage"/> than the last ends the last one; so does one whose <paramref name="Done"/> reaches
/// <paramref name="Total"/>, and the end of the command.
/// </summary>
/// <param name="Stage">What the command is doing, in a few words: "loader", "training", "scoring test sentences".</param>
/// <param name="Done">Units of the stage done so far.</param>
/// <param name="Total">Units in the stage, or null when not known (then no ETA is shown).</param>
public sealed record CommandProgress(string Stage, long Done = 0, long? Total = null)
{
    /// <summary>What the units are ("steps", "sentences"), shown after done/total.</summary>
    public string? Unit { get; init; }

    /// <summary>The latest news in a few words, e.g. "epoch 3/20: CTC loss 1.234".</summary>
    public string? Message { get; init; }

    /// <summary>Figures so far (a loss, images/s), shown with the latest report.</summary>
    public IReadOnlyDictionary<string, double>? Metrics { get; init; }

    /// <summary>A sink that drops every report.</summary>
    public static IProgress<CommandProgress> Ignored { get; } = new Nowhere();

    private sealed class Nowhere : IProgress<CommandProgress>
    {
        public void Report(CommandProgress value)
        {
        }
    }
}
