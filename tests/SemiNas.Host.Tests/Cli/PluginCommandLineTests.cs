using SemiNas.Contracts;
using SemiNas.Host.Cli;

namespace SemiNas.Host.Tests.Cli;

/// <summary>Commands that plugins declare go through the host's parser: they are listed, have help, and bad input exits with 2.</summary>
public class PluginCommandLineTests
{
    [Fact]
    public async Task The_bundled_plugins_commands_are_listed_in_the_hosts_help()
    {
        var (exitCode, output, error) = await SeminasProcess.RunAsync(Path.GetTempPath(), "--help");
        Assert.True(exitCode == 0, error);
        Assert.Matches(@"\n\s+tts\s+Text to speech", output);
        Assert.Matches(@"\n\s+image\s+Image-classification tools", output);
        Assert.Matches(@"\n\s+search <config>", output);
    }

    [Fact]
    public async Task A_plugin_subcommand_has_help_with_its_options()
    {
        var (exitCode, output, error) = await SeminasProcess.RunAsync(Path.GetTempPath(), "tts", "make-corpus", "--help");
        Assert.True(exitCode == 0, error);
        Assert.Contains("seminas tts make-corpus [options]", output);
        Assert.Matches(@"--sentences <FILE> \(REQUIRED\)\s+The sentences", output);
        Assert.Contains("--rate <rate>", output);
    }

    [Theory]
    [InlineData(new[] { "tts", "make-corpus", "--out", "x" }, "Option '--sentences' is required.")]
    [InlineData(new[] { "image", "make-cifar", "x", "--train", "many" }, "Cannot parse argument 'many' for option '--train'")]
    [InlineData(new[] { "image", "make-cifar" }, "Required argument missing for command: 'make-cifar'.")]
    [InlineData(new[] { "image", "paint" }, "'paint'")]
    public async Task Bad_input_to_a_plugin_command_is_reported_by_the_parser_with_exit_code_2(string[] args, string message)
    {
        var (exitCode, _, error) = await SeminasProcess.RunAsync(Path.GetTempPath(), args);
        Assert.Equal(2, exitCode);
        Assert.Contains(message, error);
    }
}

/// <summary>The values a plugin command receives, in process: each declared type, flags, arguments and fallbacks.</summary>
public class PluginCommandInputTests
{
    [Fact]
    public async Task A_command_receives_the_values_given_with_their_declared_types_and_nothing_for_the_rest()
    {
        var plugin = new EchoPlugin();
        Assert.Equal(0, await PluginCommandDispatch.RunAsync(plugin, "echo", "say", "hello", "--times", "3", "--loud"));

        var input = plugin.Received!;
        Assert.Equal("hello", input.Get<string>("WORD"));
        Assert.Equal(3, input.Get<int>("--times"));
        Assert.True(input.Has("--loud"));
        Assert.False(input.Has("--pitch"));
        Assert.Equal(0.5, input.Get("--pitch", 0.5));
        Assert.Null(input.Get<string?>("--voice", null));
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_is_refused_before_the_command_runs()
    {
        var plugin = new EchoPlugin();
        Assert.Equal(2, await PluginCommandDispatch.RunAsync(plugin, "echo", "say", "hello", "--pitch", "high"));
        Assert.Null(plugin.Received);
    }

    private sealed class EchoPlugin : TaskPlugin<EchoPlugin.Options>, IPluginCommands
    {
        public PluginCommandInput? Received { get; private set; }

        public override string Name => "echo";

        public override string Description => "Test plugin with one command.";

        public IReadOnlyList<PluginCommand> Commands =>
        [
            new("echo", "Says things.")
            {
                Subcommands =
                [
                    new("say", "Says a word.")
                    {
                        Arguments = [new("WORD", typeof(string), "The word.")],
                        Options =
                        [
                            new("--times", typeof(int), "How often."),
                            new("--pitch", typeof(double), "How high."),
                            new("--voice", typeof(string), "Whose voice."),
                            new("--loud", typeof(bool), "Shout."),
                        ],
                        Run = (input, _) =>
                        {
                            Received = input;
                            return Task.FromResult(0);
                        },
                    },
                ],
            },
        ];

        protected override ISearchTask CreateTask(Options options, TaskCreationContext context) => throw new NotSupportedException();

        public sealed class Options;
    }
}
