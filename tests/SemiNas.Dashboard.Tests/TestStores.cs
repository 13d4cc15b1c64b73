using SemiNas.Contracts;
using SemiNas.Storage;

namespace SemiNas.Dashboard.Tests;

/// <summary>Real stores written through <see cref="ExperimentStore"/>, as a search writes them.</summary>
internal static class TestStores
{
    /// <summary>Who the stores' running trials are held by: a worker name, so no process check ever ends them.</summary>
    public const string Owner = "dashboard-tests";

    public static readonly TimeSpan Lease = TimeSpan.FromHours(1);

    /// <summary>The holder of an attempt whose lease ran out in <see cref="Mixed"/>.</summary>
    public const string VanishedWorker = "worker-7";

    /// <summary>Where the running trial of <see cref="Mixed"/> runs.</summary>
    public const string Device = "cuda:1";

    /// <summary>How many steps of training loss the first trial of <see cref="Mixed"/> reported: more than the page gets.</summary>
    public const int LossSteps = 300;

    public static string TempDirectory() => Directory.CreateTempSubdirectory("seminas-dashboard-").FullName;

    public static ExperimentRecord CreateExperiment(ExperimentStore store, string name, int budget = 20) =>
        store.CreateExperiment(new NewExperiment(name, "nasbench201", "random", budget, new Objective("valid_accuracy", MetricGoal.Maximize),
            "name: " + name, """{"name":"x","constraints":{"flops":{"min":null,"max":150000000}}}""", "fingerprint-" + name));

    /// <summary>Adds trials with token i at every position, FLOPs rising with i, and finishes them as asked.</summary>
    public static IReadOnlyList<TrialRecord> Add(ExperimentStore store, long experimentId, int first, int count)
    {
        var trials = Enumerable.Range(first, count).Select(i => new NewTrial(
            new Architecture([i % 5, (i + 1) % 5, (i * 2) % 5, i % 3]), "key-" + i, $"cell-{i}",
            new Dictionary<string, double> { ["flops"] = 50e6 + 10e6 * i, ["params"] = 0.5 + 0.1 * i })).ToList();
        return store.AddTrials(experimentId, trials, [1, 2, 3]);
    }

    public static void Complete(ExperimentStore store, TrialRecord trial, double accuracy, bool feasible = true)
    {
        store.ClaimTrial(trial.Id, Owner, Lease);
        store.MarkComplete(trial.Id, new Dictionary<string, double> { ["valid_accuracy"] = accuracy, ["test_accuracy"] = accuracy - 1 },
            accuracy, feasible);
    }

    /// <summary>A finished-looking experiment: complete, infeasible, failed, running and waiting trials, one of them after an expired attempt.</summary>
    public static string Mixed(string directory, string fileName = "mixed.sqlite", int experiments = 1)
    {
        var path = Path.Combine(directory, fileName);
        using var store = ExperimentStore.Open(path);
        for (var e = 0; e < experiments; e++)
        {
            var experiment = CreateExperiment(store, $"search-{e + 1}");
            var trials = Add(store, experiment.Id, 1, 10);
            for (var i = 0; i < 6; i++) Complete(store, trials[i], 80 + i * (e + 1) % 7 + 0.25 * i);
            Complete(store, trials[6], 95, feasible: false);
            store.ClaimTrial(trials[7].Id, Owner, Lease);
            store.MarkFailed(trials[7].Id, "evaluation threw: out of memory\n   at Task.Evaluate()\n   at Runner.Run()");
            store.ClaimTrial(trials[8].Id, Owner, Lease, new ClaimOptions(Device: Device));
            store.SaveIntermediateValues(trials[0].Id, [.. Enumerable.Range(1, LossSteps).Select(s =>
                new StepValues(s, new Dictionary<string, double> { ["train_loss"] = 3.0 / s }))]);
            // trials[9] waits again after a worker that vanished: its attempt ended with the lease.
            store.ClaimTrial(trials[9].Id, VanishedWorker, TimeSpan.FromMilliseconds(1));
            Thread.Sleep(20);
            store.RequeueExpired(experiment.Id, maxAttempts: 3);
        }
        return path;
    }

    /// <summary>
    /// Reports as SemiNAS makes them for <paramref name="iterations"/> iterations of the experiment: what each did when it
    /// generated its batch, and the rank correlation of every batch but the last, reported at the next iteration.
    /// </summary>
    public static void AddDiagnostics(string path, string experiment, int iterations)
    {
        using var store = ExperimentStore.Open(path);
        var id = store.ListExperiments().Single(e => e.Name == experiment).Id;
        for (var i = 1; i <= iterations; i++)
        {
            if (i > 1)
            {
                store.SaveStrategyDiagnostics(id, new Core.StrategyDiagnostics(i - 1, new Dictionary<string, double>
                {
                    ["rank.kendall_tau"] = 0.1 * i, ["rank.spearman"] = 0.15 * i, ["rank.scored"] = 10,
                }));
            }
            store.SaveStrategyDiagnostics(id, new Core.StrategyDiagnostics(i, new Dictionary<string, double>
            {
                ["train.labelled"] = 50 + 10 * (i - 1), ["train.pseudo_labelled"] = 1000, ["loss.final"] = 0.5 / i, ["loss.final_mse"] = 0.4 / i,
                ["loss.final_nll"] = 0.9 / i, ["loss.pretrain_mse"] = 0.3 / i, ["generator.steps"] = i, ["generator.eta_reached"] = i,
                ["generator.decoded"] = 100 * i, ["generator.new"] = 8 + i, ["batch.size"] = 10, ["batch.from_steps"] = 9,
                ["batch.random_fill"] = 1, ["batch.eta_mean"] = 0.5 + 0.5 * i, ["batch.eta_max"] = i, ["controller.seconds"] = 2.5,
            }));
        }
    }

    public const string BenchmarkSummary = """
        {
          "name": "nb201-cifar10", "description": "two strategies", "plugin": "nasbench201",
          "objective": "valid_accuracy", "reportMetric": "test_accuracy",
          "oracle": 94.37, "oracleObjective": 91.6, "oracleArchitecture": "|nor_conv_3x3~0|", "bestReportInSpace": 94.37,
          "seeds": 3, "seedOffset": 0,
          "groups": [
            {"label": "random", "strategy": "random", "budget": 5, "runs": 3, "mean": 92.1, "std": 0.5, "min": 91.5, "median": 92.0, "max": 92.8,
             "oracleShare": 0, "meanQueriesToOracle": null, "meanSeconds": 0.01,
             "curveMean": [88, 90, 91, 91.5, 92.1], "objectiveCurveMean": [85, 87, 88, 89, 89.5]},
            {"label": "seminas, fast", "strategy": "seminas", "budget": 5, "runs": 3, "mean": 93.0, "std": 0.4, "min": 92.5, "median": 93.1, "max": 93.4,
             "oracleShare": 0.33, "meanQueriesToOracle": 4, "meanSeconds": 1.5,
             "curveMean": [88, 91, 92, 92.6, 93.0], "objectiveCurveMean": [85, 88, 89.5, 90.1, 90.6]}
          ]
        }
        """;
}
