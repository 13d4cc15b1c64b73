using System.Diagnostics;

namespace SemiNas.Host.Tests.Cli;

/// <summary>Runs the real `seminas` from the test's output folder in its own process, as a user would.</summary>
public static class SeminasProcess
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "seminas.dll");

    /// <summary>Whether a process with this id runs now (on this machine).</summary>
    public static bool IsRunning(int pid)
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

    public static Process Start(string workingDirectory, params string[] args) => Start(workingDirectory, null, args);

    /// <param name="environment">Variables to set for it (PGPASSWORD, say), besides those the tests run with.</param>
    public static Process Start(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        // Through env, which hands SIGINT back to its default: a test run started in the background of a shell without job
        // control inherits SIGINT ignored, .NET keeps it so, and the Ctrl-C drills would signal a process that cannot hear.
        var start = new ProcessStartInfo("env")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(Dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        return Process.Start(start) ?? throw new InvalidOperationException("could not start seminas");
    }

    public static Task<(int ExitCode, string Output, string Error)> RunAsync(string workingDirectory, params string[] args) =>
        RunAsync(workingDirectory, null, args);

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string workingDirectory,
        IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var process = Start(workingDirectory, environment, args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // A test that gives up must not leave its search running and loading the machine for the tests after it.
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"seminas {string.Join(' ', args)} did not finish within 3 minutes");
        }
        return (process.ExitCode, await output, await error);
    }
}
