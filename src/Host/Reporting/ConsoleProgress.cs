using System.Diagnostics;
using System.Globalization;
using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Engine;
using SemiNas.Storage;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace SemiNas.Host.Reporting;

/// <summary>
/// What a search shows while it runs. On a terminal, a Spectre.Console live view redrawn a few times a second:
/// trials done against the budget, the trials running (elapsed time, latest progress message), the best so far and an
/// ETA. When the output is not a terminal (a file, a pipe, CI), plain lines that a log keeps readable: one per finished
/// trial and a heartbeat every few seconds, so a long evaluation is never silent; progress messages of the
/// evaluations only ever show in the heartbeat, never a line per step.
/// </summary>
/// <param name="store">
/// Where the running trials are read from (with their start times); without it they are the unfinished trials of the
/// runner's last report, which lags a trial behind.
/// </param>
public sealed class ConsoleProgress(TextWriter output, bool interactive, Objective objective, IExperimentStore? store = null,
    TimeSpan? heartbeat = null) : ISearchObserver, IDisposable
{
    public static readonly TimeSpan DefaultHeartbeat = TimeSpan.FromSeconds(5);

    private const int FailuresShown = 3;

    private readonly LiveConsole _console = new(output, interactive, heartbeat ?? DefaultHeartbeat);
    private readonly Stopwatch _clock = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<long, string> _notes = [];
    private readonly List<string> _failures = [];
    private readonly CancellationTokenSource _ended = new();
    private ExperimentRecord? _experiment;
    private int _finishedAtStart;
    private TrialSummary _summary = new(0, 0, 0, 0, 0, null);
    private IReadOnlyList<TrialRecord> _unfinished = [];
    // The running trials as last read from the store: the live view redraws 4 times a second, and reading every trial
    // each time would compete with the search's own writes; once a second is enough for start times.
    private (TimeSpan At, IReadOnlyList<TrialRecord> Trials)? _lastRead;
    private static readonly TimeSpan StoreReadInterval = TimeSpan.FromSeconds(1);

    public void Started(ExperimentRecord experiment, IReadOnlyList<TrialRecord> trials, int requeued)
    {
        lock (_lock)
        {
            _experiment = experiment;
            Take(trials);
            _finishedAtStart = _summary.Finished;
            _clock.Restart();
            var resume = _finishedAtStart > 0 || requeued > 0
                ? $"resuming: {_finishedAtStart} of {experiment.Budget} trials already done" + (requeued > 0 ? $", {requeued} interrupted trial(s) will re-run" : "")
                : $"starting: budget {experiment.Budget} trials";
            output.WriteLine($"Experiment '{experiment.Name}' ({experiment.Plugin}, {experiment.Strategy}), {resume}.");
            output.Flush();
            _console.Start(last => View(last ? [] : Running()), WriteHeartbeat);
        }
    }

    public void TrialProgress(TrialRecord trial, EvaluationProgress progress)
    {
        lock (_lock) _notes[trial.Id] = FormattableString.Invariant($"{progress.Fraction * 100:0}%") + (progress.Message is { } m ? $" {m}" : "");
    }

    public void TrialFinished(TrialRecord trial, IReadOnlyList<TrialRecord> trials)
    {
        lock (_lock)
        {
            Take(trials);
            _notes.Remove(trial.Id);
            if (trial.State == TrialState.Failed)
            {
                _failures.Add($"trial {trial.Number} [{trial.Architecture}]: {FirstLine(trial.Error)}");
                if (_failures.Count > FailuresShown) _failures.RemoveAt(0);
            }
            if (!interactive) WriteLine($"[{_summary.Finished}/{_experiment!.Budget}] {Outcome(trial)}");
        }
    }

    public void Ended(RunResult result)
    {
        Stop();
        lock (_lock)
        {
            Take(result.Trials);
            if (!interactive) WriteLine(Heartbeat(withRunning: false));
        }
    }

    public void Dispose()
    {
        Stop();
        _console.Dispose();
        _ended.Dispose();
    }

    /// <summary>Ends the heartbeat or the live view (drawn once more, as it ends); safe to call twice.</summary>
    private void Stop()
    {
        if (_ended.IsCancellationRequested) return;
        _ended.Cancel();
        _console.Stop();
    }

    private void Take(IReadOnlyList<TrialRecord> trials)
    {
        _summary = TrialSummary.Of(trials, objective);
        _unfinished = trials.Where(t => !t.IsFinished).ToList();
    }

    private void WriteLine(string line) => _console.WriteLine(line);

    private void WriteHeartbeat()
    {
        var running = Running();
        lock (_lock)
        {
            if (_ended.IsCancellationRequested) return;
            WriteLine(Heartbeat(withRunning: true, running));
        }
    }

    /// <summary>The trials running now and since when: from the store when there is one, which knows the moment each started.</summary>
    private IReadOnlyList<(TrialRecord Trial, TimeSpan? Elapsed)> Running()
    {
        IReadOnlyList<TrialRecord> trials;
        long experimentId;
        lock (_lock)
        {
            if (_experiment is null) return [];
            experimentId = _experiment.Id;
            trials = _unfinished;
        }
        if (store is not null)
        {
            try
            {
                if (_lastRead is not { } read || _clock.Elapsed - read.At >= StoreReadInterval)
                    _lastRead = read = (_clock.Elapsed, store.LoadTrials(experimentId).Where(t => t.State == TrialState.Running).ToList());
                trials = read.Trials;
            }
            catch (Exception)
            {
                // This runs on a timer thread, where an exception would end the process: a read that fails only costs
                // this heartbeat its running trials, and the search goes on.
            }
        }
        var now = DateTimeOffset.UtcNow;
        return trials.Select(t => (t, t.StartedAt is { } s && t.State == TrialState.Running ? now - s : (TimeSpan?)null)).ToList();
    }

    private string Heartbeat(bool withRunning, IReadOnlyList<(TrialRecord Trial, TimeSpan? Elapsed)>? running = null)
    {
        var line = Done();
        if (withRunning && running is not null)
        {
            line += $" | {running.Count} running";
            if (running.Count > 0)
                line += " (" + string.Join(", ", running.Take(4).Select(r => $"#{r.Trial.Number}" +
                    (r.Elapsed is { } e ? " " + Format(e) : "") + (_notes.TryGetValue(r.Trial.Id, out var note) ? " " + note : ""))) +
                    (running.Count > 4 ? ", …" : "") + ")";
        }
        return line + $" | best {Best()} | ETA {Eta()} | {Format(_clock.Elapsed)} elapsed";
    }

    private string Done()
    {
        var s = _summary;
        var line = $"{s.Finished}/{_experiment!.Budget} trials done";
        if (s.Failed > 0) line += $", {s.Failed} failed";
        if (s.Infeasible > 0) line += $", {s.Infeasible} infeasible";
        return line;
    }

    private string Best() => _summary.Best is { } best
        ? $"{objective.Metric} {Value(best.Objective)} (trial {best.Number})"
        : "none yet";

    private string Eta()
    {
        var doneHere = _summary.Finished - _finishedAtStart;
        var left = _experiment!.Budget - _summary.Finished;
        if (left <= 0) return "done";
        if (doneHere <= 0) return "after the first trial";
        return Format(TimeSpan.FromSeconds(_clock.Elapsed.TotalSeconds / doneHere * left));
    }

    private string Outcome(TrialRecord trial) => trial.State switch
    {
        TrialState.Failed => $"trial {trial.Number} FAILED [{trial.Architecture}]: {FirstLine(trial.Error)}",
        _ when !trial.Feasible => $"trial {trial.Number} infeasible: {objective.Metric} {Value(trial.Objective)} | best {Best()}",
        _ => $"trial {trial.Number}: {objective.Metric} {Value(trial.Objective)}" + (trial.DurationSeconds is { } d ? $" in {Format(TimeSpan.FromSeconds(d))}" : "") +
            $" | best {Best()}",
    };

    private IRenderable View(IReadOnlyList<(TrialRecord Trial, TimeSpan? Elapsed)> running)
    {
        lock (_lock)
        {
            var budget = _experiment!.Budget;
            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
            grid.AddRow(new Markup("[bold]trials[/]"), new Markup($"{LiveConsole.Bar(budget == 0 ? 1 : (double)_summary.Finished / budget)} {Markup.Escape(Done())}"));
            foreach (var (trial, elapsed) in running)
            {
                var note = _notes.TryGetValue(trial.Id, out var n) ? "  " + n : "";
                grid.AddRow(new Markup("[blue]running[/]"), new Text($"#{trial.Number} [{trial.Architecture}] " +
                    (elapsed is { } e ? Format(e) : "") + note));
            }
            grid.AddRow(new Markup("[green]best[/]"), new Text(_summary.Best is { } best ? $"{Best()} [{best.Architecture}]" : Best()));
            grid.AddRow(new Markup("[bold]ETA[/]"), new Text($"{Eta()} ({Format(_clock.Elapsed)} elapsed)"));
            foreach (var failure in _failures) grid.AddRow(new Markup("[red]failed[/]"), new Text(failure));
            return new Panel(grid).Header(Markup.Escape(_experiment.Name)).Expand();
        }
    }

    private static string Value(double? value) => value?.ToString("G6", CultureInfo.InvariantCulture) ?? "–";

    // A failure keeps its stack trace in the store (status, export, dashboard); the console shows what happened.
    private static string? FirstLine(string? text) => text?.Split('\n', 2)[0].TrimEnd('\r');

    private static string Format(TimeSpan t) => LiveConsole.Duration(t);
}
