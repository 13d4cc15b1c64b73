using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace SemiNas.Host.Tests.Cli;

/// <summary>
/// What `seminas train` and a plugin's command (`image bench`) print while they run when their output goes to a file
/// or a pipe, as in CI: each stage's start and end, and between them at most a line per interval, never a line per step.
/// </summary>
public class CommandConsoleTests
{
    // A line a second instead of every 5 s, so that a training of a few seconds shows its heartbeat.
    private static readonly Dictionary<string, string> OneSecond = new() { ["SEMINAS_PROGRESS_SECONDS"] = "1" };

    /// <summary>A tiny image-classification task on generated images; 30 epochs of 4 steps for the final training.</summary>
    private const string ImageConfig = """
        schemaVersion: 1
        name: tiny-image
        seed: 1
        task:
          plugin: image-classification
          options:
            space:
              resolution: 16
              classes: 4
              stem: 8
              firstBlock: 8
              stages:
                - {width: 16, layers: 2, stride: 2}
              head: 32
            dataset: {kind: synthetic, syntheticTrain: 256, syntheticValid: 64, syntheticSize: 16, heldOut: 64}
            evaluation:
              mode: standalone
              scoreImages: 64
              standalone: {steps: 2, optimizer: {batchSize: 32, learningRate: 0.1}}
            final:
              widthMultiplier: 1.0
              epochs: 30
              progressSeconds: 1
              optimizer: {batchSize: 64, learningRate: 0.1}
        search:
          strategy: random
          budget: 1
        execution:
          workers: 1
          device: cpu
          threads: 1
        """;

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Train_prints_its_stage_once_and_a_progress_line_per_interval_however_often_the_plugin_reports()
    {
        using var folder = new TempFolder();
        folder.Write("c.yaml", ImageConfig);
        var search = await SeminasProcess.RunAsync(folder.Path, "search", "c.yaml", "--storage", "c.sqlite");
        Assert.True(search.ExitCode == 0, search.Output + search.Error);

        var clock = Stopwatch.StartNew();
        var (exitCode, output, error) = await SeminasProcess.RunAsync(folder.Path, OneSecond, "train", "c.sqlite", "--output", "final");
        var seconds = clock.Elapsed.TotalSeconds;
        Assert.True(exitCode == 0, output + error);

        Assert.DoesNotContain('\u001b', output);
        var lines = Lines(output);
        Assert.Matches(@"^Training trial 1 \[.+\] .* on cpu; model folder .+final\.$", lines[0]);
        Assert.Single(lines, l => l == "training: started" || l.StartsWith("training: started |", StringComparison.Ordinal));
        var done = Assert.Single(lines, l => l.StartsWith("training: done in ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Done in ", StringComparison.Ordinal) && l.Contains("metrics written to"));

        // The plugin reports after each of the 30 epochs and every second: at most one line a second reaches the log
        // (the old console printed a line per report, more than this bound whenever an epoch took under a second).
        var progress = lines.Where(l => l.StartsWith("training: ", StringComparison.Ordinal) && l != lines.First(x => x.StartsWith("training: started", StringComparison.Ordinal)) && l != done).ToList();
        Assert.True(progress.Count <= seconds + 2, $"{progress.Count} progress lines in {seconds:F1} s:\n{output}");
        Assert.All(progress, l => Assert.Matches(@"^training: \d+% \| .+ \| [\dhms.]+ elapsed(, ETA [\dhms.]+)?( \| no news for [\dhms.]+)?$", l));
        // A training that lasted two intervals or more has had its heartbeat.
        if (Seconds(done["training: done in ".Length..].Split(' ')[0]) >= 2)
            Assert.NotEmpty(progress);
        Assert.True(File.Exists(Path.Combine(folder.Path, "final", "train-metrics.json")));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Image_bench_reports_each_measurement_as_a_stage_before_printing_its_result()
    {
        using var folder = new TempFolder();
        // Standard error (the progress) and standard output (the results) into one pipe, to see their order.
        var start = new ProcessStartInfo("sh")
        {
            WorkingDirectory = folder.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-c", "exec dotnet \"$@\" 2>&1", "sh", SeminasProcess.Dll, "image", "bench", "--resolution", "32", "--batch", "16", "--steps", "1", "--width", "0.25" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
            await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, output);

        Assert.DoesNotContain('\u001b', output);
        var lines = Lines(output);
        foreach (var (stage, result) in new[]
                 {
                     ("loader alone", "loader alone ("),
                     ("supernet step alone", "supernet step alone ("),
                     ("standalone step alone", "standalone step alone ("),
                     ("standalone evaluation", "standalone evaluation forward alone"),
                     ("standalone training with the loader", "standalone training with the loader: "),
                 })
        {
            var started = lines.FindIndex(l => l == $"{stage}: started | 0/3 batches (0%)");
            var ended = lines.FindIndex(l => Regex.IsMatch(l, $@"^{stage}: done in [\dhms.]+ \| 3/3 batches \(100%\)$"));
            var printed = lines.FindIndex(l => l.StartsWith(result, StringComparison.Ordinal) && l.Contains(" images/s"));
            Assert.True(started >= 0 && started < ended && ended < printed, $"{stage}: started at line {started}, ended at {ended}, result at {printed}:\n{output}");
        }
    }

    private static List<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    // 4.2s, 3m05s or 1h02m, as the console writes durations.
    private static double Seconds(string duration)
    {
        var match = Regex.Match(duration, @"^(?:(\d+)h)?(?:(\d+)m)?(?:([\d.]+)s)?$");
        Assert.True(match.Success, duration);
        double Part(int group) => match.Groups[group].Success ? double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) : 0;
        return Part(1) * 3600 + Part(2) * 60 + Part(3);
    }
}
