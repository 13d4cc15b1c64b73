using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using SemiNas.Contracts;

namespace SemiNas.Host.Tests.Experiments;

/// <summary>
/// An in-process test plugin that records what the host hands its evaluations: how many ran at once, and each
/// context. 4 positions of tokens 1..3; the objective is the token sum; each evaluation logs one line (unless told not
/// to) and takes 30 ms.
/// </summary>
public sealed class ProbePlugin : TaskPlugin<ProbePlugin.Options>
{
    private int _running;
    private int _mostAtOnce;

    public override string Name => "probe";

    public override string Description => "Test plugin that records its evaluations.";

    public int MostAtOnce => _mostAtOnce;

    public ConcurrentBag<EvaluationContext> Contexts { get; } = [];

    protected override ISearchTask CreateTask(Options options, TaskCreationContext context) => new Task(this, options.Concurrent, options.Log);

    public sealed class Options
    {
        public bool Concurrent { get; set; } = true;

        public bool Log { get; set; } = true;
    }

    private sealed class Task(ProbePlugin probe, bool concurrent, bool log) : ISearchTask
    {
        public bool ConcurrentEvaluations => concurrent;

        public ISearchSpace Space { get; } = new TinySpace();

        public Objective Objective { get; } = new("score");

        public IReadOnlyList<MetricInfo> Metrics { get; } = [new("score", "token sum")];

        public IReadOnlyDictionary<string, double> CheapMetrics(Architecture architecture) => new Dictionary<string, double>();

        public async Task<IReadOnlyDictionary<string, double>> EvaluateAsync(
            Architecture architecture, EvaluationContext context, CancellationToken cancellationToken)
        {
            probe.Contexts.Add(context);
            var now = Interlocked.Increment(ref probe._running);
            lock (probe.Contexts) probe._mostAtOnce = Math.Max(probe._mostAtOnce, now);
            try
            {
                if (log) context.Logger.LogInformation("probe scored [{Architecture}]", architecture);
                await System.Threading.Tasks.Task.Delay(30, cancellationToken);
                return new Dictionary<string, double> { ["score"] = architecture.Tokens.Sum() };
            }
            finally
            {
                Interlocked.Decrement(ref probe._running);
            }
        }

        public void Dispose()
        {
        }
    }
}
