namespace SemiNas.Contracts;

/// <summary>
/// Optional, on an <see cref="ITaskPlugin"/>: commands the plugin adds to the command line, run as
/// <c>seminas NAME ARGS…</c> (for example <c>seminas tts make-corpus …</c>). The plugin parses its own arguments.
/// </summary>
public interface IPluginCommands
{
    IReadOnlyList<PluginCommand> Commands { get; }
}

/// <summary>
/// One plugin command. <paramref name="Run"/> receives the arguments after the command's name and returns the
/// process exit code (0 success, 1 failure, 2 bad input); it writes to the console itself.
/// </summary>
public sealed record PluginCommand(
    string Name, string Description, Func<IReadOnlyList<string>, CancellationToken, Task<int>> Run);
