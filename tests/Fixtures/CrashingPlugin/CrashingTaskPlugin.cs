using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SemiNas.Contracts;

namespace SemiNas.Fixtures.CrashingPlugin;

/// <summary>
/// <c>crashing</c>: 3 positions of tokens 1..4; an evaluation takes <c>delayMs</c> and scores the sum of the tokens,
/// except that one whose first token is <c>crashToken</c> calls <see cref="Environment.FailFast(string)"/>, as a
/// native fault or an out-of-memory kill would end the process.
/// </summary>
public sealed class CrashingTaskPlugin : TaskPlugin<CrashingTaskPlugin.Options>
{
    public override string Name => "crashing";

    public override string Description => "Test fixture: evaluations of architectures starting with crashToken end the process (Environment.FailFast).";

    protected override ISearchTask CreateTask(Options options, TaskCreationContext context) =>
        options.BrokenWorkers && Environment.GetCommandLineArgs().Contains("worker")
            ? throw new InvalidOperationException("crashing plugin: brokenWorkers is set, so no `seminas worker` can create this task")
            : new CrashingTask(options);

    public sealed class Options
    {
        [Description("First token of the architectures whose evaluation calls Environment.FailFast; 0 for none."), Range(0, 4)]
        public int CrashToken { get; set; } = 4;

        [Description("Milliseconds each evaluation takes."), Range(0, 600_000)]
        public int DelayMs { get; set; } = 100;

        [Description("Whether evaluations may overlap (ISearchTask.ConcurrentEvaluations).")]
        public bool Concurrent { get; set; } = true;

        [Description("The task cannot be created in a `seminas worker` process, as on a worker whose install is broken.")]
        public bool BrokenWorkers { get; set; }
    }

    private sealed class CrashingTask(Options options) : ISearchTask
    {
        public ISearchSpace Space { get; } = new Space3();

        public Objective Objective { get; } = new("score", MetricGoal.Maximize);

        public IReadOnlyList<MetricInfo> Metrics { get; } = [new("score", "Sum of the tokens")];

        public bool ConcurrentEvaluations => options.Concurrent;

        public IReadOnlyDictionary<string, double> CheapMetrics(Architecture architecture) => new Dictionary<string, double>();

        public async Task<IReadOnlyDictionary<string, double>> EvaluateAsync(Architecture architecture, EvaluationContext context,
            CancellationToken cancellationToken)
        {
            await Task.Delay(options.DelayMs, cancellationToken);
            if (architecture.Tokens[0] == options.CrashToken)
                Environment.FailFast($"crashing plugin: [{architecture}] starts with {options.CrashToken} (device {context.Device})");
            return new Dictionary<string, double> { ["score"] = architecture.Tokens.Sum() };
        }

        public void Dispose()
        {
        }
    }

    private sealed class Space3 : ISearchSpace
    {
        public int Length => 3;

        public int VocabularySize => 5;

        public IReadOnlyList<IReadOnlyList<int>> AllowedTokens { get; } = Enumerable.Repeat<IReadOnlyList<int>>([1, 2, 3, 4], 3).ToList();

        public Architecture Sample(Random random) => new(Enumerable.Range(0, 3).Select(_ => random.Next(1, 5)));

        public bool IsValid(Architecture architecture, out string? reason)
        {
            reason = architecture.Length == 3 && architecture.Tokens.All(t => t is >= 1 and <= 4) ? null : "3 tokens of 1..4";
            return reason is null;
        }

        public string CanonicalKey(Architecture architecture) => architecture.ToString();

        public string Describe(Architecture architecture) => architecture.ToString();
    }
}
