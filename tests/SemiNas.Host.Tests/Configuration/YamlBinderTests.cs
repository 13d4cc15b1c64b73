using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SemiNas.Host.Configuration;
using YamlDotNet.RepresentationModel;

namespace SemiNas.Host.Tests.Configuration;

public enum TestDataset
{
    Cifar10Valid,
    Cifar100,
    ImageNet16_120,
}

/// <summary>Stands in for a plugin's options class.</summary>
public sealed class TestOptions : IValidatableObject
{
    [Description("Which benchmark table to read.")]
    public TestDataset Dataset { get; set; } = TestDataset.Cifar10Valid;

    [Range(1, 200), Description("Training epochs.")]
    public int Epochs { get; set; } = 200;

    public double? Temperature { get; set; }

    public TestNested Nested { get; set; } = new();

    public List<int> Sizes { get; set; } = [];

    public Dictionary<string, TestNested> Named { get; set; } = new();

    public YamlNode? Extra { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Epochs == 13)
        {
            yield return new ValidationResult("13 epochs bring bad luck", [nameof(Epochs)]);
        }

        if (Temperature < 0 && Sizes.Count > 0)
        {
            yield return new ValidationResult("a negative temperature needs an empty size list");
        }
    }
}

public sealed class TestNested
{
    [Description("Turns it on.")]
    public bool Flag { get; set; }

    [Range(0.0, 1.0)]
    public double Ratio { get; set; } = 0.5;
}

public sealed class RequiredOptions
{
    [Required]
    public string? Path { get; set; }
}

public sealed class NoOptions;

public sealed class UnsupportedOptions
{
    public IReadOnlyList<int> Values { get; set; } = [];
}

public sealed class YamlBinderTests
{
    private const string File = "options.yaml";

    private static YamlNode Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml.ReplaceLineEndings("\n")));
        return stream.Documents[0].RootNode;
    }

    private static ConfigException BindFails(string yaml, Type? type = null) =>
        Assert.Throws<ConfigException>(() => YamlBinder.Bind(type ?? typeof(TestOptions), Parse(yaml), File, "task.options"));

    [Fact]
    public void Binds_every_supported_shape()
    {
        var options = YamlBinder.Bind<TestOptions>(Parse("""
            dataset: CIFAR_100
            epochs: 12
            temperature: .5
            nested: {flag: TRUE, ratio: 0.25}
            sizes: [1, 0x10, 1e3]
            named:
              a: {flag: true}
              b:
            extra: {kept: [as, is]}
            """), File, "task.options");

        Assert.Equal(TestDataset.Cifar100, options.Dataset);
        Assert.Equal(12, options.Epochs);
        Assert.Equal(0.5, options.Temperature);
        Assert.True(options.Nested.Flag);
        Assert.Equal(0.25, options.Nested.Ratio);
        Assert.Equal([1, 16, 1000], options.Sizes);
        Assert.True(options.Named["a"].Flag);
        Assert.Equal(0.5, options.Named["b"].Ratio);
        var extra = Assert.IsType<YamlMappingNode>(options.Extra);
        Assert.Equal(9, extra.Start.Line);
    }

    [Fact]
    public void Null_node_gives_validated_defaults()
    {
        var options = YamlBinder.Bind<TestOptions>(null, File, "task.options");

        Assert.Equal(TestDataset.Cifar10Valid, options.Dataset);
        Assert.Equal(200, options.Epochs);
        Assert.Null(options.Temperature);

        var e = Assert.Throws<ConfigException>(() => YamlBinder.Bind(typeof(RequiredOptions), null, File, "search.options"));
        Assert.Equal("options.yaml: search.options.path: required key is missing", e.Message);
    }

    [Fact]
    public void Enum_error_lists_values_in_the_form_users_write_them()
    {
        var e = BindFails("dataset: imagenet\n");

        Assert.Equal("options.yaml:1:10: task.options.dataset: expected one of cifar10-valid|cifar100|imagenet16-120, got 'imagenet'", e.Message);
    }

    [Fact]
    public void Whole_numbers_refuse_fractions_and_overflow()
    {
        var e = BindFails("epochs: 1.5\nsizes: [3000000000]\n");

        Assert.Equal("expected a whole number, got '1.5'", Assert.Single(e.Errors, x => x.KeyPath == "task.options.epochs").Message);
        Assert.StartsWith("'3000000000' is out of range", Assert.Single(e.Errors, x => x.KeyPath == "task.options.sizes[0]").Message);
    }

    [Fact]
    public void Range_and_validatable_object_errors_point_at_the_member()
    {
        var range = BindFails("nested:\n  ratio: 2\n");
        var rangeError = Assert.Single(range.Errors);
        Assert.Equal(("task.options.nested.ratio", 2, 10), (rangeError.KeyPath, rangeError.Line, rangeError.Column));
        Assert.Contains("between 0 and 1", rangeError.Message);

        var member = Assert.Single(BindFails("dataset: cifar100\nepochs: 13\n").Errors);
        Assert.Equal(("task.options.epochs", 2, 9, "13 epochs bring bad luck"), (member.KeyPath, member.Line, member.Column, member.Message));

        var whole = Assert.Single(BindFails("temperature: -1\nsizes: [1]\n").Errors);
        Assert.Equal(("task.options", 1, 1), (whole.KeyPath, whole.Line, whole.Column));
    }

    [Fact]
    public void Options_given_as_a_value_instead_of_a_mapping_are_an_error()
    {
        var e = Assert.Throws<ConfigException>(() => YamlBinder.Bind(typeof(TestOptions), Parse("x: fast").AllNodes.Last(), File, "task.options"));

        Assert.Equal("options.yaml:1:4: task.options: expected a mapping of options, got 'fast'", e.Message);
    }

    [Fact]
    public void Every_error_of_a_node_is_reported_one_per_line_in_file_order()
    {
        var e = BindFails("nested: {flag: maybe}\nepochs: many\ndatset: cifar100\n");

        Assert.Equal(
            [
                "options.yaml:1:16: task.options.nested.flag: expected true or false, got 'maybe'",
                "options.yaml:2:9: task.options.epochs: expected a whole number, got 'many'",
                "options.yaml:3:1: task.options.datset: unknown key; did you mean 'dataset'?",
            ],
            e.Message.Split(Environment.NewLine));
        Assert.Equal(("task.options.nested.flag", 1, 16), (e.KeyPath, e.Line, e.Column));
    }

    [Fact]
    public void A_section_without_options_refuses_any_key()
    {
        var e = BindFails("temperature: 3\n", typeof(NoOptions));

        Assert.Equal("options.yaml:1:1: task.options.temperature: unknown key; this section takes no keys", e.Message);
        Assert.IsType<NoOptions>(YamlBinder.Bind(typeof(NoOptions), Parse("{}"), File, "search.options"));
    }

    [Fact]
    public void An_options_class_with_an_unsupported_type_is_a_programming_error()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            YamlBinder.Bind(typeof(UnsupportedOptions), Parse("values: [1]\n"), File, "task.options"));

        Assert.Contains("task.options.values", e.Message);
    }
}
