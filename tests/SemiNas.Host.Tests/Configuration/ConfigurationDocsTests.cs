using SemiNas.Host.Configuration;
using SemiNas.Host.Plugins;

namespace SemiNas.Host.Tests.Configuration;

public sealed class ConfigurationDocsTests
{
    private static string Docs() => File.ReadAllText(Path.Combine(Repository.Root, "docs", "configuration.md"));

    [Fact]
    public void Every_experiment_key_is_documented()
    {
        var docs = Docs();

        var missing = OptionsDocumentation.Describe(typeof(ExperimentConfig))
            .Select(e => e.KeyPath)
            .Where(path => !docs.Contains($"`{path}`", StringComparison.Ordinal))
            .ToList();

        Assert.True(missing.Count == 0, $"docs/configuration.md does not mention: {string.Join(", ", missing)}");
    }

    // The strategies a plain `seminas` finds, discovered as a search would: the host's own and those of the bundled
    // plugins. A strategy from an extra plugin folder is documented by its plugin.
    [Fact]
    public void Every_strategy_and_each_of_its_options_is_documented_in_its_own_section()
    {
        var docs = Docs().ReplaceLineEndings("\n");
        var strategies = PluginCatalog.Discover([]).Strategies;
        Assert.Contains(strategies, s => s.Name == "seminas");
        foreach (var strategy in strategies)
        {
            var heading = $"#### `{strategy.Name}`\n";
            var start = docs.IndexOf(heading, StringComparison.Ordinal);
            Assert.True(start >= 0, $"docs/configuration.md has no section {heading.Trim()}");
            var end = docs.IndexOf("\n#", start + heading.Length, StringComparison.Ordinal);
            var section = docs[start..(end < 0 ? docs.Length : end)];
            var missing = OptionsDocumentation.Describe(strategy.Factory.OptionsType).Select(o => o.KeyPath)
                .Where(key => !section.Contains($"`{key}`", StringComparison.Ordinal)).ToList();
            Assert.True(missing.Count == 0, $"the `{strategy.Name}` section does not mention: {string.Join(", ", missing)}");
        }
    }

    [Fact]
    public void The_complete_example_in_the_docs_loads()
    {
        var docs = Docs();
        const string start = "<!-- complete-example -->\n```yaml\n";
        var from = docs.ReplaceLineEndings("\n").IndexOf(start, StringComparison.Ordinal);
        Assert.True(from >= 0, "docs/configuration.md has no marked complete example");
        var text = docs.ReplaceLineEndings("\n")[(from + start.Length)..];
        var yaml = text[..text.IndexOf("```", StringComparison.Ordinal)];

        var config = ConfigLoader.Parse(yaml, "configuration.md");

        Assert.Equal("nasbench201", config.Task.Plugin);
        Assert.NotNull(config.Task.Options);
    }
}
