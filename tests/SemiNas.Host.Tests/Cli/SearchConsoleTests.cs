using System.Text.RegularExpressions;

namespace SemiNas.Host.Tests.Cli;

/// <summary>What `seminas search` prints when its output goes to a file or a pipe, as in CI.</summary>
public class SearchConsoleTests
{
    [Fact]
    public async Task Redirected_output_gets_a_line_per_finished_trial_and_a_heartbeat_while_trials_run()
    {
        using var folder = new TempFolder();
        // Three rounds of two 3-second evaluations: the heartbeat (every 5 s) falls while trials run and none finishes.
        folder.Write("c.yaml", Configs.NasBench201(name: "watched", budget: 6, simulatedSeconds: 3, workers: 2));
        var (exitCode, output, error) = await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml");
        Assert.True(exitCode == 0, error);

        Assert.DoesNotContain('\u001b', output);   // no colours or cursor moves in a log
        Assert.DoesNotContain('\r', output.Replace("\r\n", "\n"));
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var finished = lines.Where(l => Regex.IsMatch(l, @"^\[\d/6\] trial \d+: valid_accuracy [\d.]+ in [\d.]+s \| best valid_accuracy [\d.]+ \(trial \d\)$")).ToList();
        Assert.Equal(6, finished.Count);
        Assert.Equal(Enumerable.Range(1, 6).Select(i => $"[{i}/6]"), finished.Select(l => l[..5]));

        var heartbeats = lines.Where(l => l.Contains(" running (#")).ToList();
        Assert.NotEmpty(heartbeats);
        // Each running trial with its elapsed time and the latest progress message of its evaluation (the plugin
        // reports ten steps per trial): those messages show only there, never a line per step. Two run at once, or
        // one when the budget has a single trial left.
        Assert.All(heartbeats, h => Assert.Matches(
            @"^\d/6 trials done \| [12] running \(#\d+ \d+\.\ds( \d+% [^,)]+)?(, #\d+ \d+\.\ds( \d+% [^)]+)?)?\) \| best .+ \| ETA .+ \| .+ elapsed$", h));
        Assert.Contains(heartbeats, h => Regex.IsMatch(h, @"#\d+ \d+\.\ds \d+% "));
        Assert.All(lines.Where(l => Regex.IsMatch(l, @"\d+% ")), l => Assert.Contains(l, heartbeats));
        // The closing status: everything done, nothing left to wait for.
        Assert.Contains(lines, l => l.StartsWith("6/6 trials done | best valid_accuracy ", StringComparison.Ordinal) && l.Contains("| ETA done |"));
    }
}
