using SemiNas.Contracts;
using SemiNas.Core;
using Microsoft.Extensions.Logging;
using SemiNas.Storage;

namespace SemiNas.Engine;

/// <summary>How a search runs on this machine; none of it changes the experiment's results.</summary>
/// <param name="Budget">A new budget for the experiment (seminas search --budget): a larger one extends a finished
/// search with the strategy's saved state, so its first trials are those of the shorter run.</param>
/// <param name="MaxAttempts">Starts of a trial that may end with its process (killed, crashed) before it is FAILED.</param>
/// <param name="Logging">Where plugins' messages go besides each trial's log file (the console, at --verbosity).</param>
/// <param name="Devices">One device per evaluation slot in turn (execution.devices): slot i evaluates on
/// Devices[i mod count]; null: every slot on <paramref name="Device"/>.</param>
/// <param name="FeedWorkers">A search that evaluates in its own process also keeps one trial waiting for
/// <c>seminas worker</c> processes on its store (execution.feedWorkers); it does so anyway while one of them runs a trial.</param>
public sealed record RunSettings(int Workers, string Device, TimeSpan? TrialTimeout, bool Fork = false, int? Budget = null, int MaxAttempts = 2,
    ILoggerFactory? Logging = null, IReadOnlyList<string>? Devices = null, bool FeedWorkers = false)
{
    /// <summary>The device of evaluation slot <paramref name="slot"/>.</summary>
    public string DeviceOf(int slot) => Devices is { Count: > 0 } devices ? devices[slot % devices.Count] : Device;
}

/// <summary>
/// The <c>seminas worker</c> processes a search starts on its own machine and looks after (execution.isolation:
/// process): the search then only proposes, and a crash in an evaluation ends one of them, not the search.
/// </summary>
public interface IWorkerProcesses
{
    /// <summary>How many run at once: the search keeps as many trials waiting for them.</summary>
    int Count { get; }

    void Start(ExperimentRecord experiment);

    /// <summary>
    /// Called on every turn of the loop: restarts workers that ended while the experiment is unfinished, and throws
    /// when they keep dying without any trial finishing. True when one ended (its trial can be put back at once).
    /// </summary>
    bool Watch(int finished, CancellationToken stopping);

    /// <summary>Stops them: after a finished search they end by themselves; otherwise their trials go back to WAITING.</summary>
    Task StopAsync(bool finished);
}

public enum RunOutcome
{
    /// <summary>The budget is spent (or the strategy has nothing more to propose).</summary>
    Finished,
    /// <summary>The experiment had already finished before this run.</summary>
    AlreadyFinished,
    /// <summary>Stopped by Ctrl-C; running the same command resumes.</summary>
    Interrupted,
}

public sealed record RunResult(RunOutcome Outcome, ExperimentRecord Experiment, IReadOnlyList<TrialRecord> Trials);

/// <summary>
/// The search loop, the only one: runs one experiment against its store, resumes what is there, asks the strategy
/// for proposals, evaluates up to <see cref="RunSettings.Workers"/> trials at once, and records every result as soon
/// as it exists. <c>seminas search</c> runs it on a durable store, <c>seminas benchmark</c> on an
/// <see cref="InMemoryExperimentStore"/>.
/// </summary>
public sealed class ExperimentRunner(SearchDefinition search, IExperimentStore store, RunSettings settings, ISearchObserver observer,
    IWorkerProcesses? processes = null)
{
    internal static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(30);
    // Shorter than StaleAfter by a beat: when a dead owner's experiment can be taken over, its trials' leases have run out.
    internal static readonly TimeSpan Lease = StaleAfter - HeartbeatInterval;
    private static readonly string Owner = ProcessOwner.Current.ToString();
    // How often a search that only proposes looks for results that workers recorded.
    private static readonly TimeSpan ResultPollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>How many evaluations run at once: <see cref="RunSettings.Workers"/>, or 1 for a task that does not
    /// allow its evaluations to overlap (<see cref="ISearchTask.ConcurrentEvaluations"/>).
    /// Zero: the search only proposes, and <c>seminas worker</c> processes evaluate (its own <paramref name="processes"/>, or others).</summary>
    public int Workers { get; } = processes is not null ? 0 : search.Task.ConcurrentEvaluations || settings.Workers == 0 ? settings.Workers : 1;

    // A task whose evaluations may not overlap is claimed exclusively: never while another trial of the experiment runs,
    // in this process or any other.
    private readonly bool _exclusive = !search.Task.ConcurrentEvaluations;

    private readonly TrialEvaluator _evaluator = new(search, store, settings, observer);

    public async Task<RunResult> RunAsync(CancellationToken cancellationToken)
    {
        var experiment = OpenExperiment();
        store.AcquireOwnership(experiment.Id, StaleAfter);
        try
        {
            if (settings.Budget is { } budget && budget != experiment.Budget) experiment = ChangeBudget(experiment, budget);
            return await RunOwnedAsync(experiment, cancellationToken);
        }
        finally
        {
            store.Release(Owner, "the search stopped on an error");
            store.ReleaseOwnership(experiment.Id);
        }
    }

    /// <summary>
    /// Runs the task's input check (<see cref="IStartupCheck"/>), if it has one. A check that throws stops the command
    /// with an error that names the plugin and the configuration file, since the plugin's own message (a missing folder,
    /// say) does not, and a search or worker may run far from where its file was written.
    /// </summary>
    public static void CheckInputs(SearchDefinition search, TextWriter report)
    {
        if (search.Task is not IStartupCheck startup) return;
        try
        {
            startup.CheckInputs(report);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var file = search.ConfigPath is { } path ? $" for {path}" : "";
            var option = e is TaskConfigurationException { Option: { Length: > 0 } key } ? $" (task.options.{key})" : "";
            throw new PluginFailureException(
                $"plugin '{search.PluginName}' found its inputs unusable{file}{option}: {e.GetType().Name}: {e.Message}", e);
        }
    }

    private ExperimentRecord ChangeBudget(ExperimentRecord experiment, int budget)
    {
        var finished = store.LoadTrials(experiment.Id).Count(t => t.IsFinished);
        if (budget < finished)
            throw new StoreException($"{store.Location}: experiment '{experiment.Name}' has {finished} finished trials already; --budget {budget} cannot take them back.");
        store.SetBudget(experiment.Id, budget);
        return store.FindExperiment(experiment.Name)!;
    }

    /// <summary>Finds the experiment in the store, creating it on first run; refuses a changed configuration.</summary>
    private ExperimentRecord OpenExperiment()
    {
        var name = search.Name;
        var existing = store.FindExperiment(name);
        if (existing is null) return store.CreateExperiment(search.NewExperiment());
        if (existing.Fingerprint == search.Fingerprint) return existing;

        if (settings.Fork)
        {
            var sameConfig = store.ListExperiments().FirstOrDefault(e => e.Fingerprint == search.Fingerprint);
            if (sameConfig is not null) return sameConfig;
            var forkName = Enumerable.Range(2, int.MaxValue - 2).Select(i => $"{name}-fork{i}").First(n => store.FindExperiment(n) is null);
            return store.CreateExperiment(search.NewExperiment(forkName, existing.Id));
        }

        var changes = SearchDefinition.Differences(existing.ConfigJson, search.ConfigJson);
        throw new StoreException(
            $"{store.Location} already holds experiment '{name}' with a different configuration:\n  " +
            string.Join("\n  ", changes) +
            "\nRun with --fork to start a new experiment beside it in the same store, or choose another store with --storage.");
    }

    private async Task<RunResult> RunOwnedAsync(ExperimentRecord experiment, CancellationToken cancellationToken)
    {
        var expired = _evaluator.RequeueGone(experiment.Id);
        var requeued = expired.Count(t => t.State == TrialState.Waiting);
        var trials = store.LoadTrials(experiment.Id).ToDictionary(t => t.Id);
        var budget = experiment.Budget;
        var finished = trials.Values.Count(t => t.IsFinished);
        if (experiment.FinishedAt is not null || finished >= budget)
        {
            store.MarkFinished(experiment.Id);
            return new RunResult(RunOutcome.AlreadyFinished, experiment, Ordered(trials));
        }

        // Inputs are checked before the first proposal: a missing or broken data set then stops the search here
        // (non-zero exit, experiment left unfinished, the same command resumes once it is fixed) instead of
        // failing every trial, spending the budget and marking the experiment finished.
        CheckInputs(search, Console.Error);

        var history = new SearchHistory(trials.Values.OrderBy(t => t.Number).Select(ToView));
        // The strategy's diagnostics go to the store beside the trials, for the dashboard and the report.
        var context = search.StrategyContext(diagnostics => store.SaveStrategyDiagnostics(experiment.Id, diagnostics));
        var strategy = search.Strategy.Create(search.StrategyOptions, context);
        using var disposeStrategy = strategy as IDisposable;
        foreach (var damage in store.DamagedRows) Console.Error.WriteLine($"warning: {damage}");
        if (store.LoadStrategyState(experiment.Id) is { } state)
        {
            try
            {
                strategy.RestoreState(state);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new StoreException(
                    $"{store.Location}: table strategy_snapshots, experiment '{experiment.Name}': the saved state of strategy " +
                    $"'{search.Strategy.Name}' cannot be read ({e.GetType().Name}: {e.Message}). The trials are intact: " +
                    "`seminas export` still reads them, and --fork starts a new experiment beside this one.", e);
            }
        }

        if (Workers == 0)
        {
            observer.Started(experiment, trials.Values.ToList(), requeued);
            return await ProposeOnlyAsync(experiment, trials, history, context, strategy, cancellationToken);
        }

        var waiting = new Queue<TrialRecord>(trials.Values.Where(t => t.State == TrialState.Waiting).OrderBy(t => t.Number));
        var running = new Dictionary<Task<TrialOutcome>, TrialRecord>();
        // Which evaluation slot each runs in, for its device (execution.devices).
        var slots = new Dictionary<Task<TrialOutcome>, int>();
        observer.Started(experiment, trials.Values.ToList(), requeued);

        using var stopEvaluations = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var heartbeat = StartHeartbeat(experiment.Id, stopEvaluations.Token);
        var exhausted = false;
        var sinceSync = System.Diagnostics.Stopwatch.StartNew();
        // Results are read often (a worker's result reaches the strategy at once); dead holders are looked for once a
        // heartbeat, since their leases run for several of them and each look is a write transaction.
        var sinceRequeue = System.Diagnostics.Stopwatch.StartNew();
        while (!cancellationToken.IsCancellationRequested)
        {
            if (sinceSync.Elapsed >= ResultPollInterval)
            {
                SyncWithStore();
                sinceSync.Restart();
            }
            StartWaiting();

            // Trials that `seminas worker` processes run count against the budget as ours do (ours are RUNNING in
            // `trials` too, from their claim, so they are taken out here rather than counted twice).
            var elsewhere = trials.Values.Count(t => t.State == TrialState.Running) - running.Count;
            var room = budget - finished - running.Count - waiting.Count - elsewhere;
            // While workers elsewhere evaluate (or are expected to), one trial more waits than our free slots take,
            // so that they find it; without them the strategy is asked exactly when a slot frees, as it always was.
            var keepWaiting = settings.FeedWorkers || elsewhere > 0 ? 1 : 0;
            var wanted = Math.Min(Workers - running.Count + keepWaiting - waiting.Count, room);
            if (!exhausted && wanted > 0)
            {
                IReadOnlyList<Architecture> proposals;
                try
                {
                    proposals = await strategy.ProposeAsync(wanted, history, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break; // Ctrl-C while the controller trained: nothing was recorded, the saved state is the one before
                }
                if (proposals.Count == 0 && running.Count == 0 && elsewhere == 0) exhausted = true;
                foreach (var trial in Record(experiment.Id, proposals, history, context, strategy))
                {
                    trials[trial.Id] = trial;
                    waiting.Enqueue(trial);
                }
                StartWaiting();
            }
            if (running.Count == 0 && elsewhere == 0 && waiting.Count == 0) break;

            Task<TrialOutcome> done;
            try
            {
                // With workers elsewhere (or an exclusive claim refused while theirs runs), wake up to learn their results
                // even while none of ours ends.
                var first = running.Count > 0 && elsewhere == 0 && waiting.Count == 0
                    ? await Task.WhenAny(running.Keys).WaitAsync(cancellationToken)
                    : await Task.WhenAny(running.Keys.Append(Task.Delay(ResultPollInterval, cancellationToken))).WaitAsync(cancellationToken);
                if (first is not Task<TrialOutcome> evaluation) continue;
                done = evaluation;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            var record = running[done];
            running.Remove(done);
            slots.Remove(done);
            var outcome = await done;
            if (outcome.Interrupted) continue;
            var saved = _evaluator.Save(record, outcome);
            trials[saved.Id] = saved;
            history.Update(ToView(saved));
            finished++;
            observer.TrialFinished(saved, trials.Values.ToList());
        }

        // Ctrl-C: stop the evaluations in flight; their trials go back to WAITING and re-run on resume.
        await stopEvaluations.CancelAsync();
        await Task.WhenAll(running.Keys.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        store.Release(Owner, "the search was stopped (Ctrl-C or a signal)");

        var interrupted = cancellationToken.IsCancellationRequested && finished < budget;
        if (!interrupted) store.MarkFinished(experiment.Id);
        var final = store.LoadTrials(experiment.Id);
        var result = new RunResult(interrupted ? RunOutcome.Interrupted : RunOutcome.Finished,
            store.FindExperiment(experiment.Name)!, final);
        observer.Ended(result);
        return result;

        // Fills free slots from the waiting line, lowest number first; an exclusive claim refused because a trial runs
        // elsewhere leaves that trial first in line, to be tried again on a later turn.
        void StartWaiting()
        {
            while (running.Count < Workers && waiting.Count > 0 && Start(waiting.Peek())) waiting.Dequeue();
        }

        bool Start(TrialRecord trial)
        {
            var slot = Enumerable.Range(0, Workers).First(i => !slots.ContainsValue(i));
            var device = settings.DeviceOf(slot);
            TrialRecord claimed;
            try
            {
                claimed = store.ClaimTrial(trial.Id, Owner, Lease, new ClaimOptions(device, _exclusive));
            }
            catch (StoreException) when (store.LoadTrial(trial.Id) is { } now && (now.State != TrialState.Waiting || _exclusive))
            {
                trials[now.Id] = now;
                history.Update(ToView(now));
                // Still waiting: the exclusive claim was refused while another process runs a trial of this task.
                if (now.State == TrialState.Waiting) return false;
                // A worker claimed it first: it is theirs to evaluate, and counts as running elsewhere.
                return true;
            }
            // Observers see the trial as the store now holds it: RUNNING, with its start and attempt.
            trials[claimed.Id] = claimed;
            var evaluation = _evaluator.EvaluateAsync(claimed, stopEvaluations.Token, device);
            running[evaluation] = claimed;
            slots[evaluation] = slot;
            return true;
        }

        // What other processes did since: results that workers recorded, and trials of dead holders put back to wait.
        void SyncWithStore()
        {
            if (sinceRequeue.Elapsed >= HeartbeatInterval)
            {
                _evaluator.RequeueGone(experiment.Id);
                sinceRequeue.Restart();
            }
            var mine = running.Values.Select(t => t.Id).ToHashSet();
            foreach (var now in store.LoadTrials(experiment.Id))
            {
                if (mine.Contains(now.Id) || !trials.TryGetValue(now.Id, out var before) || before.State == now.State) continue;
                trials[now.Id] = now;
                history.Update(ToView(now));
                if (now.IsFinished)
                {
                    finished++;
                    observer.TrialFinished(now, trials.Values.ToList());
                }
                else if (now.State == TrialState.Waiting && before.State != TrialState.Waiting && !waiting.Any(w => w.Id == now.Id))
                {
                    waiting.Enqueue(now);
                }
            }
        }
    }

    /// <summary>
    /// The loop of a search that evaluates nothing itself (<c>execution.workers: 0</c>): it keeps one trial more waiting
    /// than workers are busy, so that a worker that finishes finds the next at once, learns each result from the store
    /// as workers record it, and puts back the trials of workers that died.
    /// </summary>
    private async Task<RunResult> ProposeOnlyAsync(ExperimentRecord experiment, Dictionary<long, TrialRecord> trials, SearchHistory history,
        StrategyContext context, ISearchStrategy strategy, CancellationToken cancellationToken)
    {
        var budget = experiment.Budget;
        var exhausted = false;
        using var heartbeat = StartHeartbeat(experiment.Id, cancellationToken);
        var sinceRequeue = System.Diagnostics.Stopwatch.StartNew();
        // Our own worker processes: as many trials wait for them as they have slots, so that each starts at once.
        var ownSlots = processes?.Count ?? 0;
        processes?.Start(experiment);
        var stoppedWorkers = false;
        var interrupted = false;
        // The finished count when the strategy last had nothing to propose: it is asked again once that changes.
        var nothingAt = -1;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                // A worker of ours that died left its trial RUNNING under a pid that is gone: put it back at once.
                var workerEnded = processes?.Watch(trials.Values.Count(t => t.IsFinished), cancellationToken) ?? false;
                if (workerEnded || sinceRequeue.Elapsed >= HeartbeatInterval)
                {
                    _evaluator.RequeueGone(experiment.Id);
                    sinceRequeue.Restart();
                }
                foreach (var now in store.LoadTrials(experiment.Id))
                {
                    var known = trials.TryGetValue(now.Id, out var before);
                    if (known && before!.State == now.State) continue;
                    trials[now.Id] = now;
                    if (known) history.Update(ToView(now));
                    else history.Add(ToView(now));
                    if (now.IsFinished) observer.TrialFinished(now, trials.Values.ToList());
                }
                var finished = trials.Values.Count(t => t.IsFinished);
                var busy = trials.Values.Count(t => t.State == TrialState.Running);
                var waiting = trials.Values.Count(t => t.State == TrialState.Waiting);
                if (finished >= budget || (exhausted && busy + waiting == 0)) break;

                var wanted = Math.Min(Math.Max(busy + 1, ownSlots) - waiting, budget - finished - busy - waiting);
                if (!exhausted && wanted > 0 && finished != nothingAt)
                {
                    IReadOnlyList<Architecture> proposals;
                    try
                    {
                        proposals = await strategy.ProposeAsync(wanted, history, cancellationToken);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }
                    // Nothing now is not the end while trials run: a strategy may wait for their results (SemiNAS before
                    // its first controller training), and is asked again once one arrives.
                    if (proposals.Count == 0 && busy + waiting == 0) exhausted = true;
                    nothingAt = proposals.Count == 0 ? finished : -1;
                    foreach (var trial in Record(experiment.Id, proposals, history, context, strategy)) trials[trial.Id] = trial;
                    if (proposals.Count > 0) continue;
                }
                try
                {
                    await Task.Delay(ResultPollInterval, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            var finishedNow = store.LoadTrials(experiment.Id).Count(t => t.IsFinished);
            interrupted = cancellationToken.IsCancellationRequested && finishedNow < budget;
            if (!interrupted) store.MarkFinished(experiment.Id);
            // Marked finished first: our workers see it and end by themselves; interrupted, they put their trials back.
            if (processes is not null) await processes.StopAsync(finished: !interrupted);
            stoppedWorkers = true;
        }
        finally
        {
            if (processes is not null && !stoppedWorkers) await processes.StopAsync(finished: false);
        }

        var final = store.LoadTrials(experiment.Id);
        var result = new RunResult(interrupted ? RunOutcome.Interrupted : RunOutcome.Finished, store.FindExperiment(experiment.Name)!, final);
        observer.Ended(result);
        return result;
    }

    private IReadOnlyList<TrialRecord> Record(long experimentId, IReadOnlyList<Architecture> proposals, SearchHistory history,
        StrategyContext context, ISearchStrategy strategy)
    {
        if (proposals.Count == 0) return [];
        var filter = new ProposalFilter(context, history);
        var newTrials = new List<NewTrial>(proposals.Count);
        foreach (var architecture in proposals)
        {
            // The strategy was given the same rule; anything it lets through is a bug worth stopping for.
            var admission = filter.Admit(architecture, out var key);
            if (admission != Admission.Admitted)
                throw new InvalidOperationException($"Strategy '{search.Strategy.Name}' proposed {Rejected(architecture, admission, key)}.");
            newTrials.Add(new NewTrial(architecture, key!, search.Task.Space.Describe(architecture), search.CheapMetrics(architecture)));
        }
        var added = store.AddTrials(experimentId, newTrials, strategy.SaveState());
        foreach (var trial in added) history.Add(ToView(trial));
        return added;
    }

    private string Rejected(Architecture architecture, Admission admission, string? key)
    {
        switch (admission)
        {
            case Admission.Invalid:
                search.Task.Space.IsValid(architecture, out var reason);
                return $"an invalid architecture [{architecture}]: {reason}";
            case Admission.Inadmissible:
                return $"[{architecture}] outside the constraints: {search.Constraints.FindViolation(search.CheapMetrics(architecture))}";
            default:
                return $"[{architecture}] again (canonical key {key})";
        }
    }

    private PeriodicHeartbeat StartHeartbeat(long experimentId, CancellationToken stop) =>
        new(() =>
        {
            store.Heartbeat(experimentId);
            store.RenewLeases(Owner, Lease);
        }, HeartbeatInterval, stop);

    private static TrialView ToView(TrialRecord t) => new(
        t.Number, t.Architecture, t.CanonicalKey,
        t.State,
        t.Objective, t.Feasible, t.CheapMetrics.Concat(t.Metrics).DistinctBy(m => m.Key).ToDictionary());

    private static List<TrialRecord> Ordered(Dictionary<long, TrialRecord> trials) => trials.Values.OrderBy(t => t.Number).ToList();

    /// <summary>Keeps the store's heartbeats fresh while the search runs, so another process can tell it is alive.</summary>
    /// <remarks>
    /// A beat that throws (SQLite busy, a PostgreSQL connection dropped) is reported and the next one comes as usual:
    /// a loop that ended on the first error let every lease of a process that was still working run out, and other
    /// processes then took its trials for abandoned. When beats have failed for as long as a lease, that is said too.
    /// </remarks>
    internal sealed class PeriodicHeartbeat : IDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Task _loop;

        /// <param name="lease">How long the leases it renews run (default <see cref="Lease"/>): beats failing for longer
        /// leave this process's trials to others.</param>
        /// <param name="warn">Where failures are reported (default: standard error).</param>
        public PeriodicHeartbeat(Action beat, TimeSpan interval, CancellationToken stop, TimeSpan? lease = null, Action<string>? warn = null)
        {
            _stop = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var leaseLength = lease ?? Lease;
            warn ??= message => Console.Error.WriteLine(message);
            _loop = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(interval);
                var lastSuccess = System.Diagnostics.Stopwatch.StartNew();
                var failures = 0;
                var leaseLost = false;
                try
                {
                    while (await timer.WaitForNextTickAsync(_stop.Token))
                    {
                        try
                        {
                            beat();
                        }
                        catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
                        {
                            if (failures++ == 0)
                                warn($"warning: a heartbeat to the store failed ({e.GetType().Name}: {e.Message}); trying again every {interval.TotalSeconds:0.###} s.");
                            if (!leaseLost && lastSuccess.Elapsed >= leaseLength)
                            {
                                leaseLost = true;
                                warn($"warning: every heartbeat to the store for {lastSuccess.Elapsed.TotalSeconds:0} s has failed, as long as a " +
                                    $"lease ({leaseLength.TotalSeconds:0.###} s), last with {e.GetType().Name}: {e.Message}. Other processes may now take " +
                                    "this process's trials in evaluation for abandoned and run them again; check the store.");
                            }
                            continue;
                        }
                        if (failures > 0)
                            warn($"note: heartbeats to the store work again, after {failures} failed.");
                        failures = 0;
                        leaseLost = false;
                        lastSuccess.Restart();
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }

        public void Dispose()
        {
            _stop.Cancel();
            _loop.Wait();
            _stop.Dispose();
        }
    }
}
