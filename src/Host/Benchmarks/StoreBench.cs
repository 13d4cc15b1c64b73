using System.Diagnostics;
using System.Globalization;
using SemiNas.Contracts;
using SemiNas.Core;
using SemiNas.Storage;

namespace SemiNas.Host.Benchmarks;

/// <summary>What one store cost per trial: the proposer's batched insert, and a worker's claim plus its result.</summary>
public sealed record StoreTiming(string Location, int Trials, int Workers, double AddMillisecondsPerTrial, double ClaimAndRecordMillisecondsPerTrial, double WallSeconds);

/// <summary>
/// The store's own cost per trial, with evaluations that cost nothing: a new experiment gets <c>trials</c> proposals
/// (in batches of 10, as a strategy proposes them), then <c>workers</c> threads, each with its own connection, claim
/// the next waiting trial and record a result until none is left. Per trial is wall time over trials, so with several
/// workers it shows what the store lets them do together.
/// </summary>
public static class StoreBench
{
    public static StoreTiming Run(string location, int trials, int workers)
    {
        var name = $"bench-store-{DateTimeOffset.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid():N}"[..40];
        long experiment;
        TimeSpan adding;
        using (var store = ExperimentStores.Open(location))
        {
            experiment = store.CreateExperiment(new NewExperiment(name, "bench", "none", trials, new Objective("acc"), "", "{}", "")).Id;
            var add = Stopwatch.StartNew();
            for (var first = 0; first < trials; first += 10)
            {
                var batch = Enumerable.Range(first, Math.Min(10, trials - first))
                    .Select(i => new NewTrial(Architecture.Parse(i.ToString(CultureInfo.InvariantCulture)), "k" + i, "", new Dictionary<string, double>()))
                    .ToList();
                store.AddTrials(experiment, batch, [1, 2, 3]);
            }
            adding = add.Elapsed;
        }

        var metrics = new Dictionary<string, double> { ["acc"] = 1 };
        // The clock starts once every worker has its store open: opening is paid once per process, not per trial.
        using var ready = new Barrier(workers + 1);
        Exception? failure = null;
        var threads = Enumerable.Range(0, workers).Select(w => new Thread(() =>
        {
            IExperimentStore? store = null;
            try
            {
                store = ExperimentStores.Open(location);
                ready.SignalAndWait();
                while (store.ClaimNextWaiting(experiment, $"bench-worker-{w}", TimeSpan.FromMinutes(5)) is { } trial)
                    store.MarkComplete(trial.Id, metrics, 1, feasible: true);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
                ready.RemoveParticipant();
            }
            finally
            {
                store?.Dispose();
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        ready.SignalAndWait();
        var wall = Stopwatch.StartNew();
        threads.ForEach(t => t.Join());
        wall.Stop();
        if (failure is not null) throw failure;

        using (var check = ExperimentStores.OpenReadOnly(location))
        {
            var complete = check.LoadTrials(experiment).Count(t => t.State == TrialState.Complete);
            if (complete != trials) throw new InvalidOperationException($"{location}: {complete} of {trials} trials were recorded complete.");
            return new StoreTiming(check.Location, trials, workers, adding.TotalMilliseconds / trials,
                wall.Elapsed.TotalMilliseconds / trials, wall.Elapsed.TotalSeconds);
        }
    }
}
