using System.Diagnostics;
using System.Globalization;
using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Engine;
using SemiNas.Storage;

namespace SemiNas.Host.Reporting;

/// <summary>
/// Live progress of a search: trials done out of the budget, failures, the best so far and an ETA.
/// On a terminal it redraws one status line; when the output is redirected it prints plain lines, at most
/// one a second plus the last, so logs stay readable.
/// </summary>
public sealed class ConsoleProgress(TextWriter output, bool interactive, Objective objective) : ISearchObserver
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(1);
    private readonly Stopwatch _clock = new();
    private readonly Lock _lock = new();
    private int _budget;
    private int _finishedAtStart;
    private TimeSpan? _lastPlainLine;
    private int _lastPlainFinished = -1;
    private string? _evaluationNote;
    private TrialSummary _summary = new(0, 0, 0, 0, 0, null);

    public void Started(ExperimentRecord experiment, IReadOnlyList<TrialRecord> trials, int requeued)
    {
        lock (_lock)
        {
            _budget = experiment.Budget;
            _summary = TrialSummary.Of(trials, objective);
            _finishedAtStart = _summary.Finished;
            _clock.Restart();
            var resume = _finishedAtStart > 0 || requeued > 0
                ? $"resuming: {_finishedAtStart} of {_budget} trials already done" + (requeued > 0 ? $", {requeued} interrupted trial(s) will re-run" : "")
                : $"starting: budget {_budget} trials";
            output.WriteLine($"Experiment '{experiment.Name}' ({experiment.Plugin}, {experiment.Strategy}), {resume}.");
        }
    }

    public void TrialProgress(TrialRecord trial, EvaluationProgress progress)
    {
        lock (_lock)
        {
            _evaluationNote = $"trial {trial.Number}: {progress.Fraction:P0}" + (progress.Message is { } m ? $" {m}" : "");
            if (interactive) Draw();
        }
    }

    public void TrialFinished(TrialRecord trial, IReadOnlyList<TrialRecord> trials)
    {
        lock (_lock)
        {
            _summary = TrialSummary.Of(trials, objective);
            _evaluationNote = null;
            if (trial.State == TrialState.Failed)
                WriteLineAbove($"Trial {trial.Number} [{trial.Architecture}] FAILED: {FirstLine(trial.Error)}");
            if (interactive) Draw();
            else if (_lastPlainLine is null || _clock.Elapsed - _lastPlainLine >= PlainInterval || _summary.Finished >= _budget)
            {
                WritePlainLine();
            }
        }
    }

    public void Ended(RunResult result)
    {
        lock (_lock)
        {
            _summary = TrialSummary.Of(result.Trials, objective);
            if (interactive)
            {
                Draw();
                output.WriteLine();
            }
            else if (_summary.Finished != _lastPlainFinished && _summary.Finished != _finishedAtStart)
            {
                WritePlainLine();
            }
        }
    }

    private void WritePlainLine()
    {
        output.WriteLine(StatusLine());
        _lastPlainLine = _clock.Elapsed;
        _lastPlainFinished = _summary.Finished;
    }

    private void WriteLineAbove(string line)
    {
        if (interactive) output.Write("\r\u001b[2K");
        output.WriteLine(line);
    }

    private void Draw() => output.Write("\r\u001b[2K" + StatusLine());

    private string StatusLine()
    {
        var s = _summary;
        var line = $"[{Bar(s.Finished, _budget)}] {s.Finished}/{_budget} trials";
        if (s.Failed > 0) line += $", {s.Failed} failed";
        if (s.Best is { } best)
            line += $" | best {objective.Metric} {best.Objective!.Value.ToString("G6", CultureInfo.InvariantCulture)} (trial {best.Number})";
        var doneHere = s.Finished - _finishedAtStart;
        if (doneHere > 0 && s.Finished < _budget)
        {
            var eta = TimeSpan.FromSeconds(_clock.Elapsed.TotalSeconds / doneHere * (_budget - s.Finished));
            line += $" | ETA {Format(eta)}";
        }
        line += $" | {Format(_clock.Elapsed)} elapsed";
        if (_evaluationNote is not null) line += $" | {_evaluationNote}";
        return line;
    }

    private static string Bar(int done, int total)
    {
        const int width = 20;
        var filled = total == 0 ? width : Math.Clamp(done * width / total, 0, width);
        return new string('#', filled) + new string('.', width - filled);
    }

    // A failure keeps its stack trace in the store (status, export); the live view shows what happened.
    private static string? FirstLine(string? text) => text?.Split('\n', 2)[0];

    private static string Format(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:00}s" : $"{t.TotalSeconds:0.0}s";
}
