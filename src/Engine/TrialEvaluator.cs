using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Storage;

namespace SemiNas.Engine;

/// <summary>What one evaluation gave: metrics, an error that fails the trial, or an interruption that leaves it to run again.</summary>
public sealed record TrialOutcome(IReadOnlyDictionary<string, double>? Metrics, string? Error, bool Interrupted)
{
    public static TrialOutcome Failed(string error, IReadOnlyDictionary<string, double>? metrics = null) => new(metrics, error, false);
}

/// <summary>
/// Evaluates one claimed trial and records its result, the same for the search loop and for <c>seminas worker</c>, so
/// that a trial's folders, seed, log, time limit and feasibility do not depend on which process ran it.
/// </summary>
public sealed class TrialEvaluator(SearchDefinition search, IExperimentStore store, RunSettings settings, ISearchObserver observer)
{
    /// <summary>
    /// Puts back the trials whose holder is gone (<see cref="IExperimentStore.RequeueExpired"/>) and warns of each that
    /// reached <see cref="RunSettings.MaxAttempts"/> and is FAILED; returns the trials it changed.
    /// </summary>
    public IReadOnlyList<TrialRecord> RequeueGone(long experimentId)
    {
        var changed = store.RequeueExpired(experimentId, settings.MaxAttempts);
        foreach (var gaveUp in changed.Where(t => t.State == TrialState.Failed))
            Console.Error.WriteLine($"warning: trial {gaveUp.Number} FAILED: {gaveUp.Error}");
        return changed;
    }

    /// <param name="device">The slot's device (execution.devices); default: <see cref="RunSettings.Device"/>.</param>
    public async Task<TrialOutcome> EvaluateAsync(TrialRecord trial, CancellationToken stop, string? device = null)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(stop);
        if (settings.TrialTimeout is { } timeout) limit.CancelAfter(timeout);
        // Outside the try below: a folder that cannot be made (disk full, no permission) stops the search instead of
        // failing every remaining trial.
        var experimentDirectory = Directory.CreateDirectory(Path.Combine(store.ArtifactDirectory, $"{search.Name}.trials")).FullName;
        var workingDirectory = Path.Combine(experimentDirectory, trial.Number.ToString(CultureInfo.InvariantCulture));
        using var log = new PluginLog(PluginLog.ConsoleFor(settings.Logging ?? NullLoggerFactory.Instance, search.PluginName), Path.Combine(workingDirectory, PluginLog.TrialLogFile), $"trial {trial.Number}: ");
        // Disposed when this method returns, so every value reported is saved before the caller records the result.
        using var progress = new IntermediateValueRecorder(store, trial, new Progress<EvaluationProgress>(p => observer.TrialProgress(trial, p)));
        var context = new EvaluationContext
        {
            TrialId = trial.Id,
            Device = device ?? settings.Device,
            Seed = unchecked(search.Seed * 1_000_003 + trial.Number),
            WorkingDirectory = workingDirectory,
            ExperimentDirectory = experimentDirectory,
            Logger = log.Logger,
            Progress = progress,
        };
        try
        {
            // Task.Run keeps a plugin that blocks before its first await from stalling the other workers.
            var evaluation = Task.Run(() => search.Task.EvaluateAsync(trial.Architecture, context, limit.Token), limit.Token);
            var metrics = await evaluation.WaitAsync(limit.Token);
            if (metrics is null)
                return TrialOutcome.Failed($"plugin '{search.PluginName}' returned no result (null) from EvaluateAsync");
            if (!metrics.TryGetValue(search.Task.Objective.Metric, out var objective))
                return TrialOutcome.Failed($"the evaluation returned no '{search.Task.Objective.Metric}' metric", metrics);
            if (!double.IsFinite(objective))
                return TrialOutcome.Failed($"the evaluation returned {search.Task.Objective.Metric} = {objective}", metrics);
            return new TrialOutcome(metrics, null, false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return new TrialOutcome(null, null, true);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            return TrialOutcome.Failed($"timed out after {settings.TrialTimeout!.Value.TotalSeconds:0.###} s");
        }
        catch (Exception e)
        {
            // The whole exception, stack trace and inner exceptions included: the plugin's author needs them.
            return TrialOutcome.Failed($"{e.GetType().Name}: {e.Message}\n{e}");
        }
    }

    /// <summary>Records a finished (not interrupted) outcome; feasibility comes from the constraints on every metric.</summary>
    public TrialRecord Save(TrialRecord trial, TrialOutcome outcome)
    {
        if (outcome.Error is { } error)
        {
            store.MarkFailed(trial.Id, error, outcome.Metrics);
        }
        else
        {
            var metrics = outcome.Metrics!;
            var feasible = search.Constraints.FindViolation(metrics) is null;
            store.MarkComplete(trial.Id, metrics, metrics[search.Task.Objective.Metric], feasible);
        }
        return store.LoadTrial(trial.Id);
    }
}
