using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using YamlDotNet.RepresentationModel;

namespace SemiNas.Host.Configuration;

// The shape of an experiment YAML file. Property names appear in YAML in camelCase.
// Every property carries a [Description]: `seminas validate` and docs/configuration.md show them.

public sealed class ExperimentConfig
{
    [Required, Range(1, 1), Description("Version of this file format. Must be 1.")]
    public int SchemaVersion { get; set; }

    [Required, RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]*$"),
     Description("Name of the experiment: letters, digits, '.', '_' and '-'. Names the store file and identifies the experiment inside it.")]
    public string Name { get; set; } = "";

    [Description("Free text shown by `seminas status`.")]
    public string? Description { get; set; }

    [Description("Seed of every random choice of the search (strategy, sampling, evaluation seeds).")]
    public int Seed { get; set; }

    [Required, Description("The task: which plugin, and its options.")]
    public TaskConfig Task { get; set; } = new();

    [Required, Description("The search strategy, its options and the budget.")]
    public SearchConfig Search { get; set; } = new();

    [Description("Bounds on metrics, by metric name, e.g. `flops: {max: 600e6}`. Bounds on cheap metrics reject a candidate before evaluation; bounds on evaluated metrics make a completed trial infeasible.")]
    public Dictionary<string, BoundConfig> Constraints { get; set; } = new();

    [Description("How trials run: parallel workers, device, time limit and attempts.")]
    public ExecutionConfig Execution { get; set; } = new();

    [Description("Where the experiment is stored.")]
    public StorageConfig Storage { get; set; } = new();

    [Description("Extra folders to search for plugins, relative to this file; the `plugins` folder beside the host is always searched.")]
    public List<string> PluginPaths { get; set; } = new();
}

public sealed class TaskConfig
{
    [Required, Description("Name of the task plugin, as listed by `seminas plugins`.")]
    public string Plugin { get; set; } = "";

    [Description("The plugin's own options; `seminas plugins` lists them with their defaults.")]
    public YamlMappingNode? Options { get; set; }
}

public sealed class SearchConfig
{
    [Description("Search strategy: random (more come with the controller).")]
    public string Strategy { get; set; } = "random";

    [Required, Range(1, 10_000_000), Description("Number of trials to evaluate (completed plus failed).")]
    public int Budget { get; set; }

    [Description("The strategy's own options.")]
    public YamlMappingNode? Options { get; set; }
}

public sealed class BoundConfig
{
    [Description("Smallest allowed value (inclusive).")]
    public double? Min { get; set; }

    [Description("Largest allowed value (inclusive).")]
    public double? Max { get; set; }
}

public enum DeviceKind
{
    Auto,
    Cpu,
    Cuda,
}

public sealed class ExecutionConfig : IValidatableObject
{
    [Range(0, 1024), Description("Evaluations that run at the same time. 0: seminas search only proposes, and seminas worker processes (on this machine or others, against the same store) evaluate.")]
    public int Workers { get; set; } = 1;

    [Description("Device for evaluations: cpu, cuda, or auto (cuda when available, else cpu).")]
    public DeviceKind Device { get; set; } = DeviceKind.Auto;

    [Range(1, 1024), Description("CPU threads of libtorch (the controller and plugins that train on the CPU). Default: libtorch's own choice, one per core. The SemiNAS controller's small models run fastest on 1.")]
    public int? Threads { get; set; }

    [Range(0.001, double.MaxValue), Description("Seconds after which a running evaluation is cancelled and its trial FAILED. No limit when absent.")]
    public double? TrialTimeoutSeconds { get; set; }

    [Range(1, 100), Description("Starts of a trial whose evaluation ends its process (killed, out of memory, a native crash) before the trial is marked FAILED with the reason of each. Attempts stopped by Ctrl-C or SIGTERM do not count.")]
    public int MaxAttempts { get; set; } = 2;

    [Description("Where seminas search evaluates: auto (worker processes, or in its own process for tasks that say so, such as table lookups), process (execution.workers local `seminas worker` processes, so a crash in an evaluation ends one worker, not the search) or inProcess (threads of the search's own process).")]
    public Isolation Isolation { get; set; } = Isolation.Auto;

    [Description("Devices of the evaluations, one per worker in turn: worker i gets devices[i mod count]. Each is cpu, cuda, cuda:N or auto. Overrides device.")]
    public List<string>? Devices { get; set; }

    [Description("With in-process evaluation: also keep one trial waiting for `seminas worker` processes started beside the search on its store (it does anyway while one of them runs a trial).")]
    public bool FeedWorkers { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Devices is null) yield break;
        if (Devices.Count == 0)
            yield return new ValidationResult("give at least one device (cpu, cuda, cuda:N or auto), or leave the key out.", [nameof(Devices)]);
        for (var i = 0; i < Devices.Count; i++)
            if (!IsDevice(Devices[i]))
                yield return new ValidationResult(
                    $"entry {i}, '{Devices[i]}', is not a device: use cpu, cuda, cuda:N (N a GPU's index, e.g. cuda:1) or auto.", [nameof(Devices)]);
    }

    /// <summary>cpu, cuda, cuda:N or auto, as TorchSharp and the plugins read them.</summary>
    public static bool IsDevice(string text) =>
        text is "cpu" or "cuda" or "auto"
        || (text.StartsWith("cuda:", StringComparison.Ordinal) && text.Length > 5 && text.Length <= 9 && text[5..].All(char.IsAsciiDigit));
}

public enum Isolation
{
    Auto,
    Process,
    InProcess,
}

public sealed class StorageConfig : IValidatableObject
{
    [Description("Where the experiment is stored: a file path or sqlite:PATH (an SQLite file), relative to the working directory, or postgresql://USER@HOST:PORT/DATABASE. Default: experiments/<name>.sqlite.")]
    public string? Url { get; set; }

    [Description("The SQLite file of the experiment, relative to the working directory: the same as url with a plain path (kept for files written before url existed).")]
    public string? Path { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Url is not null && Path is not null)
            yield return new ValidationResult("give url or path, not both (path is the older spelling of a file url).", [nameof(Url)]);
    }
}
