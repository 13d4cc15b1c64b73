using System.CommandLine;
using SemiNas.Contracts;
using SemiNas.Host.Configuration;
using SemiNas.Host.Plugins;
using SemiNas.Storage;

namespace SemiNas.Host.Cli;

/// <summary>Options and error handling shared by the commands.</summary>
internal static class CommonOptions
{
    public const int ExitOk = 0;
    public const int ExitError = 1;
    public const int ExitConfigError = 2;
    public const int ExitInterrupted = 130;

    public static Option<string[]> PluginPaths() => new("--plugins")
    {
        Description = "Extra plugin folder or plugin .dll (repeatable); the plugins folder beside seminas is always searched.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<bool> Json() => new("--json") { Description = "Print JSON instead of text." };

    public static Argument<string> Config() => new("config") { Description = "Experiment YAML file." };

    public static Argument<string> Store() => new("store") { Description = "Experiment store (.sqlite file)." };

    public static Option<string?> Experiment() => new("--experiment")
    {
        Description = "Experiment name inside the store (default: the only one, or the latest).",
    };

    public static Option<string?> Arch(string purpose) => new("--arch")
    {
        Description = $"{purpose}, as tokens (e.g. \"4 4 2 4 1 4\") or in the search space's own notation where it has one.",
    };

    /// <summary>Reads an architecture as tokens or, when that fails and the space has one, in the space's notation.</summary>
    public static Architecture ParseArchitecture(ISearchSpace space, string text)
    {
        try
        {
            return Architecture.Parse(text);
        }
        catch (FormatException tokens)
        {
            if (space is not IArchitectureNotation notation) throw new FormatException($"--arch '{text}': {tokens.Message}");
            try
            {
                return notation.ParseNotation(text);
            }
            catch (FormatException e)
            {
                throw new FormatException($"--arch '{text}' is neither tokens ({tokens.Message}) nor the space's notation ({e.Message}).");
            }
        }
    }

    public static PluginCatalog LoadPlugins(IEnumerable<string> cliPaths, LoadedConfig? config = null)
    {
        var paths = cliPaths.Select(Path.GetFullPath).ToList();
        if (config is not null) paths.AddRange(config.Config.PluginPaths.Select(p => Path.GetFullPath(Path.Combine(config.Directory, p))));
        var catalog = PluginCatalog.Discover(paths);
        foreach (var error in catalog.Errors) Console.Error.WriteLine($"warning: plugin {error}");
        return catalog;
    }

    /// <summary>Runs a command body, turning the errors a user can cause into a message and an exit code.</summary>
    public static async Task<int> Guard(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (ConfigException e)
        {
            foreach (var error in e.Errors) Console.Error.WriteLine($"error: {error}");
            return ExitConfigError;
        }
        catch (OperationCanceledException) when (TerminationSignals.Received)
        {
            // Ctrl-C or SIGTERM before the command reached a point where it stops by itself (loading plugins, preparing data).
            Console.Error.WriteLine("Interrupted.");
            return ExitInterrupted;
        }
        catch (Exception e)
        {
            // Plain messages for users; the stack trace only when asked for, since it rarely helps them.
            var debug = Environment.GetEnvironmentVariable("SEMINAS_DEBUG") is "1" or "true";
            Console.Error.WriteLine($"error: {(debug ? e.ToString() : e.Message)}");
            return ExitError;
        }
    }

    public static int Guard(Func<int> body) => Guard(() => Task.FromResult(body())).GetAwaiter().GetResult();

    /// <summary>Names every store row that could not be read (the readable ones were used as usual).</summary>
    public static void WarnDamagedRows(IExperimentStore store)
    {
        foreach (var damage in store.DamagedRows) Console.Error.WriteLine($"warning: {damage}");
    }

    /// <summary>Picks the experiment a store command is about.</summary>
    public static ExperimentRecord PickExperiment(IExperimentStore store, string? name)
    {
        var experiments = store.ListExperiments();
        if (name is not null)
            return experiments.FirstOrDefault(e => e.Name == name)
                ?? throw new KeyNotFoundException($"{store.Location} has no experiment '{name}'; it has: {string.Join(", ", experiments.Select(e => e.Name))}.");
        return experiments.LastOrDefault() ?? throw new KeyNotFoundException($"{store.Location} holds no experiment yet.");
    }
}
