using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SemiNas.Host.Configuration;
using YamlDotNet.RepresentationModel;

namespace SemiNas.Host.Benchmarks;

// The shape of a benchmark YAML file: one task, several strategies, many seeds. See docs/benchmarks.md.

public sealed class BenchmarkConfig : IValidatableObject
{
    [Required, Range(1, 1), Description("Version of this file format. Must be 1.")]
    public int SchemaVersion { get; set; }

    [Required, RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]*$"), Description("Name of the benchmark; names its output folder.")]
    public string Name { get; set; } = "";

    [Description("Free text copied into the summary.")]
    public string? Description { get; set; }

    [Required, Description("The task every run searches: a tabular plugin, so that evaluations are cheap and exact.")]
    public TaskConfig Task { get; set; } = new();

    [Description("Metric reported for the best architecture by the objective (e.g. test_accuracy while searching on valid_accuracy).")]
    public string ReportMetric { get; set; } = "test_accuracy";

    [Description("Bounds on metrics, as in an experiment file's constraints: every run proposes only architectures within " +
                 "those on cheap metrics, and a result outside one on an evaluated metric is infeasible (never a run's pick).")]
    public Dictionary<string, BoundConfig> Constraints { get; set; } = new();

    [Range(1, 100_000), Description("Seeds per run; seed s of a run is seedOffset + s.")]
    public int Seeds { get; set; } = 50;

    [Range(0, int.MaxValue), Description("First seed minus one.")]
    public int SeedOffset { get; set; }

    [Range(0, 1024), Description("Runs that go at once; 0 means one per CPU core.")]
    public int Parallelism { get; set; }

    [Description("The strategies to compare, each at one or more budgets (a search benchmark).")]
    public List<BenchmarkRunConfig> Runs { get; set; } = new();

    [Description("A predictor-quality study instead of searches: rank correlation of the predictor on held-out architectures.")]
    public PredictorStudyConfig? Predictor { get; set; }

    [Description("Extra folders to search for plugins, relative to this file.")]
    public List<string> PluginPaths { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Runs.Count == 0 && Predictor is null)
            yield return new ValidationResult("give the strategies to compare under runs, or a predictor study under predictor", [nameof(Runs)]);
        if (Runs.Count > 0 && Predictor is not null)
            yield return new ValidationResult("a benchmark is either runs or a predictor study, not both", [nameof(Predictor)]);
        if (Predictor is not null && Constraints.Count > 0)
            yield return new ValidationResult("constraints bound the proposals of search runs; a predictor study has none", [nameof(Constraints)]);
    }
}

/// <summary>
/// The predictor-quality mode: for each labelled-set size N and seed, N architectures are drawn at random and
/// evaluated, the predictor of each variant is trained on them (with or without pseudo-labels), and it ranks
/// held-out architectures; Kendall's τ and Spearman's ρ against their true objective are reported.
/// </summary>
public sealed class PredictorStudyConfig
{
    [Required, MinLength(1), Description("Sizes N of the labelled set.")]
    public List<int> Labelled { get; set; } = new();

    [Range(0, int.MaxValue), Description("Held-out architectures to rank, drawn from the rest of the space; 0 means all of them (the space must be enumerable).")]
    public int HeldOut { get; set; } = 1000;

    [Required, MinLength(1), Description("Predictor variants: a label, strategy seminas or nao, and its options (pseudoLabeled, epochs, sizes).")]
    public List<PredictorVariantConfig> Variants { get; set; } = new();
}

public sealed class PredictorVariantConfig
{
    [Required, Description("Name in tables.")]
    public string Label { get; set; } = "";

    [Description("seminas (with pseudo-labels) or nao (without); picks the options' defaults.")]
    public string Strategy { get; set; } = "seminas";

    [Description("The controller options, as in search.options of the strategy.")]
    public YamlMappingNode? Options { get; set; }
}

public sealed class BenchmarkRunConfig
{
    [Description("Name in tables and plots; defaults to the strategy's name.")]
    public string? Label { get; set; }

    [Required, Description("Search strategy, as in search.strategy.")]
    public string Strategy { get; set; } = "";

    [Required, MinLength(1), Description("Budgets (evaluations per run) at which the strategy runs.")]
    public List<int> Budgets { get; set; } = new();

    [Description("The strategy's options, as in search.options.")]
    public YamlMappingNode? Options { get; set; }
}
