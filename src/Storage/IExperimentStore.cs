using SemiNas.Core;
using SemiNas.Storage.Postgres;

namespace SemiNas.Storage;

/// <summary>
/// Where experiments, their trials and their strategies' saved state are kept. Every change is atomic: new trials are
/// recorded together with the strategy state that proposed them, each result on its own, and no canonical key is ever
/// recorded twice for one experiment. <see cref="ExperimentStore"/> (SQLite) and
/// <see cref="PostgresExperimentStore"/> implement it; any other must pass the same conformance tests (tests/SemiNas.Host.Tests/Storage/StoreConformanceTests.cs).
/// </summary>
public interface IExperimentStore : IDisposable
{
    /// <summary>Where the store is, as users name it (a file path or a URL without its password): for messages.</summary>
    string Location { get; }

    /// <summary>The folder for files that belong to the store's experiments (trial checkpoints, final models).</summary>
    string ArtifactDirectory { get; }

    IReadOnlyList<ExperimentRecord> ListExperiments();

    ExperimentRecord? FindExperiment(string name);

    ExperimentRecord CreateExperiment(NewExperiment experiment);

    /// <summary>Claims the experiment for this process; refuses while another live process holds it.</summary>
    void AcquireOwnership(long experimentId, TimeSpan staleAfter);

    void ReleaseOwnership(long experimentId);

    /// <summary>Tells other processes that the experiment's owner is alive (its trials' leases: <see cref="RenewLeases"/>).</summary>
    void Heartbeat(long experimentId);

    /// <summary>Gives an experiment another budget; a larger one reopens a finished experiment.</summary>
    void SetBudget(long experimentId, int budget);

    void MarkFinished(long experimentId);

    /// <summary>Every readable trial, by number; damaged ones are left out and described in <see cref="DamagedRows"/>.</summary>
    IReadOnlyList<TrialRecord> LoadTrials(long experimentId);

    /// <summary>What could not be read so far, each naming the store, the table, the trial and the field.</summary>
    IReadOnlyCollection<string> DamagedRows { get; }

    TrialRecord LoadTrial(long trialId);

    /// <summary>Records new WAITING trials and the strategy state that proposed them, in one atomic step.</summary>
    IReadOnlyList<TrialRecord> AddTrials(long experimentId, IReadOnlyList<NewTrial> trials, byte[] strategyState);

    byte[]? LoadStrategyState(long experimentId);

    /// <summary>
    /// Starts an attempt at a WAITING trial: it becomes RUNNING, held by <paramref name="owner"/> (a
    /// <see cref="ProcessOwner"/> or a worker's name) until <paramref name="lease"/> from now. Atomic: of two processes
    /// claiming one trial, one gets it and the other a <see cref="StoreException"/>; so does an
    /// <see cref="ClaimOptions.Exclusive"/> claim while another trial of the experiment runs (the trial then still waits).
    /// </summary>
    TrialRecord ClaimTrial(long trialId, string owner, TimeSpan lease, ClaimOptions? options = null);

    /// <summary>
    /// Claims the experiment's lowest-numbered WAITING trial as <see cref="ClaimTrial"/> does; null when none waits, or
    /// when the claim is <see cref="ClaimOptions.Exclusive"/> and a trial of the experiment is RUNNING.
    /// </summary>
    TrialRecord? ClaimNextWaiting(long experimentId, string owner, TimeSpan lease, ClaimOptions? options = null);

    /// <summary>Extends the leases of every trial <paramref name="owner"/> runs to <paramref name="lease"/> from now; returns how many.</summary>
    int RenewLeases(string owner, TimeSpan lease);

    /// <summary>Records a RUNNING trial's result and ends its attempt as <see cref="AttemptEnd.Completed"/>.</summary>
    void MarkComplete(long trialId, IReadOnlyDictionary<string, double> metrics, double objective, bool feasible);

    /// <summary>Records a RUNNING trial's failure and ends its attempt as <see cref="AttemptEnd.Failed"/>.</summary>
    void MarkFailed(long trialId, string error, IReadOnlyDictionary<string, double>? metrics = null);

    /// <summary>
    /// Ends the attempts whose holder is gone: a lease that ran out, or a <see cref="ProcessOwner"/> of this machine
    /// that no longer runs. Their trials go back to WAITING, or become FAILED, with every attempt's reason in the error,
    /// once <paramref name="maxAttempts"/> attempts have ended so. Trials that live holders run are left alone.
    /// Returns the trials it changed, as they are now.
    /// </summary>
    IReadOnlyList<TrialRecord> RequeueExpired(long experimentId, int maxAttempts);

    /// <summary>
    /// Puts the trials <paramref name="owner"/> runs back to WAITING, their attempts ended as
    /// <see cref="AttemptEnd.Interrupted"/> with <paramref name="reason"/> (a clean stop: these do not count against
    /// the attempt limit). Returns how many.
    /// </summary>
    int Release(string owner, string reason);

    /// <summary>Every attempt at the experiment's trials, by trial and attempt number.</summary>
    IReadOnlyList<TrialAttempt> LoadAttempts(long experimentId);

    /// <summary>
    /// Records what the strategy tells about one of its iterations; values of an iteration already reported are added
    /// to it, a name reported again replaces its value (a rank correlation known only once the batch is evaluated).
    /// </summary>
    void SaveStrategyDiagnostics(long experimentId, StrategyDiagnostics diagnostics);

    /// <summary>The strategy's reports, by iteration; none in a store from before schema 4.</summary>
    IReadOnlyList<StrategyDiagnosticsRecord> LoadStrategyDiagnostics(long experimentId);

    /// <summary>
    /// Records values a plugin reported at steps of a trial's evaluation, all in one transaction (the host saves a
    /// plugin that reports every training step in batches, not one commit per step); a name reported again at a step
    /// (a re-run) replaces its value there.
    /// </summary>
    void SaveIntermediateValues(long trialId, IReadOnlyList<StepValues> steps);

    /// <summary>Every intermediate value of the experiment's trials, by trial number, step and name; none before schema 4.</summary>
    IReadOnlyList<IntermediateValue> LoadIntermediateValues(long experimentId);
}

/// <summary>Opens a store from what users write in <c>--storage</c> or <c>storage.url</c>.</summary>
public static class ExperimentStores
{
    /// <summary>
    /// <c>postgresql://</c> or <c>postgres://</c> is a PostgreSQL database (<see cref="PostgresExperimentStore"/>);
    /// <c>sqlite:PATH</c> or a plain path is an SQLite file. Other schemes are refused with the list of those this
    /// build supports.
    /// </summary>
    public static IExperimentStore Open(string location, bool mustExist = false) =>
        PostgresLocation.Matches(location)
            ? PostgresExperimentStore.Open(location, mustExist)
            : ExperimentStore.Open(SqlitePath(location), mustExist);

    /// <summary>Opens an existing store for reading only (status, export, reports); never writes to it.</summary>
    public static IExperimentStore OpenReadOnly(string location) =>
        PostgresLocation.Matches(location)
            ? PostgresExperimentStore.OpenReadOnly(location)
            : ExperimentStore.OpenReadOnly(SqlitePath(location));

    /// <summary>The location as messages show it: a URL without its password.</summary>
    public static string Display(string location) =>
        PostgresLocation.Matches(location) ? PostgresLocation.Parse(location).Display : location;

    /// <summary>
    /// How to pass the location to a child process: its command line is readable by every user of the machine
    /// (<c>ps</c>), its environment only by its owner, so a PostgreSQL URL goes without its password and the password
    /// goes in the child's <c>PGPASSWORD</c>, where the URL without one looks it up.
    /// </summary>
    public static (string Location, IReadOnlyDictionary<string, string> Environment) ForChildProcess(string location)
    {
        if (!PostgresLocation.Matches(location)) return (location, new Dictionary<string, string>());
        var parsed = PostgresLocation.Parse(location);
        return (parsed.Display, parsed.Connection.Password is { } password
            ? new Dictionary<string, string> { ["PGPASSWORD"] = password }
            : new Dictionary<string, string>());
    }

    /// <summary>Whether the location names a database server (<c>postgresql://</c>) rather than a file.</summary>
    public static bool IsDatabaseUrl(string location) => PostgresLocation.Matches(location);

    /// <summary>The SQLite file a location names; throws for a location of another kind.</summary>
    public static string SqlitePath(string location)
    {
        if (location.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            var path = location["sqlite:".Length..];
            // sqlite:///abs/path and sqlite://rel as well as sqlite:path, the forms other tools write.
            if (path.StartsWith("//", StringComparison.Ordinal)) path = path[2..];
            return path.Length > 0 ? path : throw new StoreException($"'{location}': no file after 'sqlite:'.");
        }
        var scheme = location.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0 && !location[..scheme].Contains('/') && !location[..scheme].Contains('\\'))
            throw new StoreException($"'{location[..scheme]}://' stores are not supported by this seminas; use a file path, sqlite:PATH or postgresql://.");
        return location;
    }
}
