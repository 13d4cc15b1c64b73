using System.CommandLine;
using System.Text.Json;
using SemiNas.Host.Configuration;
using SemiNas.Host.Reporting;

namespace SemiNas.Host.Cli;

internal static class PluginsCommand
{
    public static Command Create()
    {
        var json = CommonOptions.Json();
        var plugins = CommonOptions.PluginPaths();
        var command = new Command("plugins", "Lists the task plugins and search strategies with their options; reports plugins that failed to load.")
        {
            json, plugins,
        };
        command.SetAction(result => CommonOptions.Guard(() =>
        {
            var catalog = Plugins.PluginCatalog.Discover((result.GetValue(plugins) ?? []).Select(Path.GetFullPath));
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    plugins = catalog.Plugins.Select(p => new
                    {
                        name = p.Name,
                        version = p.Version.ToString(),
                        description = p.Plugin.Description,
                        contractVersion = p.Plugin.ContractVersion,
                        path = p.SourcePath,
                        options = OptionsDocumentation.Describe(p.Plugin.OptionsType),
                        commands = PluginCommandDispatch.All(catalog).Where(c => c.Plugin == p).Select(c => new { name = c.Command.Name, description = c.Command.Description }),
                    }),
                    strategies = catalog.Strategies.Select(s => new
                    {
                        name = s.Name,
                        description = s.Description,
                        path = s.SourcePath,
                        options = OptionsDocumentation.Describe(s.Factory.OptionsType),
                    }),
                    errors = catalog.Errors.Select(e => new { name = e.Name, path = e.Path, reason = e.Reason }),
                }, JsonOutput.Options));
            }
            else
            {
                Console.WriteLine("Task plugins:");
                foreach (var p in catalog.Plugins)
                {
                    Console.WriteLine($"  {p.Name} {p.Version} ({p.SourcePath})");
                    Console.WriteLine($"    {p.Plugin.Description}");
                    PrintOptions("task.options", OptionsDocumentation.Describe(p.Plugin.OptionsType));
                    foreach (var (_, c) in PluginCommandDispatch.All(catalog).Where(c => c.Plugin == p))
                        Console.WriteLine($"    command: seminas {c.Name} … — {c.Description}");
                }
                Console.WriteLine("Search strategies:");
                foreach (var s in catalog.Strategies)
                {
                    Console.WriteLine($"  {s.Name} ({s.SourcePath})");
                    Console.WriteLine($"    {s.Description}");
                    PrintOptions("search.options", OptionsDocumentation.Describe(s.Factory.OptionsType));
                }
                foreach (var error in catalog.Errors) Console.Error.WriteLine($"error: plugin {error}");
            }
            return catalog.Errors.Count == 0 ? CommonOptions.ExitOk : CommonOptions.ExitError;
        }));
        return command;
    }

    private static void PrintOptions(string section, IReadOnlyList<OptionDoc> options)
    {
        if (options.Count == 0) return;
        Console.WriteLine($"    {section}:");
        foreach (var o in options)
        {
            var details = string.Join(", ", new[] { o.Type, o.Default is null ? null : $"default {o.Default}", o.Range, o.Required ? "required" : null }
                .Where(d => !string.IsNullOrEmpty(d)));
            Console.WriteLine($"      {o.KeyPath} ({details}): {o.Description}");
        }
    }
}
