using System.CommandLine;
using SemiNas.Contracts;
using SemiNas.Host.Plugins;

namespace SemiNas.Host.Cli;

/// <summary>
/// Runs commands that plugins add (<see cref="IPluginCommands"/>), e.g. <c>seminas tts make-corpus …</c>. Plugins are
/// loaded only when the first argument is not one of the host's own commands, so the host's commands start fast.
/// </summary>
internal static class PluginCommandDispatch
{
    /// <summary>The plugin command <paramref name="args"/> names, or null when it names none (the host's parser then reports it).</summary>
    public static PluginCommand? Find(RootCommand root, IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0].StartsWith('-') || root.Subcommands.Any(c => c.Name == args[0] || c.Aliases.Contains(args[0])))
            return null;
        return All(PluginCatalog.Discover([])).FirstOrDefault(c => c.Command.Name == args[0]).Command;
    }

    /// <summary>Every command of every loaded plugin, with the plugin that offers it.</summary>
    public static IEnumerable<(LoadedPlugin Plugin, PluginCommand Command)> All(PluginCatalog catalog) =>
        catalog.Plugins.SelectMany(p => p.Plugin is IPluginCommands commands
            ? commands.Commands.Select(c => (p, c))
            : []);

    public static async Task<int> RunAsync(PluginCommand command, IReadOnlyList<string> args)
    {
        using var interrupt = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            interrupt.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var exitCode = await CommonOptions.Guard(() => command.Run(args, interrupt.Token));
            return interrupt.IsCancellationRequested ? CommonOptions.ExitInterrupted : exitCode;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
