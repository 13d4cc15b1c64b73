using System.CommandLine;
using SemiNas.Host.Cli;
using SemiNas.Host.Plugins;

using var logging = HostLogging.Start();

var root = SemiNasCommandLine.Build();
if (PluginCommandDispatch.Find(root, args) is { } pluginCommand)
    return await PluginCommandDispatch.RunAsync(pluginCommand, args[1..]);
// Ctrl-C and SIGTERM cancel the command's token. System.CommandLine would end the process 2 s later if the command
// had not returned, which killed searches still starting up or training their controller, before they could record
// "interrupted" and release the store; they all stop at the next checkpoint of their own, so give them time.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(5) });
