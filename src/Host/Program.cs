using SemiNas.Host.Cli;

return await SemiNasCommandLine.Build().Parse(args).InvokeAsync();
