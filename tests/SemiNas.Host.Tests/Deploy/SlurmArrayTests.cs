using System.Diagnostics;
using System.Text.RegularExpressions;
using SemiNas.Host.Tests.Cli;
using SemiNas.Host.Tests.Storage;
using SemiNas.Storage;

namespace SemiNas.Host.Tests.Deploy;

/// <summary>deploy/slurm/seminas-array.sbatch submitted, as a user would, to a real (local, one-node) Slurm.</summary>
[Collection(PostgresCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SlurmArrayTests(PostgresServer server)
{
    private static string Script => Path.Combine(Repository.Root, "deploy", "slurm", "seminas-array.sbatch");

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void The_job_array_runs_one_proposer_and_its_workers_until_the_budget_is_met()
    {
        using var slurm = LocalSlurm.StartOrSkip();
        using var folder = new TempFolder();
        const int budget = 24;
        folder.Write("search.yaml", Configs.NasBench201(name: "on-slurm", budget: budget, simulatedSeconds: 0.3, workers: 0));
        var url = server.Url(server.CreateDatabase());
        // The password travels in a file only its owner reads, as the script's comments ask.
        var urlFile = folder.Write("store-url", url + "\n");
        File.SetUnixFileMode(urlFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // Two array tasks of two workers each; task 0 also runs the proposer.
        var (job, submitted) = Submit(slurm, folder, urlFile);
        WaitUntilGone(slurm, folder, job, TimeSpan.FromMinutes(4));

        var tasks = TaskStates(slurm, job);
        Assert.True(tasks.Count == 2 && tasks.All(t => t is { State: "COMPLETED", Exit: "0:0" }),
            $"array tasks: {string.Join(", ", tasks)}\n{Outputs(folder)}\n{slurm.Logs()}");

        using var store = ExperimentStores.OpenReadOnly(url);
        var experiment = store.FindExperiment("on-slurm")!;
        Assert.NotNull(experiment.FinishedAt);
        var trials = store.LoadTrials(experiment.Id);
        Assert.Equal(budget, trials.Count);
        Assert.All(trials, t => Assert.Equal(SemiNas.Core.TrialState.Complete, t.State));
        Assert.Equal(budget, trials.Select(t => t.CanonicalKey).Distinct().Count());
        // Several workers shared the trials (each worker is one owner); how many each got depends on timing.
        Assert.True(store.LoadAttempts(experiment.Id).Select(a => a.Owner).Distinct().Count() >= 2, Outputs(folder));

        var outputs = new[] { "task-0.out", "task-1.out" }.Select(f => File.ReadAllText(folder.File(f))).ToList();
        Assert.Contains("the proposer and 2 worker(s) on the experiment's execution.device", outputs[0]);
        Assert.DoesNotContain("the proposer", outputs[1]);
        Assert.All(outputs, o =>
        {
            Assert.Equal(2, Regex.Matches(o, "at once on cpu").Count);
            Assert.Contains("Experiment 'on-slurm' is finished", o);
        });
        Assert.Contains($"Finished: {budget} complete, 0 failed", outputs[0]);
        Assert.All(outputs.Append(submitted), o => Assert.DoesNotContain(PostgresServer.Password, o));
    }

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void After_scancel_the_same_sbatch_resumes_and_finishes_the_search_with_no_trial_lost()
    {
        using var slurm = LocalSlurm.StartOrSkip();
        using var folder = new TempFolder();
        const int budget = 16;
        // Evaluations of 2 s, so that scancel finds the workers busy.
        folder.Write("search.yaml", Configs.NasBench201(name: "cancelled", budget: budget, simulatedSeconds: 2, workers: 0));
        var url = server.Url(server.CreateDatabase());
        var urlFile = folder.Write("store-url", url + "\n");
        File.SetUnixFileMode(urlFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var (job, _) = Submit(slurm, folder, urlFile, "first");

        var waited = Stopwatch.StartNew();
        while (RunningAttempts(url) < 3)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(3), $"the workers never got busy:\n{Outputs(folder)}");
            Thread.Sleep(250);
        }
        var (code, output) = slurm.Client("scancel", job);
        Assert.True(code == 0, output);
        WaitUntilGone(slurm, folder, job, TimeSpan.FromMinutes(2));
        List<(long Id, int Number)> interrupted;
        using (var store = ExperimentStores.OpenReadOnly(url))
        {
            var experiment = store.FindExperiment("cancelled")!;
            Assert.Null(experiment.FinishedAt);
            var trials = store.LoadTrials(experiment.Id);
            Assert.True(trials.Count(t => t.State == SemiNas.Core.TrialState.Complete) < budget, Outputs(folder));
            // The trials the workers were evaluating: put back as they stopped (interrupted), or, by a worker that
            // scancel ended before it could, left for the next proposer or worker to put back.
            interrupted = trials.Where(t => t.State != SemiNas.Core.TrialState.Complete && t.Attempts > 0).Select(t => (t.Id, t.Number)).ToList();
            Assert.True(interrupted.Count >= 3, Outputs(folder));
        }

        // The same command again: the proposer takes over from the stored state, the workers run what waits.
        (job, _) = Submit(slurm, folder, urlFile, "again");
        WaitUntilGone(slurm, folder, job, TimeSpan.FromMinutes(4));
        var tasks = TaskStates(slurm, job);
        Assert.True(tasks.Count == 2 && tasks.All(t => t is { State: "COMPLETED", Exit: "0:0" }),
            $"array tasks: {string.Join(", ", tasks)}\n{Outputs(folder)}\n{slurm.Logs()}");
        using (var store = ExperimentStores.OpenReadOnly(url))
        {
            var experiment = store.FindExperiment("cancelled")!;
            Assert.NotNull(experiment.FinishedAt);
            var trials = store.LoadTrials(experiment.Id);
            Assert.Equal(budget, trials.Count);
            Assert.All(trials, t => Assert.Equal(SemiNas.Core.TrialState.Complete, t.State));
            Assert.Equal(budget, trials.Select(t => t.CanonicalKey).Distinct().Count());
            var attempts = store.LoadAttempts(experiment.Id);
            Assert.All(attempts, a => Assert.NotNull(a.End));
            // Each trial that scancel stopped was evaluated again, after the attempt that scancel ended.
            Assert.All(interrupted, t => Assert.True(attempts.Count(a => a.TrialId == t.Id) >= 2, $"trial {t.Number} was not run again"));
        }
    }

    [Fact]
    public async Task A_proposer_that_fails_stops_the_task_with_its_exit_code_instead_of_leaving_workers_waiting()
    {
        // Plain bash (task 0 without Slurm): the proposer refuses the file, and the worker waiting for its experiment
        // must not wait out SEMINAS_WAIT_SECONDS.
        using var folder = new TempFolder();
        folder.Write("search.yaml", Configs.NasBench201(name: "broken", budget: 4, workers: 0, strategy: "no-such-strategy"));
        var start = new ProcessStartInfo("bash") { WorkingDirectory = folder.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add("search.yaml");
        start.Environment.Remove("SEMINAS_STORAGE_URL_FILE");
        start.Environment["SEMINAS_STORAGE_URL"] = server.Url(server.CreateDatabase());
        start.Environment["SEMINAS_DLL"] = SeminasProcess.Dll;
        start.Environment["SEMINAS_DEVICE"] = "cpu";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the task kept waiting after its proposer failed");
        }
        var (stdout, stderr) = (await output, await error);
        Assert.True(process.ExitCode == 2, stdout + stderr);
        Assert.Contains("no-such-strategy", stderr);
        Assert.Contains("task 0 done (exit 2)", stdout);
        Assert.DoesNotContain(PostgresServer.Password, stdout + stderr);
    }

    private static int RunningAttempts(string url)
    {
        try
        {
            using var store = ExperimentStores.OpenReadOnly(url);
            return store.FindExperiment("cancelled") is { } e ? store.LoadAttempts(e.Id).Count(a => a.End is null) : 0;
        }
        catch (StoreException)
        {
            return 0; // the proposer has not created the schema yet
        }
    }

    /// <summary>Submits the script as two array tasks of two pretend GPUs each: four workers, and the proposer in task 0.</summary>
    private static (string Job, string Output) Submit(LocalSlurm slurm, TempFolder folder, string urlFile, string log = "task")
    {
        var (code, submitted) = slurm.Client(folder.Path, new Dictionary<string, string>
        {
            ["SEMINAS_STORAGE_URL_FILE"] = urlFile,
            ["SEMINAS_DLL"] = SeminasProcess.Dll,
            // No GPU here (the host checks that a cuda device is usable): two CPU workers per task. The GPU mapping has
            // its own test below.
            ["SEMINAS_CPU_WORKERS"] = "2",
        }, "sbatch", "--parsable", "--array=0-1", "--gres=none", "--cpus-per-task=1", "--mem=200M", "--time=5",
            "--output=" + Path.Combine(folder.Path, log + "-%a.out"), Script, "search.yaml");
        Assert.True(code == 0, $"sbatch failed ({code}): {submitted}\n{slurm.Logs()}");
        return (submitted.Trim().Split(';')[0], submitted);
    }

    private static void WaitUntilGone(LocalSlurm slurm, TempFolder folder, string job, TimeSpan limit)
    {
        var waited = Stopwatch.StartNew();
        while (slurm.Client("squeue", "-h", "-j", job).Output.Trim().Length > 0)
        {
            Assert.True(waited.Elapsed < limit, $"job {job} still runs after {limit}:\n{Outputs(folder)}\n{slurm.Logs()}");
            Thread.Sleep(500);
        }
    }

    [Theory]
    [InlineData("2,3", "2 worker(s) on cuda:0 cuda:1")]
    [InlineData("1", "1 worker(s) on cuda:0")]
    [InlineData("GPU-5f0c,GPU-77aa,GPU-9e31", "3 worker(s) on cuda:0 cuda:1 cuda:2")]
    [InlineData("", "2 worker(s) on the experiment's execution.device")]
    public void Each_GPU_Slurm_gives_a_task_gets_a_worker_numbered_as_CUDA_numbers_the_visible_ones(string visible, string expected)
    {
        // Plain bash as array task 1 (workers only): Slurm's CUDA_VISIBLE_DEVICES holds node-wide indices or UUIDs, and
        // inside the process the I-th visible GPU is cuda:I. The task says so on its first line; then it is stopped.
        using var folder = new TempFolder();
        folder.Write("search.yaml", Configs.NasBench201(name: "gpus", budget: 4, workers: 0));
        var start = new ProcessStartInfo("bash") { WorkingDirectory = folder.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add("search.yaml");
        start.Environment.Remove("SEMINAS_STORAGE_URL_FILE");
        start.Environment["SEMINAS_STORAGE_URL"] = "postgresql://nobody@127.0.0.1:1/none";
        start.Environment["SEMINAS_DLL"] = SeminasProcess.Dll;
        start.Environment["SEMINAS_CPU_WORKERS"] = "2";
        start.Environment["SLURM_ARRAY_TASK_ID"] = "1";
        start.Environment["CUDA_VISIBLE_DEVICES"] = visible;
        using var process = Process.Start(start)!;
        var first = process.StandardOutput.ReadLine();
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        Assert.Contains($"experiment 'gpus', {expected}", first);
    }

    [Theory]
    [InlineData("sqlite:/tmp/s.sqlite", "the store must be a postgresql:// URL")]
    [InlineData("", "set SEMINAS_STORAGE_URL_FILE")]
    public void Without_a_PostgreSQL_URL_the_script_starts_nothing_and_says_why(string url, string message)
    {
        // The script's checks come before any seminas starts, so plain bash (no Slurm: task 0) shows them.
        using var folder = new TempFolder();
        folder.Write("search.yaml", Configs.NasBench201(name: "refused", budget: 4, workers: 0));
        var start = new System.Diagnostics.ProcessStartInfo("bash") { WorkingDirectory = folder.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add("search.yaml");
        start.Environment["SEMINAS_STORAGE_URL"] = url;
        start.Environment.Remove("SEMINAS_STORAGE_URL_FILE");
        start.Environment["SEMINAS_DLL"] = SeminasProcess.Dll;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(2, process.ExitCode);
        Assert.Contains(message, error);
        Assert.Empty(Directory.GetFiles(folder.Path, "*.sqlite", SearchOption.AllDirectories));
    }

    private static List<(string State, string Exit, string Task)> TaskStates(LocalSlurm slurm, string job) =>
        slurm.Client("scontrol", "-o", "show", "job", job).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => (State: Field(line, "JobState"), Exit: Field(line, "ExitCode"), Task: Field(line, "ArrayTaskId")))
            .ToList();

    private static string Field(string line, string name) =>
        Regex.Match(line, $@"(?:^|\s){name}=(\S*)") is { Success: true } m ? m.Groups[1].Value : "";

    private static string Outputs(TempFolder folder) =>
        string.Join("\n", Directory.GetFiles(folder.Path, "*.out").Order().Select(f => $"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}"));
}
