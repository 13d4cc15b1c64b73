using SemiNas.Contracts;
using SemiNas.Host.Reporting;

namespace SemiNas.Host.Tests.Reporting;

/// <summary>The rules of the progress lines in a log, on the console object itself (no process, no sleeping but a poll).</summary>
public class CommandConsoleTests
{
    private sealed class Log
    {
        private readonly StringWriter _text = new();

        public Log() => Writer = TextWriter.Synchronized(_text);

        public TextWriter Writer { get; }

        // The synchronized writer locks itself around each write.
        public string[] Lines()
        {
            lock (Writer) return _text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
    }

    [Fact]
    public void Reports_as_fast_as_a_step_loop_give_a_log_only_each_stages_start_and_end()
    {
        var log = new Log();
        using (var console = new CommandConsole(log.Writer, interactive: false, "test", interval: TimeSpan.FromHours(1)))
        {
            for (var step = 1; step <= 10_000; step++)
                console.Report(new CommandProgress("training", step, 10_000) { Unit = "steps", Message = $"loss {1.0 / step:F4}" });
            console.Report(new CommandProgress("scoring") { Message = "64 images" });
        }

        var lines = log.Lines();
        Assert.Equal(4, lines.Length);
        Assert.Equal("training: started | 1/10000 steps (0%) | loss 1.0000", lines[0]);
        Assert.Matches(@"^training: done in \d+\.\ds \| 10000/10000 steps \(100%\) \| loss 0\.0001$", lines[1]);
        Assert.Equal("scoring: started | 64 images", lines[2]);
        // A stage without a total ends with the command.
        Assert.Matches(@"^scoring: done in \d+\.\ds \| 64 images$", lines[3]);
    }

    [Fact]
    public async Task A_stage_that_goes_quiet_gets_a_heartbeat_that_says_how_long_ago_it_reported()
    {
        var log = new Log();
        using var console = new CommandConsole(log.Writer, interactive: false, "test", interval: TimeSpan.FromMilliseconds(200));
        // A training's progress (a fraction, as seminas train gets it) with its metrics.
        var training = console.Stage("training");
        training.Report(new EvaluationProgress(0.25, "epoch 1/4 done", new Dictionary<string, double> { ["loss"] = 0.5 }));
        for (var i = 0; i < 200 && !log.Lines().Any(l => l.Contains("no news for")); i++) await Task.Delay(50);

        var lines = log.Lines();
        Assert.Equal("training: started | 25% | epoch 1/4 done | loss=0.5", lines[0]);
        var quiet = lines.First(l => l.Contains("no news for"));
        Assert.Matches(@"^training: 25% \| epoch 1/4 done \| loss=0\.5 \| \d+\.\ds elapsed \| no news for \d+\.\ds$", quiet);

        training.Report(new EvaluationProgress(1, "scored 64/64 images"));
        Assert.Contains(log.Lines(), l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^training: done in \d+\.\ds \| 100% \| scored 64/64 images \| loss=0\.5$"));
    }

    [Fact]
    public void A_command_that_fails_or_is_interrupted_ends_its_stage_as_stopped_not_done()
    {
        var log = new Log();
        var console = new CommandConsole(log.Writer, interactive: false, "test", interval: TimeSpan.FromHours(1));
        console.Report(new CommandProgress("scoring", 3, 10) { Unit = "sentences" });
        console.Finish(completed: false);
        console.Dispose();
        console.Report(new CommandProgress("later"));

        Assert.Collection(log.Lines(),
            l => Assert.Equal("scoring: started | 3/10 sentences (30%)", l),
            l => Assert.Matches(@"^scoring: stopped after \d+\.\ds \| 3/10 sentences \(30%\)$", l));
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("0")]
    public void A_bad_interval_in_the_environment_is_named(string value)
    {
        var error = Assert.Throws<FormatException>(() => CommandConsole.ParseInterval(value));
        Assert.Equal($"SEMINAS_PROGRESS_SECONDS must be a number of seconds from 0.1 to 3600, not '{value}'.", error.Message);
        Assert.Equal(TimeSpan.FromSeconds(2.5), CommandConsole.ParseInterval("2.5"));
        Assert.Equal(CommandConsole.DefaultInterval, CommandConsole.ParseInterval(null));
    }
}
