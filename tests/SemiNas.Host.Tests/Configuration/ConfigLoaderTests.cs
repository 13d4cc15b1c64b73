using SemiNas.Host.Configuration;
using YamlDotNet.RepresentationModel;

namespace SemiNas.Host.Tests.Configuration;

public sealed class ConfigLoaderTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("seminas-config-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private string Write(string yaml, string name = "experiment.yaml")
    {
        var path = Path.Combine(_temp, name);
        File.WriteAllText(path, yaml.ReplaceLineEndings("\n"));
        return path;
    }

    private ConfigException LoadFails(string yaml) => Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write(yaml)));

    private static ConfigError ErrorAt(ConfigException e, string keyPath) => Assert.Single(e.Errors, x => x.KeyPath == keyPath);

    private const string Minimal = """
        schemaVersion: 1
        name: tiny
        task:
          plugin: nasbench201
        search:
          budget: 10
        """;

    [Fact]
    public void A_complete_file_binds_every_section()
    {
        var path = Write("""
            schemaVersion: 1
            name: nb201-random.v1
            description: A first try
            seed: 7
            task:
              plugin: nasbench201
              options:
                dataset: cifar100
            search:
              strategy: random
              budget: 1_000
            constraints:
              flops: {max: 600e6}
              params: {min: 0.5, max: 1.5}
            execution:
              workers: 4
              device: CPU
              trialTimeoutSeconds: 90
              maxAttempts: 5
            storage:
              path: out/nb201.sqlite
            pluginPaths: [extra, ../more]
            """);

        var loaded = ConfigLoader.Load(path);
        var config = loaded.Config;

        Assert.Equal(Path.GetFullPath(path), loaded.FullPath);
        Assert.Equal(_temp, loaded.Directory);
        Assert.Contains("nb201-random.v1", loaded.Text);
        Assert.Equal("nb201-random.v1", config.Name);
        Assert.Equal("A first try", config.Description);
        Assert.Equal(7, config.Seed);
        Assert.Equal("nasbench201", config.Task.Plugin);
        Assert.Equal(1000, config.Search.Budget);
        Assert.Equal(6e8, config.Constraints["flops"].Max);
        Assert.Null(config.Constraints["flops"].Min);
        Assert.Equal(0.5, config.Constraints["params"].Min);
        Assert.Equal(4, config.Execution.Workers);
        Assert.Equal(DeviceKind.Cpu, config.Execution.Device);
        Assert.Equal(90, config.Execution.TrialTimeoutSeconds);
        Assert.Equal(5, config.Execution.MaxAttempts);
        Assert.Equal("out/nb201.sqlite", config.Storage.Path);
        Assert.Equal(["extra", "../more"], config.PluginPaths);
    }

    [Fact]
    public void Flow_style_constraint_in_exponent_form_binds_to_a_double()
    {
        var config = ConfigLoader.Load(Write(Minimal + "\nconstraints: {flops: {max: 600e6}}\n")).Config;

        Assert.Equal(600_000_000d, config.Constraints["flops"].Max);
    }

    [Fact]
    public void Defaults_apply_when_sections_are_absent()
    {
        var config = ConfigLoader.Load(Write(Minimal)).Config;

        Assert.Null(config.Description);
        Assert.Equal(0, config.Seed);
        Assert.Null(config.Task.Options);
        Assert.Equal("random", config.Search.Strategy);
        Assert.Null(config.Search.Options);
        Assert.Empty(config.Constraints);
        Assert.Equal(1, config.Execution.Workers);
        Assert.Equal(DeviceKind.Auto, config.Execution.Device);
        Assert.Null(config.Execution.TrialTimeoutSeconds);
        Assert.Null(config.Storage.Path);
        Assert.Empty(config.PluginPaths);
    }

    [Fact]
    public void An_empty_section_means_its_defaults()
    {
        var config = ConfigLoader.Load(Write(Minimal + "\nexecution:\nconstraints:\n")).Config;

        Assert.Equal(1, config.Execution.Workers);
        Assert.Empty(config.Constraints);
    }

    [Fact]
    public void Misspelt_top_level_key_points_at_the_key_and_suggests_the_right_one()
    {
        var e = LoadFails("""
            schemaVersion: 1
            name: tiny
            task:
              plugin: nasbench201
            serach:
              budget: 10
            """);

        var error = ErrorAt(e, "serach");
        Assert.Equal((5, 1), (error.Line, error.Column));
        Assert.Contains("did you mean 'search'?", error.Message);
        Assert.Contains("experiment.yaml:5:1: serach: unknown key; did you mean 'search'?", e.Message);
    }

    [Fact]
    public void Misspelt_nested_key_has_its_full_key_path_line_and_column()
    {
        var e = LoadFails("""
            schemaVersion: 1
            name: tiny
            task:
              plugin: nasbench201
            search:
              strategy: random
              budjet: 10
            """);

        var error = ErrorAt(e, "search.budjet");
        Assert.Equal((7, 3), (error.Line, error.Column));
        Assert.Equal("unknown key; did you mean 'budget'?", error.Message);
        Assert.EndsWith("experiment.yaml", error.File);
    }

    [Fact]
    public void Unknown_key_without_a_close_match_lists_the_valid_keys()
    {
        var e = LoadFails(Minimal + "\nexecution:\n  colour: blue\n");

        Assert.Equal("unknown key; valid keys here: workers, device, threads, trialTimeoutSeconds, maxAttempts, isolation, devices, feedWorkers", ErrorAt(e, "execution.colour").Message);
    }

    [Fact]
    public void Wrong_type_names_what_was_expected_and_what_was_found()
    {
        var e = LoadFails(Minimal + "\nseed: abc\nconstraints: {flops: {max: lots}}\n");

        var seed = ErrorAt(e, "seed");
        Assert.Equal("expected a whole number, got 'abc'", seed.Message);
        Assert.Equal((7, 7), (seed.Line, seed.Column));
        var max = ErrorAt(e, "constraints.flops.max");
        Assert.Equal("expected a number, got 'lots'", max.Message);
        Assert.Equal((8, 28), (max.Line, max.Column));
    }

    [Fact]
    public void A_mapping_where_a_value_is_expected_and_a_value_where_a_mapping_is_expected_are_errors()
    {
        var e = LoadFails(Minimal.Replace("name: tiny", "name: {first: tiny}") + "\nexecution: fast\n");

        Assert.Equal("expected a string, got a mapping", ErrorAt(e, "name").Message);
        Assert.Equal("expected a mapping, got 'fast'", ErrorAt(e, "execution").Message);
    }

    [Fact]
    public void A_list_item_of_the_wrong_kind_is_located_by_its_index()
    {
        var e = LoadFails(Minimal + "\npluginPaths:\n  - a\n  - b\n  - {c: 1}\n");

        var error = ErrorAt(e, "pluginPaths[2]");
        Assert.Equal((10, 5), (error.Line, error.Column));
        Assert.Equal("expected a string, got a mapping", error.Message);
    }

    [Fact]
    public void An_empty_value_for_a_number_is_an_error()
    {
        var e = LoadFails(Minimal + "\nseed:\n");

        Assert.Equal("expected a whole number, got nothing", ErrorAt(e, "seed").Message);
    }

    [Fact]
    public void Bad_enum_value_lists_the_allowed_values()
    {
        var e = LoadFails(Minimal + "\nexecution:\n  device: gpu\n");

        var error = ErrorAt(e, "execution.device");
        Assert.Equal("expected one of auto|cpu|cuda, got 'gpu'", error.Message);
        Assert.Equal((8, 11), (error.Line, error.Column));
    }

    [Fact]
    public void Missing_task_plugin_points_at_the_task_section()
    {
        var e = LoadFails("""
            schemaVersion: 1
            name: tiny
            task:
              options:
                dataset: cifar100
            search:
              budget: 10
            """);

        var error = Assert.Single(e.Errors);
        Assert.Equal("task.plugin", error.KeyPath);
        Assert.Equal("required key is missing", error.Message);
        Assert.Equal((4, 3), (error.Line, error.Column));
    }

    [Fact]
    public void Missing_required_sections_are_all_reported_at_the_top_of_the_file()
    {
        var e = LoadFails("schemaVersion: 1\n");

        Assert.Equal(["name", "task", "search"], e.Errors.Select(x => x.KeyPath));
        Assert.All(e.Errors, x => Assert.Equal((1, 1), (x.Line, x.Column)));
    }

    [Fact]
    public void Validation_attributes_point_at_the_offending_value()
    {
        var e = LoadFails(Minimal.Replace("name: tiny", "name: my experiment") + "\nexecution:\n  workers: -1\n");

        var workers = ErrorAt(e, "execution.workers");
        Assert.Equal((8, 12), (workers.Line, workers.Column));
        Assert.Contains("between 0 and 1024", workers.Message);
        var name = ErrorAt(e, "name");
        Assert.Equal((2, 7), (name.Line, name.Column));
        Assert.Contains("regular expression", name.Message);
    }

    [Fact]
    public void Unsupported_schema_version_is_refused_with_a_clear_message()
    {
        var e = LoadFails(Minimal.Replace("schemaVersion: 1", "schemaVersion: 2") + "\nsomethingNew: true\n");

        var error = Assert.Single(e.Errors);
        Assert.Equal("unsupported schemaVersion 2; this seminas reads 1", error.Message);
        Assert.Equal(("schemaVersion", 1, 16), (error.KeyPath, error.Line, error.Column));
    }

    [Fact]
    public void Yaml_syntax_error_reports_its_line()
    {
        var e = LoadFails("""
            schemaVersion: 1
            name: tiny
            task:
              plugin: nasbench201
             search: {}
            """);

        Assert.Equal(5, e.Line);
        Assert.StartsWith("invalid YAML: ", Assert.Single(e.Errors).Message);
        Assert.StartsWith(Path.Combine(_temp, "experiment.yaml") + ":5:", e.Message);
    }

    [Fact]
    public void Unclosed_bracket_is_a_syntax_error_not_a_crash()
    {
        var e = LoadFails(Minimal + "\npluginPaths: [a, b\nseed: 1\n");

        Assert.StartsWith("invalid YAML", Assert.Single(e.Errors).Message);
        Assert.True(e.Line >= 7);
    }

    [Fact]
    public void Duplicate_keys_are_reported_together_with_the_other_errors()
    {
        var e = LoadFails("""
            schemaVersion: 1
            name: tiny
            task:
              plugin: nasbench201
            search:
              budget: 10
              budget: 20
            seed: x
            """);

        var duplicate = ErrorAt(e, "search.budget");
        Assert.Equal((7, 3), (duplicate.Line, duplicate.Column));
        Assert.Equal("duplicate key 'budget' (first set on line 6)", duplicate.Message);
        Assert.Single(e.Errors, x => x.KeyPath == "seed");
        var lines = e.Message.Split(Environment.NewLine);
        Assert.Equal(2, lines.Length);
        Assert.EndsWith(":7:3: search.budget: duplicate key 'budget' (first set on line 6)", lines[0]);
        Assert.EndsWith(":8:7: seed: expected a whole number, got 'x'", lines[1]);
    }

    [Fact]
    public void Missing_file_names_the_file()
    {
        var path = Path.Combine(_temp, "nope.yaml");

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path));

        Assert.Equal(path, e.File);
        Assert.Equal(0, e.Line);
        Assert.Equal($"{path}: configuration file not found ({path})", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# nothing yet\n")]
    public void Empty_file_is_an_error(string text)
    {
        var e = LoadFails(text);

        Assert.Contains("the file is empty", e.Message);
        Assert.Equal((1, 1), (e.Line, e.Column));
    }

    [Fact]
    public void A_list_at_the_top_level_is_an_error()
    {
        var e = LoadFails("- schemaVersion: 1\n");

        Assert.Contains("the top level must be a mapping", e.Message);
    }

    [Fact]
    public void Plugin_options_stay_raw_with_their_marks_and_bind_later_with_their_key_path()
    {
        var path = Write("""
            schemaVersion: 1
            name: tiny
            task:
              plugin: nasbench201
              options:
                dataset: imagenet16-120
                epochs: 12
                nested: {flag: true}
            search:
              budget: 10
              options:
                anything: [1, 2]
            """);

        var loaded = ConfigLoader.Load(path);
        var options = loaded.Config.Task.Options;

        Assert.NotNull(options);
        Assert.Equal((6, 5), ((int)options.Start.Line, (int)options.Start.Column));
        Assert.IsType<YamlSequenceNode>(loaded.Config.Search.Options!.Children.Single().Value);
        var bound = YamlBinder.Bind<TestOptions>(options, loaded.DisplayPath, "task.options");
        Assert.Equal(TestDataset.ImageNet16_120, bound.Dataset);
        Assert.Equal(12, bound.Epochs);
        Assert.True(bound.Nested.Flag);
    }

    [Fact]
    public void Plugin_option_errors_carry_the_file_position_and_the_full_key_path()
    {
        var path = Write("""
            schemaVersion: 1
            name: tiny
            task:
              plugin: nasbench201
              options:
                dataset: imagenet
                epochs: 13
            search:
              budget: 10
            """);
        var loaded = ConfigLoader.Load(path);

        var e = Assert.Throws<ConfigException>(() =>
            YamlBinder.Bind(typeof(TestOptions), loaded.Config.Task.Options, loaded.DisplayPath, "task.options"));

        var error = Assert.Single(e.Errors);
        Assert.Equal($"{path}:6:14: task.options.dataset: expected one of cifar10-valid|cifar100|imagenet16-120, got 'imagenet'", e.Message);
        Assert.Equal("task.options.dataset", error.KeyPath);
    }
}
