using System.Diagnostics;
using System.Globalization;
using SemiNas.Engine;
using SemiNas.Storage;

namespace SemiNas.Host.Experiments;

/// <summary>
/// The <c>seminas worker</c> processes that <c>seminas search</c> runs on its own machine (execution.isolation:
/// process), one evaluation each: a native crash, an out-of-memory kill or <c>Environment.FailFast</c> in an evaluation
/// then ends one of them, which is restarted, and the store puts its trial back (its pid is gone). Each writes to
/// <c>workers/worker-N.log</c> in the experiment's folder, appending across restarts.
/// </summary>
public sealed class LocalWorkerProcesses : IWorkerProcesses, IDisposable
{
    private static readonly TimeSpan FinishGrace = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(30);
    // An idle worker looks for new trials this often: the search is beside it, so a short wait costs little.
    private const string PollSeconds = "0.2";
    private const int LogTailLines = 15;

    private readonly IExperimentStore _store;
    private readonly string _storeLocation;
    private readonly IReadOnlyDictionary<string, string> _storeEnvironment;
    private readonly IReadOnlyList<string> _devices;
    private readonly IReadOnlyList<string> _extraArguments;
    private readonly int _maxAttempts;
    private readonly TextWriter _messages;
    private readonly Process?[] _workers;
    private readonly int[] _starts;
    private string _experimentName = "";
    private int _lastFinished = -1;
    private int _deathsWithoutProgress;

    /// <param name="storeLocation">The store as the worker opens it (resolved against the same working directory).</param>
    /// <param name="devices">Worker i evaluates on devices[i mod count] (already resolved: cpu, cuda, cuda:N).</param>
    /// <param name="extraArguments">Passed on to every worker: --config, --plugins.</param>
    public LocalWorkerProcesses(IExperimentStore store, string storeLocation, int count, IReadOnlyList<string> devices,
        IReadOnlyList<string> extraArguments, int maxAttempts, TextWriter messages)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "at least one worker");
        if (devices.Count == 0) throw new ArgumentException("at least one device", nameof(devices));
        _store = store;
        (_storeLocation, _storeEnvironment) = ExperimentStores.ForChildProcess(storeLocation);
        _devices = devices;
        _extraArguments = extraArguments;
        _maxAttempts = maxAttempts;
        _messages = messages;
        _workers = new Process?[count];
        _starts = new int[count];
    }

    public int Count => _workers.Length;

    /// <summary>The folder of the workers' logs, once started.</summary>
    public string LogFolder { get; private set; } = "";

    public string LogOf(int worker) => Path.Combine(LogFolder, $"worker-{worker + 1}.log");

    public void Start(ExperimentRecord experiment)
    {
        _experimentName = experiment.Name;
        LogFolder = Directory.CreateDirectory(Path.Combine(_store.ArtifactDirectory, $"{experiment.Name}.trials", "workers")).FullName;
        for (var i = 0; i < _workers.Length; i++) StartWorker(i);
    }

    public bool Watch(int finished, CancellationToken stopping)
    {
        if (finished > _lastFinished)
        {
            _lastFinished = finished;
            _deathsWithoutProgress = 0;
        }
        var ended = false;
        for (var i = 0; i < _workers.Length; i++)
        {
            if (_workers[i] is not { HasExited: true } process) continue;
            // Ctrl-C reaches the workers too (one process group): they stop by themselves, and the search is stopping.
            if (stopping.IsCancellationRequested) return ended;
            ended = true;
            var code = process.ExitCode;
            var pid = process.Id;
            process.Dispose();
            _workers[i] = null;
            // 0: the worker saw the experiment finished; the search sees it on this same turn.
            if (code == 0) continue;
            var tail = Tail(LogOf(i));
            if (code != Cli.CommonOptions.ExitInterrupted && ++_deathsWithoutProgress > GiveUpAfter)
                throw new InvalidOperationException(
                    $"the worker processes keep ending ({_deathsWithoutProgress} times, the last with exit code {code}) and no trial finished " +
                    $"meanwhile, so the search stops rather than start them forever (logs in {LogFolder}). The last lines of {LogOf(i)}:\n{tail}");
            _messages.WriteLine($"warning: worker {i + 1} (pid {pid}) ended with exit code {code}{Explain(code)}; its trial goes back to " +
                $"waiting (execution.maxAttempts: {_maxAttempts}) and the worker is restarted. The last lines of {LogOf(i)}:\n{tail}");
            StartWorker(i);
        }
        return ended;
    }

    // Every worker may crash once on each of its trials' attempts before one of those trials is FAILED (progress); more
    // deaths than that in a row mean the workers cannot run at all (a broken install, a plugin that fails to load).
    private int GiveUpAfter => _workers.Length * _maxAttempts + 2;

    public async Task StopAsync(bool finished)
    {
        // A finished search: the workers notice within their poll interval and exit 0 by themselves.
        if (finished) await WaitAllAsync(FinishGrace);
        foreach (var process in Running()) Signal(process, "TERM");
        await WaitAllAsync(StopGrace);
        foreach (var process in Running())
        {
            _messages.WriteLine($"warning: worker pid {process.Id} did not stop within {StopGrace.TotalSeconds:0} s of SIGTERM; killed.");
            process.Kill(entireProcessTree: true);
        }
        await WaitAllAsync(TimeSpan.FromSeconds(5));
    }

    public void Dispose()
    {
        foreach (var process in _workers.OfType<Process>())
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.Dispose();
        }
    }

    private IEnumerable<Process> Running() => _workers.OfType<Process>().Where(p => !p.HasExited).ToList();

    private async Task WaitAllAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await Task.WhenAll(_workers.OfType<Process>().Select(p => p.WaitForExitAsync(timeout.Token)));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void StartWorker(int worker)
    {
        var log = LogOf(worker);
        _starts[worker]++;
        var device = _devices[worker % _devices.Count];
        File.AppendAllText(log, $"--- seminas search (pid {Environment.ProcessId}) starts worker {worker + 1} on {device}, " +
            $"start {_starts[worker]}, {DateTimeOffset.Now:yyyy-MM-dd HH:mm:ss zzz}{Environment.NewLine}");
        // Through sh with exec: the output goes to the log file at the descriptor level, so a native crash's message
        // (FailFast, a segfault) lands there too and nothing breaks if this search dies; exec keeps the worker's pid, the
        // one the store records as the trial's holder.
        var start = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            WorkingDirectory = Directory.GetCurrentDirectory(),
        };
        foreach (var (name, value) in _storeEnvironment) start.Environment[name] = value;
        foreach (var argument in (string[])["-c", "log=\"$1\"; shift; exec \"$@\" >>\"$log\" 2>&1 </dev/null", "sh", log]) start.ArgumentList.Add(argument);
        foreach (var argument in HostCommand()) start.ArgumentList.Add(argument);
        foreach (var argument in (string[])["worker", _storeLocation, "--experiment", _experimentName, "--slots", "1",
                     "--device", device, "--parent", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "--poll-seconds", PollSeconds])
            start.ArgumentList.Add(argument);
        foreach (var argument in _extraArguments) start.ArgumentList.Add(argument);
        _workers[worker] = Process.Start(start) ?? throw new InvalidOperationException("could not start a seminas worker process");
    }

    /// <summary>How to run this same seminas: its apphost, or dotnet with its dll.</summary>
    internal static IReadOnlyList<string> HostCommand()
    {
        var dll = typeof(LocalWorkerProcesses).Assembly.Location;
        var apphost = Path.ChangeExtension(dll, null);
        var runningPath = Environment.ProcessPath ?? "";
        if (Path.GetFileNameWithoutExtension(runningPath) == Path.GetFileName(apphost) && File.Exists(runningPath)) return [runningPath];
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)
            ? hostPath
            : Path.GetFileNameWithoutExtension(runningPath) == "dotnet" ? runningPath : "dotnet";
        return [dotnet, dll];
    }

    private static void Signal(Process process, string signal)
    {
        try
        {
            using var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    private static string Explain(int code) => code switch
    {
        134 => " (SIGABRT: a native abort or Environment.FailFast)",
        137 => " (SIGKILL: killed, often for lack of memory)",
        139 => " (SIGSEGV: a native crash)",
        _ => "",
    };

    private static string Tail(string path)
    {
        try
        {
            var lines = File.ReadAllLines(path);
            return string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Length - LogTailLines)).Select(l => "  | " + l));
        }
        catch (IOException e)
        {
            return $"  (cannot read it: {e.Message})";
        }
    }
}
