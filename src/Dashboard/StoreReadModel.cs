using SemiNas.Storage;

namespace SemiNas.Dashboard;

/// <summary>
/// One experiment, its trials and every attempt at them (who ran each, where, and how it ended), and the values plugins
/// reported while they evaluated the trials, as read at one moment.
/// </summary>
public sealed record ExperimentSnapshot(ExperimentRecord Experiment, IReadOnlyList<TrialRecord> Trials, IReadOnlyList<TrialAttempt> Attempts,
    IReadOnlyList<IntermediateValue>? IntermediateValues = null)
{
    /// <summary>What the strategy reported about its iterations (SemiNAS and NAO do); none from other strategies or older stores.</summary>
    public IReadOnlyList<StrategyDiagnosticsRecord> Diagnostics { get; init; } = [];
}

/// <summary>Everything the dashboard and the report show of one store, and the rows that could not be read.</summary>
public sealed record StoreSnapshot(string Path, IReadOnlyList<ExperimentSnapshot> Experiments, IReadOnlyCollection<string> DamagedRows);

/// <summary>
/// The only place the dashboard and the report touch a store (through <see cref="IExperimentStore"/>). Each read opens the store read-only and closes it again: a read never writes and never
/// blocks a search running on the same file (WAL), and a store replaced or vacuumed meanwhile is simply reopened.
/// </summary>
public static class StoreReadModel
{
    public static StoreSnapshot Read(string path)
    {
        using var store = ExperimentStores.OpenReadOnly(path);
        var experiments = store.ListExperiments().Select(e => new ExperimentSnapshot(e, store.LoadTrials(e.Id), store.LoadAttempts(e.Id),
            store.LoadIntermediateValues(e.Id))
        {
            Diagnostics = store.LoadStrategyDiagnostics(e.Id),
        }).ToList();
        return new StoreSnapshot(store.Location, experiments, store.DamagedRows);
    }

    /// <summary>Whether the location is a store (sqlite:PATH, or an SQLite file) rather than, say, a benchmark's summary.json.</summary>
    public static bool LooksLikeStore(string path)
    {
        if (path.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase)) return true;
        Span<byte> header = stackalloc byte[16];
        using var file = File.OpenRead(path);
        return file.ReadAtLeast(header, 16, throwOnEndOfStream: false) == 16 && header.SequenceEqual("SQLite format 3\0"u8);
    }
}
