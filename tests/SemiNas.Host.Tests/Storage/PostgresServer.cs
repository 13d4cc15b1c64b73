using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using SemiNas.Host.Tests.Cli;

namespace SemiNas.Host.Tests.Storage;

/// <summary>
/// A throwaway PostgreSQL cluster for the tests: initdb into a temporary folder, started on a free port of 127.0.0.1
/// with password authentication, deleted when the tests are done. Needs Debian's <c>postgresql</c> package, which
/// test.sh installs (build/install-debian-packages.sh); when it cannot start, the tests that use it fail with the
/// reason, never pass or skip. As root it runs the server as the <c>postgres</c> user, which the package creates and
/// which is the only one the server agrees to run as.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    public const string User = "seminas";

    /// <summary>Odd enough that a message or a Location that leaks it is found by a plain search.</summary>
    public const string Password = "pw-7Hq2-not-for-display";

    private readonly string _bin;
    private readonly bool _asPostgres = Environment.UserName == "root";

    public PostgresServer() : this(durable: false)
    {
    }

    /// <summary>A server whose commits wait for the disk, as a production server's do: for timings.</summary>
    public static PostgresServer StartDurable() => new(durable: true);

    private PostgresServer(bool durable)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("the PostgreSQL tests start a server with Debian's postgresql package: Linux only.");
        _bin = FindBin();
        Durable = durable;
        StopOrphans();
        DataDirectory = Path.Combine("/tmp", Prefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(DataDirectory);
        File.WriteAllText(DataDirectory + ".owner", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var passwordFile = DataDirectory + ".pw";
        File.WriteAllText(passwordFile, Password + "\n");
        try
        {
            if (_asPostgres) Run("chown", "postgres", DataDirectory, passwordFile);
            Run(Path.Combine(_bin, "initdb"), "-D", DataDirectory, "-U", User, "--pwfile=" + passwordFile,
                "-A", "scram-sha-256", "-E", "UTF8", "--no-sync");
            // Another program may take the free port before the server binds it: then another one.
            for (var tries = 1; ; tries++)
            {
                try
                {
                    Start(FreePort());
                    break;
                }
                catch (InvalidOperationException) when (tries < 3)
                {
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    private const string Prefix = "seminas-pg-";

    public string DataDirectory { get; }

    public int Port { get; private set; }

    public bool Durable { get; }

    /// <summary>A URL of a database of this server, with the password unless told otherwise.</summary>
    public string Url(string database, bool withPassword = true) =>
        $"postgresql://{User}{(withPassword ? ":" + Password : "")}@127.0.0.1:{Port}/{database}";

    /// <summary>A new, empty database.</summary>
    public string CreateDatabase() => CreateDatabase("t_" + Guid.NewGuid().ToString("N"));

    /// <summary>The database for a test folder, the same for the same folder, created when missing.</summary>
    public string DatabaseFor(TempFolder folder) => CreateDatabase("t_" + Path.GetFileName(folder.Path));

    private string CreateDatabase(string name)
    {
        using var connection = new NpgsqlConnection(
            $"Host=127.0.0.1;Port={Port};Username={User};Password={Password};Database=postgres;Pooling=false");
        connection.Open();
        using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name;", connection);
        exists.Parameters.AddWithValue("name", name);
        if (exists.ExecuteScalar() is null)
        {
            using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\";", connection);
            create.ExecuteNonQuery();
        }
        return name;
    }

    /// <summary>Stops the server as an administrator's restart does: connections are cut, nothing is lost.</summary>
    public void Stop() => Run(Path.Combine(_bin, "pg_ctl"), "-D", DataDirectory, "-m", "fast", "-w", "stop");

    /// <summary>Starts it again, on the same port.</summary>
    public void Restart() => Start(Port);

    private void Start(int port)
    {
        Port = port;
        var settings = $"-p {port} -k {DataDirectory} -c listen_addresses=127.0.0.1 -c max_connections=200" +
            (Durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        try
        {
            Run(Path.Combine(_bin, "pg_ctl"), "-D", DataDirectory, "-l", Path.Combine(DataDirectory, "server.log"), "-w", "-t", "60", "-o", settings, "start");
        }
        catch (InvalidOperationException e)
        {
            var log = Path.Combine(DataDirectory, "server.log");
            throw new InvalidOperationException($"{e.Message}\nserver log:\n{(File.Exists(log) ? File.ReadAllText(log) : "(none)")}", e);
        }
    }

    public void Dispose() => Remove(DataDirectory);

    private void Remove(string dataDirectory)
    {
        if (File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
        {
            try
            {
                Run(Path.Combine(_bin, "pg_ctl"), "-D", dataDirectory, "-m", "immediate", "-w", "stop");
            }
            catch (InvalidOperationException)
            {
                // Already stopped; the folder goes anyway.
            }
        }
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
            File.Delete(dataDirectory + ".pw");
            File.Delete(dataDirectory + ".owner");
        }
        catch (IOException)
        {
        }
    }

    /// <summary>
    /// Stops and deletes the servers of test runs that were killed before they could (a test host ended by a time-out
    /// or SIGKILL leaves its server running): each folder names the process that started it.
    /// </summary>
    private void StopOrphans()
    {
        foreach (var owner in Directory.GetFiles("/tmp", Prefix + "*.owner"))
        {
            if (int.TryParse(File.ReadAllText(owner), out var pid) && SeminasProcess.IsRunning(pid)) continue;
            Remove(owner[..^".owner".Length]);
        }
    }

    /// <summary>initdb and pg_ctl: on the PATH, or where Debian puts them (the newest version there).</summary>
    private static string FindBin()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(dir => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")));
        if (onPath is not null) return onPath;
        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(dir => Path.Combine(dir, "bin"))
                .Where(bin => File.Exists(Path.Combine(bin, "initdb")))
                .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var version) ? version : 0)
                .FirstOrDefault()
            : null;
        return debian ?? throw new InvalidOperationException(
            "PostgreSQL is not installed (no initdb on the PATH or in /usr/lib/postgresql/*/bin): run build/install-debian-packages.sh, " +
            "or apt-get install postgresql.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Run(string file, params string[] args)
    {
        var asPostgres = _asPostgres && file != "chown";
        var start = new ProcessStartInfo(asPostgres ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/tmp", // the postgres user may not read the test's own folder
        };
        if (asPostgres)
            foreach (var arg in new[] { "-u", "postgres", "--", file }) start.ArgumentList.Add(arg);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} did not finish within 2 minutes");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed ({process.ExitCode}): {output.Result}{error.Result}");
    }
}

/// <summary>The test classes that share one throwaway server: started once, stopped after the last of them.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
