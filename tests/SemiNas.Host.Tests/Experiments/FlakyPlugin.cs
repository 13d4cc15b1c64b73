using SemiNas.Contracts;

namespace SemiNas.Host.Tests.Experiments;

/// <summary>
/// An in-process test plugin whose evaluations misbehave on purpose: 4 positions of tokens 1..3; the objective is
/// the token sum, except that a first token 1 throws, "2 1 ..." returns NaN, and "3 3 3 3" never returns.
/// </summary>
public sealed class FlakyPlugin : TaskPlugin<FlakyPlugin.Options>
{
    public override string Name => "flaky";

    public override string Description => "Test plugin with failing evaluations.";

    protected override ISearchTask CreateTask(Options options, TaskCreationContext context) => new Task();

    public sealed class Options;

    private sealed class Task : ISearchTask
    {
        public ISearchSpace Space { get; } = new TinySpace();

        public Objective Objective { get; } = new("score");

        public IReadOnlyList<MetricInfo> Metrics { get; } = [new("score", "token sum"), new("size", "token count", Cheap: true)];

        public IReadOnlyDictionary<string, double> CheapMetrics(Architecture architecture) =>
            new Dictionary<string, double> { ["size"] = architecture.Length };

        public async Task<IReadOnlyDictionary<string, double>> EvaluateAsync(
            Architecture architecture, EvaluationContext context, CancellationToken cancellationToken)
        {
            if (architecture.ToString() == "3 3 3 3") await System.Threading.Tasks.Task.Delay(Timeout.Infinite, cancellationToken);
            if (architecture[0] == 1) throw new InvalidOperationException("the model diverged");
            var score = architecture[0] == 2 && architecture[1] == 1 ? double.NaN : architecture.Tokens.Sum();
            return new Dictionary<string, double> { ["score"] = score };
        }

        public void Dispose()
        {
        }
    }
}
