using SemiNas.Contracts;

namespace SemiNas.Plugins.NasBench.NasBench101;

/// <summary>
/// The "nasbench101" task: search the NAS-Bench-101 cell space (the SemiNAS paper's own benchmark) with table lookups,
/// on the official data file or on the 20,001-cell slice shipped with the plugin.
/// </summary>
public sealed class NasBench101Plugin : TaskPlugin<NasBench101Options>
{
    /// <summary>The cache beside the data file unless the options name another place.</summary>
    public const string CacheSuffix = ".seminas-cache";

    public override string Name => "nasbench101";

    public override string Description =>
        "NAS-Bench-101: cells of up to 7 vertices and 9 edges (conv3x3, conv1x1, maxpool3x3), 423,624 distinct cells " +
        "trained 3 times for 108 epochs on CIFAR-10, evaluated by table lookup. Reads the official " +
        "nasbench_only108.tfrecord when dataFile names it; otherwise searches only the 20,001 cells of the shipped " +
        "slice (validation accuracy of one run, no test accuracy).";

    protected override ISearchTask CreateTask(NasBench101Options options, TaskCreationContext context)
    {
        if (string.IsNullOrWhiteSpace(options.DataFile))
            return new NasBench101Task(NasBench101Table.Slice, options.Query);
        var dataFile = Path.GetFullPath(options.DataFile, Path.GetFullPath(context.ConfigDirectory));
        if (!File.Exists(dataFile))
            throw new TaskConfigurationException(
                $"the NAS-Bench-101 data file '{dataFile}' does not exist. Download nasbench_only108.tfrecord " +
                "(see plugins/NasBench/Data/README.md) or leave dataFile empty to use the shipped 20,001-cell slice.", "dataFile");
        var cacheFile = string.IsNullOrWhiteSpace(options.CacheFile)
            ? dataFile + CacheSuffix
            : Path.GetFullPath(options.CacheFile, Path.GetFullPath(context.ConfigDirectory));
        return new NasBench101Task(NasBench101Table.LoadOfficial(dataFile, cacheFile), options.Query);
    }
}
