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
