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

    private sealed class Task : ISearchTask, ISearchSpace
    {
        public ISearchSpace Space => this;

        public Objective Objective { get; } = new("score");

        public IReadOnlyList<MetricInfo> Metrics { get; } = [new("score", "token sum"), new("size", "token count", Cheap: true)];

        public int Length => 4;

        public int VocabularySize => 4;

        public IReadOnlyList<IReadOnlyList<int>> AllowedTokens { get; } = Enumerable.Repeat<IReadOnlyList<int>>([1, 2, 3], 4).ToList();

        public Architecture Sample(Random random) => new(Enumerable.Range(0, 4).Select(_ => random.Next(1, 4)));

        public bool IsValid(Architecture architecture, out string? reason)
        {
            reason = architecture.Length == 4 && architecture.Tokens.All(t => t is >= 1 and <= 3) ? null : "4 tokens of 1..3";
            return reason is null;
        }

        public string CanonicalKey(Architecture architecture) => architecture.ToString();

        public string Describe(Architecture architecture) => architecture.ToString();

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
