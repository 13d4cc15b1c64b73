using System.Runtime.InteropServices;

namespace SemiNas.Host.Cli;

/// <summary>
/// Turns Ctrl-C (SIGINT) and SIGTERM into the cancellation of the command's token, from before the command starts.
/// </summary>
/// <remarks>
/// System.CommandLine (2.0) registers its own handlers only once the command's action has returned its task, that is
/// after the action's synchronous start: for <c>seminas worker</c> and <c>seminas search</c> that start opens the store
/// and claims the first trial. A signal in that window found no handler, so the runtime ended the process with 143
/// and no clean stop, and the claimed trial stayed RUNNING until its lease ran out. Registered here, before the
/// action runs, the signal always reaches the token, whatever the action has done so far; System.CommandLine's own
/// handling is turned off (<see cref="SemiNasCommandLine.InvokeAsync"/>) so that one signal has one owner.
/// </remarks>
internal sealed class TerminationSignals : IDisposable
{
    private const int SigTermExitCode = 143;

    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<int> _forced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeSpan _grace;
    private readonly PosixSignalRegistration _sigInt;
    private readonly PosixSignalRegistration _sigTerm;
    private int _received;

    /// <param name="grace">How long the command may take to stop after the signal before the process ends anyway, with
    /// 130 (SIGINT) or 143 (SIGTERM): searches stop at the next checkpoint of their own (a controller's epoch, a
    /// plugin's step), which can take a while, and a command that ignores its token must not hold the process forever.</param>
    public TerminationSignals(TimeSpan grace)
    {
        _grace = grace;
        _sigInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled by the first Ctrl-C or SIGTERM.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>Completes, with the signal's conventional exit code, when the command has not stopped within the grace period.</summary>
    public Task<int> Forced => _forced.Task;

    /// <summary>Whether Ctrl-C or SIGTERM has been received; an <see cref="OperationCanceledException"/> is then the stop, not an error.</summary>
    public static bool Received { get; private set; }

    private void OnSignal(PosixSignalContext context)
    {
        // The process keeps running: the command stops itself through its token.
        context.Cancel = true;
        if (Interlocked.Exchange(ref _received, 1) == 1) return;
        Received = true;
        var exitCode = context.Signal == PosixSignal.SIGINT ? CommonOptions.ExitInterrupted : SigTermExitCode;
        _ = Task.Delay(_grace).ContinueWith(_ => _forced.TrySetResult(exitCode), TaskScheduler.Default);
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The signal came as the command returned: nothing is left to stop.
        }
    }

    public void Dispose()
    {
        _sigInt.Dispose();
        _sigTerm.Dispose();
        _stop.Dispose();
    }
}
