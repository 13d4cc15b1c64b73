using SemiNas.Contracts;

namespace SemiNas.Host.Tests.Reliability;

/// <summary>An in-process plugin that breaks one of its hooks on purpose: 3 positions of tokens 1..2.</summary>
public sealed class MisbehavingPlugin : TaskPlugin<MisbehavingPlugin.Options>
{
    public enum Fault
    {
        None,
        NullResult,
        ThrowingCheapMetrics,
        ThrowingDispose,
        ThrowingCheckInputs,
    }

    public override string Name => "misbehaving";

    public override string Description => "Test plugin whose chosen hook fails.";

    protected override ISearchTask CreateTask(Options options, TaskCreationContext context) => new Task(options.Fault);

    public sealed class Options
    {
        public Fault Fault { get; set; }
    }

    private sealed class Task(Fault fault) : ISearchTask, ISearchSpace, IStartupCheck
    {
        public ISearchSpace Space => this;

        public Objective Objective { get; } = new("score");

        public IReadOnlyList<MetricInfo> Metrics { get; } = [new("score", "token sum"), new("ones", "tokens equal to 1", Cheap: true)];

        public int Length => 3;

        public int VocabularySize => 3;

        public IReadOnlyList<IReadOnlyList<int>> AllowedTokens { get; } = Enumerable.Repeat<IReadOnlyList<int>>([1, 2], 3).ToList();

        public Architecture Sample(Random random) => new(Enumerable.Range(0, 3).Select(_ => random.Next(1, 3)));

        public bool IsValid(Architecture architecture, out string? reason)
        {
            reason = architecture.Length == 3 && architecture.Tokens.All(t => t is 1 or 2) ? null : "3 tokens of 1..2";
            return reason is null;
        }

        public string CanonicalKey(Architecture architecture) => architecture.ToString();

        public string Describe(Architecture architecture) => architecture.ToString();

        public IReadOnlyDictionary<string, double> CheapMetrics(Architecture architecture) =>
            fault == Fault.ThrowingCheapMetrics
                ? throw new IndexOutOfRangeException("no such layer")
                : new Dictionary<string, double> { ["ones"] = architecture.Tokens.Count(t => t == 1) };

        public Task<IReadOnlyDictionary<string, double>> EvaluateAsync(
            Architecture architecture, EvaluationContext context, CancellationToken cancellationToken) =>
            System.Threading.Tasks.Task.FromResult(fault == Fault.NullResult
                ? null!
                : (IReadOnlyDictionary<string, double>)new Dictionary<string, double> { ["score"] = architecture.Tokens.Sum() });

        public void CheckInputs(TextWriter report)
        {
            if (fault == Fault.ThrowingCheckInputs) throw new FileNotFoundException("the data file /nowhere/data.bin does not exist");
        }

        public void Dispose()
        {
            if (fault == Fault.ThrowingDispose) throw new InvalidOperationException("the handle was already closed");
        }
    }
}
