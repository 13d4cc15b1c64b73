using System.CommandLine;
using SemiNas.Dashboard;

namespace SemiNas.Host.Cli;

/// <summary>`seminas dashboard`: a local web page that follows running searches, until Ctrl-C.</summary>
internal static class DashboardCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("stores")
        {
            Description = "Experiment stores (.sqlite) to show, read-only; benchmark summary.json files too.",
            Arity = ArgumentArity.OneOrMore,
        };
        var port = new Option<int>("--port") { Description = "TCP port (0: any free one).", DefaultValueFactory = _ => 8050 };
        var bind = new Option<string>("--bind")
        {
            Description = "IP address to listen on. Anything but localhost (e.g. 0.0.0.0) requires a token.",
            DefaultValueFactory = _ => "localhost",
        };
        var token = new Option<string?>("--token")
        {
            Description = "Token every request must carry (?token=…); generated and printed when --bind is not localhost and none is given.",
        };
        var poll = new Option<double>("--poll") { Description = "Seconds between the page's updates.", DefaultValueFactory = _ => 1.0 };
        var command = new Command("dashboard", "Serves a live web page of the stores: progress, running trials, charts and every trial, updated while searches run.")
        {
            inputs, port, bind, token, poll,
        };
        command.SetAction((result, cancellationToken) => CommonOptions.Guard(async () =>
        {
            var options = new DashboardOptions(result.GetValue(inputs)!, result.GetValue(bind)!, result.GetValue(port), result.GetValue(token),
                result.GetValue(poll));
            await using var server = await DashboardServer.StartAsync(options, cancellationToken);
            if (server.TokenGenerated) Console.WriteLine($"Generated the access token {server.Token} (every request needs it).");
            Console.WriteLine($"Dashboard at {server.Url} (Ctrl-C to stop).");
            try
            {
                await server.WaitForShutdownAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C: stop serving.
            }
            return CommonOptions.ExitOk;
        }));
        return command;
    }
}
