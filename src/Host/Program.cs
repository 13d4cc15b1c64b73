using SemiNas.Host.Cli;
using SemiNas.Host.Plugins;

using var logging = HostLogging.Start();

var root = SemiNasCommandLine.Build();
if (PluginCommandDispatch.Find(root, args) is { } pluginCommand)
    return await PluginCommandDispatch.RunAsync(pluginCommand, args[1..]);
return await root.Parse(args).InvokeAsync();
