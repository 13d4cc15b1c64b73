using System.ComponentModel;
using System.Runtime.Serialization;

namespace SemiNas.Plugins.NasBench.NasBench101;

/// <summary>How an evaluation turns a cell's recorded runs into its validation accuracy.</summary>
public enum NasBench101Query
{
    [EnumMember(Value = "random-run")]
    [Description("One of the three 108-epoch runs, drawn per trial from its seed, as the official API's query() does: " +
                 "the noisy answer the SemiNAS paper searched with (YAML: random-run).")]
    RandomRun,

    [Description("The mean validation accuracy of the three runs: a noise-free answer (YAML: mean).")]
    Mean,
}

/// <summary><c>task.options</c> of the nasbench101 plugin.</summary>
public sealed class NasBench101Options
{
    [Description("The official nasbench_only108.tfrecord (relative to the experiment file), converted once to a cached " +
                 "table. Empty (default): the 20,001-cell slice shipped with the plugin, where only the slice's cells " +
                 "are valid and there is one run per cell and no test accuracy.")]
    public string? DataFile { get; set; }

    [Description("Where the converted table of dataFile is kept (relative to the experiment file). Default: beside " +
                 "dataFile, with '.seminas-cache' appended to its name.")]
    public string? CacheFile { get; set; }

    [Description("Which validation accuracy an evaluation returns: random-run (default; one run at random, as the " +
                 "official API) or mean (the mean of the three runs). The slice has one run, so both give that run.")]
    public NasBench101Query Query { get; set; } = NasBench101Query.RandomRun;
}
