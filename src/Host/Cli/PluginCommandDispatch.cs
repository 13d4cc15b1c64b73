using System.CommandLine;
using SemiNas.Contracts;
using SemiNas.Engine;
using SemiNas.Host.Plugins;
using SemiNas.Host.Reporting;

namespace SemiNas.Host.Cli;

/// <summary>
/// Turns the commands that plugins declare (<see cref="IPluginCommands"/>) into System.CommandLine commands, so that
/// they parse, report bad input and write <c>--help</c> like the host's own. Plugins are loaded only when the first
/// argument is not one of the host's commands (a plugin command, <c>--help</c>, or nothing), so the host's commands
/// start fast.
/// </summary>
public static class PluginCommandDispatch
{
    /// <summary>Adds the bundled plugins' commands to <paramref name="root"/> when <paramref name="args"/> may need them.</summary>
    internal static void AddWhenNeeded(RootCommand root, IReadOnlyList<string> args)
    {
        if (args.Count > 0 && HasCommand(root, args[0])) return;
        foreach (var plugin in PluginCatalog.Discover([]).Plugins)
        {
            try
            {
                Add(root, plugin);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"warning: the commands of plugin '{plugin.Name}' ({plugin.SourcePath}) are left out: {e.Message}");
            }
        }
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/> (starting with the command's name) against the commands of
    /// <paramref name="plugin"/> alone, exactly as <c>seminas</c> does: for a plugin's own tests.
    /// </summary>
    public static Task<int> RunAsync(ITaskPlugin plugin, params string[] args)
    {
        var root = new RootCommand($"The commands of plugin '{plugin.Name}'.");
        Add(root, new LoadedPlugin(plugin, plugin.Name, plugin.Version, plugin.GetType().Assembly.Location));
        return SemiNasCommandLine.InvokeAsync(root.Parse(args));
    }

    private static void Add(RootCommand root, LoadedPlugin plugin)
    {
        if (plugin.Plugin is not IPluginCommands commands) return;
        // Built in full before any is added, so that a plugin with one bad declaration adds none.
        var built = commands.Commands.Select(c => Build(plugin, c, c.Name)).ToList();
        foreach (var command in built)
        {
            // The host's commands keep their names, and the first plugin to take a name keeps it.
            if (HasCommand(root, command.Name))
                Console.Error.WriteLine($"warning: plugin '{plugin.Name}' ({plugin.SourcePath}) offers a command '{command.Name}', a name already taken; it is left out.");
            else
                root.Subcommands.Add(command);
        }
    }

    private static bool HasCommand(Command root, string name) =>
        root.Subcommands.Any(c => c.Name == name || c.Aliases.Contains(name));

    /// <summary>Every command of every loaded plugin, with the plugin that offers it.</summary>
    public static IEnumerable<(LoadedPlugin Plugin, PluginCommand Command)> All(PluginCatalog catalog) =>
        catalog.Plugins.SelectMany(p => p.Plugin is IPluginCommands commands
            ? commands.Commands.Select(c => (p, c))
            : []);

    /// <param name="title">The command's words after <c>seminas</c>, e.g. "tts evaluate": the title of its progress.</param>
    private static Command Build(LoadedPlugin plugin, PluginCommand declared, string title)
    {
        var command = new Command(declared.Name, declared.Description);
        var readers = new List<(string Name, Func<ParseResult, object?> Read)>();
        foreach (var option in declared.Options)
        {
            var (symbol, read) = Option(plugin, declared, option);
            command.Options.Add(symbol);
            readers.Add((option.Name, read));
        }
        foreach (var argument in declared.Arguments)
        {
            var (symbol, read) = Argument(plugin, declared, argument);
            command.Arguments.Add(symbol);
            readers.Add((argument.Name, read));
        }
        foreach (var subcommand in declared.Subcommands) command.Subcommands.Add(Build(plugin, subcommand, $"{title} {subcommand.Name}"));
        if (declared.Run is { } run)
        {
            command.SetAction(async (result, cancellationToken) =>
            {
                var values = new Dictionary<string, object>(StringComparer.Ordinal);
                foreach (var (name, read) in readers)
                    if (read(result) is { } value) values[name] = value;
                var exitCode = await CommonOptions.Guard(() => RunWithProgressAsync(run, values, title, cancellationToken));
                return cancellationToken.IsCancellationRequested ? CommonOptions.ExitInterrupted : exitCode;
            });
        }
        return command;
    }

    /// <summary>
    /// Runs a plugin's command with its progress shown (<see cref="CommandConsole"/>) on standard error, which leaves
    /// standard output to the command's results. On a terminal the progress is a live view; the lines the command
    /// prints to the same terminal then go above the view instead of through it.
    /// </summary>
    private static async Task<int> RunWithProgressAsync(Func<PluginCommandInput, CancellationToken, Task<int>> run,
        Dictionary<string, object> values, string title, CancellationToken cancellationToken)
    {
        using var progress = CommandConsole.ForCommand(title, onError: true);
        progress.Start();
        var results = Console.Out;
        var aboveView = progress.Interactive && !Console.IsOutputRedirected ? progress.Writer() : null;
        if (aboveView is not null) Console.SetOut(aboveView);
        try
        {
            var exitCode = await run(new PluginCommandInput(values) { Progress = progress }, cancellationToken);
            progress.Finish(completed: exitCode == 0 && !cancellationToken.IsCancellationRequested);
            return exitCode;
        }
        catch (Exception)
        {
            // Its last stage ends as stopped before the error is printed.
            progress.Finish(completed: false);
            throw;
        }
        finally
        {
            if (aboveView is not null)
            {
                Console.SetOut(results);
                aboveView.Dispose();
            }
        }
    }

    private static (Option Symbol, Func<ParseResult, object?> Read) Option(LoadedPlugin plugin, PluginCommand command, PluginOption option)
    {
        if (option.Type == typeof(bool))
        {
            var flag = new Option<bool>(option.Name) { Description = option.Description, Required = option.Required };
            return (flag, result => result.GetValue(flag) ? true : null);
        }
        return option.Type switch
        {
            _ when option.Type == typeof(string) => Valued<string>(),
            _ when option.Type == typeof(int) => Valued<int>(),
            _ when option.Type == typeof(double) => Valued<double>(),
            _ => throw Unsupported(plugin, command, option.Name, option.Type),
        };

        (Option, Func<ParseResult, object?>) Valued<T>()
        {
            var symbol = new Option<T>(option.Name) { Description = option.Description, Required = option.Required, HelpName = option.ValueName };
            return (symbol, result => result.GetResult(symbol) is { Implicit: false } ? result.GetValue(symbol) : null);
        }
    }

    private static (Argument Symbol, Func<ParseResult, object?> Read) Argument(LoadedPlugin plugin, PluginCommand command, PluginArgument argument)
    {
        return argument.Type switch
        {
            _ when argument.Type == typeof(string) => Positional<string>(),
            _ when argument.Type == typeof(int) => Positional<int>(),
            _ when argument.Type == typeof(double) => Positional<double>(),
            _ => throw Unsupported(plugin, command, argument.Name, argument.Type),
        };

        (Argument, Func<ParseResult, object?>) Positional<T>()
        {
            var symbol = new Argument<T>(argument.Name)
            {
                Description = argument.Description,
                Arity = argument.Optional ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne,
            };
            return (symbol, result => result.GetResult(symbol) is { Tokens.Count: > 0 } ? result.GetValue(symbol) : null);
        }
    }

    private static PluginFailureException Unsupported(LoadedPlugin plugin, PluginCommand command, string name, Type type) =>
        new($"plugin '{plugin.Name}' ({plugin.SourcePath}), command '{command.Name}': {name} is of type {type.Name}; " +
            "plugin commands take string, int, double or (for options) bool.", new NotSupportedException(type.FullName));
}
