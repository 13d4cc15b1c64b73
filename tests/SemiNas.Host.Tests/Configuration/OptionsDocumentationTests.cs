using SemiNas.Host.Configuration;

namespace SemiNas.Host.Tests.Configuration;

public sealed class OptionsDocumentationTests
{
    [Fact]
    public void Plugin_options_are_listed_with_types_defaults_ranges_and_nested_keys()
    {
        var entries = OptionsDocumentation.Describe(typeof(TestOptions)).ToDictionary(e => e.KeyPath);

        Assert.Equal(
            ["dataset", "epochs", "temperature", "nested", "nested.flag", "nested.ratio", "sizes", "named", "named.<name>.flag", "named.<name>.ratio", "extra"],
            entries.Keys);
        Assert.Equal(
            new OptionDoc("dataset", "one of cifar10-valid|cifar100|imagenet16-120", "cifar10-valid", "Which benchmark table to read.", null, false),
            entries["dataset"]);
        Assert.Equal(("int", "200", "1 to 200"), (entries["epochs"].Type, entries["epochs"].Default, entries["epochs"].Range));
        Assert.Equal(("number", null), (entries["temperature"].Type, entries["temperature"].Default));
        Assert.Equal(("bool", "false", "Turns it on."), (entries["nested.flag"].Type, entries["nested.flag"].Default, entries["nested.flag"].Description));
        Assert.Equal(("list of int", "[]"), (entries["sizes"].Type, entries["sizes"].Default));
        Assert.Equal(("map of mapping", "{}"), (entries["named"].Type, entries["named"].Default));
    }

    [Fact]
    public void Experiment_keys_are_described_recursively()
    {
        var entries = OptionsDocumentation.Describe(typeof(ExperimentConfig)).ToDictionary(e => e.KeyPath);

        Assert.True(entries["task.plugin"].Required);
        Assert.Null(entries["task.plugin"].Default);
        Assert.Equal(("random", "string"), (entries["search.strategy"].Default, entries["search.strategy"].Type));
        Assert.Equal(("one of auto|cpu|cuda", "auto"), (entries["execution.device"].Type, entries["execution.device"].Default));
        Assert.Equal("at least 0.001", entries["execution.trialTimeoutSeconds"].Range);
        Assert.Equal("number", entries["constraints.<name>.max"].Type);
        Assert.Equal(("list of string", "[]"), (entries["pluginPaths"].Type, entries["pluginPaths"].Default));
        Assert.Equal("mapping", entries["task.options"].Type);
        Assert.All(entries.Values, e => Assert.False(string.IsNullOrWhiteSpace(e.Description), $"{e.KeyPath} has no [Description]"));
    }
}
