using SemiNas.Contracts;
using SemiNas.Storage;

namespace SemiNas.Engine;

/// <summary>
/// The <see cref="EvaluationContext.Progress"/> of a trial: passes each report on to the observer (the live console)
/// and keeps the metrics it carries in the store as the trial's intermediate values, at the report's
/// <see cref="EvaluationProgress.Step"/> (or, without one, numbered 1, 2, 3… after the last step given). A plugin may
/// report every training step: the values wait in a buffer and are saved at most once per <see cref="FlushInterval"/>,
/// in one transaction (one fsync) per flush, on a thread of their own so that the plugin's training never waits for
/// the store; <see cref="Dispose"/> saves the rest, before the trial's result is recorded.
/// </summary>
public sealed class IntermediateValueRecorder : IProgress<EvaluationProgress>, IDisposable
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    private readonly IExperimentStore _store;
    private readonly long _trialId;
    private readonly int _trialNumber;
    private readonly IProgress<EvaluationProgress> _observer;
    private readonly TimeSpan _interval;
    private readonly Lock _lock = new();
    // One flush at a time, in order: a later batch must not be overtaken by an earlier one for the same step.
    private readonly Lock _flushLock = new();
    // Made with the first values: most evaluations of a table benchmark report none.
    private Timer? _timer;
    private SortedDictionary<int, Dictionary<string, double>> _buffer = [];
    private int _lastStep;
    private bool _timerArmed;
    private bool _disposed;
    private bool _warned;
    private long? _lastFlushMs;

    /// <param name="observer">Where every report goes on, as before (the console's live view).</param>
    /// <param name="interval">How long values may wait in the buffer; <see cref="FlushInterval"/> unless a test says.</param>
    public IntermediateValueRecorder(IExperimentStore store, TrialRecord trial, IProgress<EvaluationProgress> observer, TimeSpan? interval = null)
    {
        _store = store;
        _trialId = trial.Id;
        _trialNumber = trial.Number;
        _observer = observer;
        _interval = interval ?? FlushInterval;
    }

    /// <summary>Batches saved so far (a test counts them to see that reports are not saved one by one).</summary>
    public int Flushes { get; private set; }

    public void Report(EvaluationProgress value)
    {
        _observer.Report(value);
        if (value.Metrics is not { Count: > 0 } metrics) return;
        lock (_lock)
        {
            // Numbered in the order the plugin reported them: this runs on the plugin's thread, before any hand-off.
            var step = value.Step ?? _lastStep + 1;
            _lastStep = step;
            // An evaluation that timed out may keep running and reporting: its values after the end are not kept.
            if (_disposed) return;
            if (!_buffer.TryGetValue(step, out var values)) _buffer[step] = values = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (name, metric) in metrics) values[name] = metric;
            if (_timerArmed) return;
            _timerArmed = true;
            // The first values go at once (a watcher sees the trial start to report), later ones once per interval.
            var since = _lastFlushMs is { } last ? TimeSpan.FromMilliseconds(Environment.TickCount64 - last) : _interval;
            var due = since >= _interval ? TimeSpan.Zero : _interval - since;
            _timer ??= new Timer(_ => Flush(), null, Timeout.Infinite, Timeout.Infinite);
            _timer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Saves what is still buffered, waiting for a flush under way; later reports are no longer kept.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _timer?.Dispose();
        }
        Flush();
    }

    private void Flush()
    {
        lock (_flushLock)
        {
            SortedDictionary<int, Dictionary<string, double>> batch;
            lock (_lock)
            {
                // Disarmed with the swap, in one step: values reported after it wait for the next interval, and
                // values reported before it go in this batch instead of arming a second flush at once.
                _timerArmed = false;
                if (_buffer.Count == 0) return;
                batch = _buffer;
                _buffer = [];
                _lastFlushMs = Environment.TickCount64;
            }
            try
            {
                _store.SaveIntermediateValues(_trialId, [.. batch.Select(s => new StepValues(s.Key, s.Value))]);
                Flushes++;
            }
            catch (Exception e)
            {
                // Intermediate values are for watching a search: a store that cannot take them now costs those values,
                // not the trial (its result is written, and fails loudly, on its own), and this often runs on a timer
                // thread, where an exception would end the process. Said once per trial, with the reason.
                if (!_warned)
                    Console.Error.WriteLine($"warning: trial {_trialNumber}: could not record its intermediate values ({e.Message}); its evaluation goes on.");
                _warned = true;
            }
        }
    }
}
