using System.CommandLine;
using System.CommandLine.Invocation;
using Microsoft.Extensions.Logging;

namespace SemiNas.Host.Cli;

/// <summary>
/// The `seminas` command line: one class per command, wired up here. Plugins add their own commands
/// (<see cref="PluginCommandDispatch"/>, called by Program).
/// </summary>
public static class SemiNasCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("SemiNas: semi-supervised neural architecture search with task plugins.");
        root.Options.Add(new Option<LogLevel>(VerbosityOption)
        {
            Description = "The least severe messages shown on the console: Trace, Debug, Information, Warning, Error, " +
                "Critical or None. Each trial's trial.log records Debug and above whatever this says.",
            HelpName = "level",
            DefaultValueFactory = _ => LogLevel.Information,
            Recursive = true,
        });
        root.Subcommands.Add(PluginsCommand.Create());
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(SearchCommand.Create());
        root.Subcommands.Add(WorkerCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(ExperimentsCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(DescribeCommand.Create());
        root.Subcommands.Add(PlotCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(DashboardCommand.Create());
        root.Subcommands.Add(BenchmarkCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(TrainCommand.CreateTrain());
        root.Subcommands.Add(TrainCommand.CreateEval());
        return root;
    }

    /// <summary>Runs what <paramref name="parsed"/> names; bad input exits with 2 everywhere, as a bad configuration does
    /// (System.CommandLine's own code for it is 1).</summary>
    public static async Task<int> InvokeAsync(ParseResult parsed)
    {
        int exitCode;
        if (parsed.Action is AsynchronousCommandLineAction)
        {
            // Ctrl-C and SIGTERM cancel the command's token from before the command starts (TerminationSignals says why
            // System.CommandLine's handling, which starts later, is off). The command then has 5 minutes to return:
            // System.CommandLine's 2 s default killed searches still starting up or training their controller before they
            // could record "interrupted" and release the store; they all stop at the next checkpoint of their own.
            using var signals = new TerminationSignals(TimeSpan.FromMinutes(5));
            var invocation = parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, signals.Token);
            exitCode = await await Task.WhenAny(invocation, signals.Forced);
        }
        else
        {
            // Help, parse errors and the quick synchronous commands take no token: the signals keep their default, ending them.
            exitCode = await parsed.InvokeAsync();
        }
        return parsed.Action is ParseErrorAction ? CommonOptions.ExitConfigError : exitCode;
    }

    /// <summary>The <c>--verbosity</c> given, or Information when none was or the command line does not parse.</summary>
    public static LogLevel Verbosity(ParseResult result) =>
        result.Errors.Count == 0 ? result.GetValue<LogLevel>(VerbosityOption) : LogLevel.Information;

    private const string VerbosityOption = "--verbosity";
}
