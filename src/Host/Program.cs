using SemiNas.Host.Cli;

var root = SemiNasCommandLine.Build();
if (PluginCommandDispatch.Find(root, args) is { } pluginCommand)
    return await PluginCommandDispatch.RunAsync(pluginCommand, args[1..]);
return await root.Parse(args).InvokeAsync();
