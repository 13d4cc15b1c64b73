using System.CommandLine;
using SemiNas.Dashboard;

namespace SemiNas.Host.Cli;

/// <summary>`seminas report`: the dashboard's views as one self-contained HTML file.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "Experiment stores (.sqlite), or `seminas benchmark` outputs (a summary.json or its folder); several are compared.",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string>("--output") { Description = "HTML file to write.", Required = true };
        var command = new Command("report",
            "Writes one self-contained HTML file (charts, tables and data inlined; opens without network) for stores and benchmark summaries.")
        {
            inputs, output,
        };
        command.SetAction(result => CommonOptions.Guard(() =>
        {
            var path = result.GetValue(output)!;
            var damaged = ReportWriter.Write(result.GetValue(inputs)!, path);
            foreach (var damage in damaged) Console.Error.WriteLine($"warning: {damage}");
            Console.WriteLine($"Wrote {path}.");
            return CommonOptions.ExitOk;
        }));
        return command;
    }
}
