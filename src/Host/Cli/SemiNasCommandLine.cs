using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace SemiNas.Host.Cli;

/// <summary>
/// The `seminas` command line: one class per command, wired up here. Plugins add their own commands
/// (<see cref="PluginCommandDispatch"/>).
/// </summary>
public static class SemiNasCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("SemiNas: semi-supervised neural architecture search with task plugins.");
        root.Options.Add(new Option<LogLevel>(VerbosityOption)
        {
            Description = "The least severe messages of plugins and the host shown on the console: Trace, Debug, Information, " +
                "Warning, Error, Critical or None. Each trial's log file records Debug and above whatever this says.",
            DefaultValueFactory = _ => LogLevel.Information,
            Recursive = true,
        });
        root.Subcommands.Add(PluginsCommand.Create());
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(SearchCommand.Create());
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

    /// <summary>The <c>--verbosity</c> given, or Information when none was or the command line does not parse.</summary>
    public static LogLevel Verbosity(ParseResult result) =>
        result.Errors.Count == 0 ? result.GetValue<LogLevel>(VerbosityOption) : LogLevel.Information;

    private const string VerbosityOption = "--verbosity";
}
