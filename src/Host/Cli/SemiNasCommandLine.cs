using System.CommandLine;

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
}
