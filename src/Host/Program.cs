using SemiNas.Host.Cli;
using SemiNas.Host.Plugins;

var root = SemiNasCommandLine.Build();
PluginCommandDispatch.AddWhenNeeded(root, args);
var parsed = root.Parse(args);
using var logging = HostLogging.Start(SemiNasCommandLine.Verbosity(parsed));
return await SemiNasCommandLine.InvokeAsync(parsed);
