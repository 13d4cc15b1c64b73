using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SemiNas.Host.Tests.Deploy;

/// <summary>
/// A one-node Slurm cluster of Debian's <c>slurm-wlm</c> and <c>munge</c> (build/install-debian-packages.sh installs
/// them for the tests), started by the test itself: munged, slurmctld and slurmd as root with a generated slurm.conf,
/// keys, state, spool and logs in a temporary folder, on free ports of 127.0.0.1; no systemd, no cgroups (proctrack by
/// /proc, no task plugin), and four pretend GPUs, so that jobs get CUDA_VISIBLE_DEVICES as on a GPU node. Everything is
/// stopped and deleted on Dispose, and a test host killed before it could is cleaned up by the next one (the folder
/// names the process that started it). Where the daemons cannot start, <see cref="StartOrSkip"/> skips the test with
/// their logs as the reason.
/// </summary>
public sealed class LocalSlurm : IDisposable
{
    private const string Prefix = "seminas-slurm-";
    private const int Gpus = 4;

    private LocalSlurm(string folder)
    {
        Folder = folder;
        NodeName = Dns.GetHostName().Split('.')[0];
    }

    public string Folder { get; }

    public string NodeName { get; }

    private string Conf => Path.Combine(Folder, "slurm.conf");

    private string MungeSocket => Path.Combine(Folder, "munge", "munge.socket");

    /// <summary>Starts the cluster, or skips the test (not fails) when this machine cannot run it, saying why.</summary>
    public static LocalSlurm StartOrSkip()
    {
        if (!OperatingSystem.IsLinux()) throw new SkipException("the local Slurm cluster needs Linux");
        Skip.If(Environment.UserName != "root", "the local Slurm cluster runs slurmd, which starts jobs as their user, as root; this test runs as " + Environment.UserName);
        var missing = new[] { "munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "sinfo" }.Where(p => Which(p) is null).ToList();
        Skip.If(missing.Count > 0, $"Slurm is not installed (no {string.Join(", ", missing)}): build/install-debian-packages.sh installs slurm-wlm and munge");

        StopOrphans();
        var folder = Path.Combine("/tmp", Prefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        File.WriteAllText(folder + ".owner", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var slurm = new LocalSlurm(folder);
        try
        {
            slurm.Start();
            return slurm;
        }
        catch (DaemonException e)
        {
            var logs = slurm.Logs();
            slurm.Dispose();
            throw new SkipException($"a local Slurm cannot start on this machine: {e.Message}\n{logs}");
        }
        catch
        {
            slurm.Dispose();
            throw;
        }
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private void Start()
    {
        foreach (var dir in new[] { "munge", "state", "spool", "log" }) Directory.CreateDirectory(Path.Combine(Folder, dir));
        // munged refuses a key that others may read, and a socket folder others may write.
        var key = Path.Combine(Folder, "munge", "munge.key");
        File.WriteAllBytes(key, System.Security.Cryptography.RandomNumberGenerator.GetBytes(1024));
        File.SetUnixFileMode(key, UnixFileMode.UserRead);
        File.SetUnixFileMode(Path.Combine(Folder, "munge"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Daemon(Which("munged")!, "--force", $"--key-file={key}", $"--socket={MungeSocket}",
            $"--pid-file={Path.Combine(Folder, "munge", "munged.pid")}", $"--log-file={Path.Combine(Folder, "log", "munged.log")}",
            $"--seed-file={Path.Combine(Folder, "munge", "munged.seed")}");

        var (controllerPort, nodePort) = (FreePort(), FreePort());
        var memoryMb = long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        var gres = Path.Combine(Folder, "gres.conf");
        // Pretend GPUs: slurmd wants a character device behind each, and only hands their indices to jobs (no cgroup
        // confines them here), so any harmless device will do.
        File.WriteAllLines(gres, new[] { "/dev/null", "/dev/zero", "/dev/full", "/dev/urandom" }.Take(Gpus).Select(d => $"Name=gpu File={d}"));
        File.WriteAllText(Conf, $"""
            ClusterName=seminastest
            SlurmctldHost={NodeName}(127.0.0.1)
            SlurmUser=root
            SlurmdUser=root
            SlurmctldPort={controllerPort}
            SlurmdPort={nodePort}
            AuthType=auth/munge
            AuthInfo=socket={MungeSocket}
            CredType=cred/munge
            StateSaveLocation={Folder}/state
            SlurmdSpoolDir={Folder}/spool
            SlurmctldPidFile={Folder}/slurmctld.pid
            SlurmdPidFile={Folder}/slurmd.pid
            SlurmctldLogFile={Folder}/log/slurmctld.log
            SlurmdLogFile={Folder}/log/slurmd.log
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            JobAcctGatherType=jobacct_gather/none
            AccountingStorageType=accounting_storage/none
            JobCompType=jobcomp/none
            MpiDefault=none
            SwitchType=switch/none
            SchedulerType=sched/backfill
            SelectType=select/cons_tres
            SelectTypeParameters=CR_Core
            SlurmdParameters=config_overrides
            ReturnToService=2
            MinJobAge=600
            KillWait=30
            # A failed test's message ends with these logs: debug2 shows which signal slurmd sent to which process.
            SlurmdDebug=debug2
            GresTypes=gpu
            NodeName={NodeName} NodeAddr=127.0.0.1 CPUs={Environment.ProcessorCount} RealMemory={memoryMb} Gres=gpu:{Gpus} State=UNKNOWN
            PartitionName=test Nodes=ALL Default=YES MaxTime=30 State=UP OverSubscribe=FORCE:8

            """);
        Daemon(Which("slurmctld")!, "-f", Conf);
        Daemon(Which("slurmd")!, "-f", Conf, "-N", NodeName);

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var (code, output) = Client("sinfo", "-h", "-o", "%T");
            if (code == 0 && output.Trim() == "idle") return;
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
                throw new DaemonException($"the node did not become idle within 30 s (sinfo: {output.Trim()})");
            Thread.Sleep(250);
        }
    }

    /// <summary>Runs a Slurm client command against this cluster; returns its exit code and output.</summary>
    public (int ExitCode, string Output) Client(string command, params string[] args) =>
        Client(Folder, null, command, args);

    public (int ExitCode, string Output) Client(string workingDirectory, IReadOnlyDictionary<string, string>? environment,
        string command, params string[] args)
    {
        var start = new ProcessStartInfo(Which(command) ?? command)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["SLURM_CONF"] = Conf;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {command}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} {string.Join(' ', args)} did not finish within 60 s");
        }
        return (process.ExitCode, output.Result + error.Result);
    }

    /// <summary>The daemons' logs, for a message that says why something did not work.</summary>
    public string Logs()
    {
        var text = new StringBuilder();
        var logs = Path.Combine(Folder, "log");
        if (!Directory.Exists(logs)) return "";
        foreach (var log in Directory.GetFiles(logs).Order())
        {
            var lines = File.ReadAllLines(log);
            text.AppendLine($"--- {Path.GetFileName(log)} (last lines)");
            foreach (var line in lines.TakeLast(40)) text.AppendLine(line);
        }
        return text.ToString();
    }

    public void Dispose()
    {
        if (File.Exists(Conf) && File.Exists(Path.Combine(Folder, "slurmctld.pid")))
        {
            try
            {
                // Jobs first, so that no job process outlives the cluster; slurmd kills what it started.
                Client("scancel", "--full", "--user=root");
                var deadline = Stopwatch.StartNew();
                while (deadline.Elapsed < TimeSpan.FromSeconds(20) && Client("squeue", "-h").Output.Trim().Length > 0)
                    Thread.Sleep(250);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
            {
                // The controller is gone already; the daemons are stopped by their pid files below.
            }
        }
        Remove(Folder);
    }

    /// <summary>Stops the daemons that the pid files in a cluster folder name, then deletes the folder.</summary>
    private static void Remove(string folder)
    {
        foreach (var pidFile in new[] { "slurmd.pid", "slurmctld.pid", "munge/munged.pid" }.Select(p => Path.Combine(folder, p)))
        {
            if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid)) continue;
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Not running any more.
            }
        }
        try
        {
            Directory.Delete(folder, recursive: true);
            File.Delete(folder + ".owner");
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The clusters of test hosts that were killed before they could stop theirs.</summary>
    private static void StopOrphans()
    {
        foreach (var owner in Directory.GetFiles("/tmp", Prefix + "*.owner"))
        {
            if (int.TryParse(File.ReadAllText(owner), out var pid) && IsRunning(pid)) continue;
            Remove(owner[..^".owner".Length]);
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Starts a daemon that forks into the background; its first process must exit 0.</summary>
    private void Daemon(string file, params string[] args)
    {
        var (code, output) = Client(file, args);
        if (code != 0) throw new DaemonException($"{Path.GetFileName(file)} exited with {code}: {output.Trim()}");
    }

    private static string? Which(string program) =>
        ((Environment.GetEnvironmentVariable("PATH") ?? "") + ":/usr/sbin:/sbin:/usr/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class DaemonException(string message) : Exception(message);
}
