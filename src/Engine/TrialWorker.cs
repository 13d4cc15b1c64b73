using SemiNas.Core;
using SemiNas.Storage;

namespace SemiNas.Engine;

public enum WorkerOutcome
{
    /// <summary>The experiment is finished: its budget is spent or its proposer found nothing more to propose.</summary>
    Finished,
    /// <summary>The worker evaluated as many trials as it was allowed (<c>--max-trials</c>).</summary>
    MaxTrials,
    /// <summary>Stopped by Ctrl-C or SIGTERM; its trials went back to WAITING.</summary>
    Interrupted,
    /// <summary>The search that started it is gone (<c>--parent</c>): it finished the trials it held and claimed no more.</summary>
    ParentGone,
}

public sealed record WorkerResult(WorkerOutcome Outcome, IReadOnlyList<TrialRecord> Evaluated);

/// <summary>
/// Evaluates trials that another process proposed (<c>seminas worker</c>): claims whatever waits, renews its leases with
/// a heartbeat and records each result, until the experiment is finished. It never proposes; when nothing waits it
/// polls. Trials of holders that are gone are put back first (<see cref="IExperimentStore.RequeueExpired"/>), so a
/// dead worker's trial runs again here even when no proposer is watching.
/// </summary>
public sealed class TrialWorker(SearchDefinition search, IExperimentStore store, RunSettings settings, ISearchObserver observer)
{
    // A process id rather than a free name: a dead worker of this machine is then noticed at once, not after its lease.
    private static readonly string Owner = ProcessOwner.Current.ToString();

    private readonly TrialEvaluator _evaluator = new(search, store, settings, observer);

    /// <summary>Evaluations at once: <see cref="RunSettings.Workers"/>, or 1 for a task whose evaluations may not overlap.</summary>
    public int Slots { get; } = search.Task.ConcurrentEvaluations ? settings.Workers : 1;

    // Such a task is also claimed exclusively: never while another trial of the experiment runs in any process.
    private readonly bool _exclusive = !search.Task.ConcurrentEvaluations;

    /// <param name="keepClaiming">Asked before each claim; false (the search that started this worker is gone) makes the
    /// worker finish what it holds and end with <see cref="WorkerOutcome.ParentGone"/>.</param>
    public async Task<WorkerResult> RunAsync(ExperimentRecord experiment, int? maxTrials, TimeSpan pollInterval, CancellationToken cancellationToken,
        Func<bool>? keepClaiming = null)
    {
        var evaluated = new List<TrialRecord>();
        var running = new Dictionary<Task<TrialOutcome>, TrialRecord>();
        var slots = new Dictionary<Task<TrialOutcome>, int>();
        var orphaned = false;
        var claimed = 0;
        using var stopEvaluations = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            using var heartbeat = new ExperimentRunner.PeriodicHeartbeat(
                () => store.RenewLeases(Owner, ExperimentRunner.Lease), ExperimentRunner.HeartbeatInterval, stopEvaluations.Token);
            var outcome = WorkerOutcome.Interrupted;
            while (!cancellationToken.IsCancellationRequested)
            {
                var room = maxTrials is { } max ? max - claimed : int.MaxValue;
                if (!orphaned && keepClaiming is not null && !keepClaiming()) orphaned = true;
                if (running.Count < Slots && room > 0 && !orphaned)
                {
                    _evaluator.RequeueGone(experiment.Id);
                    while (running.Count < Slots && claimed < (maxTrials ?? int.MaxValue))
                    {
                        var slot = Enumerable.Range(0, Slots).First(i => !slots.ContainsValue(i));
                        var device = settings.DeviceOf(slot);
                        if (store.ClaimNextWaiting(experiment.Id, Owner, ExperimentRunner.Lease, new ClaimOptions(device, _exclusive)) is not { } trial) break;
                        claimed++;
                        var evaluation = _evaluator.EvaluateAsync(trial, stopEvaluations.Token, device);
                        running[evaluation] = trial;
                        slots[evaluation] = slot;
                    }
                }
                if (running.Count == 0)
                {
                    if (orphaned)
                    {
                        outcome = WorkerOutcome.ParentGone;
                        break;
                    }
                    if (maxTrials is { } limit && claimed >= limit)
                    {
                        outcome = WorkerOutcome.MaxTrials;
                        break;
                    }
                    if (IsFinished(experiment))
                    {
                        outcome = WorkerOutcome.Finished;
                        break;
                    }
                }

                try
                {
                    // Wakes for a finished evaluation, or after the poll interval to look for new trials in free slots.
                    await Task.WhenAny(running.Keys.Append(Task.Delay(pollInterval, cancellationToken))).WaitAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                foreach (var (done, trial) in running.Where(r => r.Key.IsCompleted).ToList())
                {
                    running.Remove(done);
                    slots.Remove(done);
                    var result = await done;
                    if (result.Interrupted) continue;
                    var saved = _evaluator.Save(trial, result);
                    evaluated.Add(saved);
                    observer.TrialFinished(saved, evaluated);
                }
            }

            await StopAsync("the worker was stopped (Ctrl-C or a signal)");
            return new WorkerResult(outcome, evaluated);
        }
        catch
        {
            await StopAsync("the worker stopped on an error");
            throw;
        }

        async Task StopAsync(string reason)
        {
            await stopEvaluations.CancelAsync();
            await Task.WhenAll(running.Keys.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
            store.Release(Owner, reason);
        }
    }

    private bool IsFinished(ExperimentRecord experiment)
    {
        var now = store.FindExperiment(experiment.Name);
        if (now is null || now.FinishedAt is not null) return true;
        return store.LoadTrials(experiment.Id).Count(t => t.IsFinished) >= now.Budget;
    }
}
