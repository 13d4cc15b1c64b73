using System.CommandLine;
using SemiNas.Host.Cli;
using SemiNas.Host.Plugins;

var root = SemiNasCommandLine.Build();
if (PluginCommandDispatch.Find(root, args) is { } pluginCommand)
{
    using var pluginLogging = HostLogging.Start();
    return await PluginCommandDispatch.RunAsync(pluginCommand, args[1..]);
}
var parsed = root.Parse(args);
using var logging = HostLogging.Start(SemiNasCommandLine.Verbosity(parsed));
// Ctrl-C and SIGTERM cancel the command's token. System.CommandLine would end the process 2 s later if the command
// had not returned, which killed searches still starting up or training their controller, before they could record
// "interrupted" and release the store; they all stop at the next checkpoint of their own, so give them time.
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(5) });
