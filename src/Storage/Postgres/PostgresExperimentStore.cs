using System.Data;
using System.Diagnostics;
using Npgsql;
using SemiNas.Core;

namespace SemiNas.Storage.Postgres;

/// <summary>
/// Experiments, trials and strategy snapshots in a PostgreSQL database, for searches whose workers run on several
/// machines. The tables are the SQLite store's (in a schema named <c>seminas</c>, so that several experiments and other
/// programs share one database); each change is one transaction, most of them one statement. Claims lock the row they take
/// (<c>FOR UPDATE SKIP LOCKED</c>), so two workers never start one trial. Times are the server's clock, so that
/// leases mean the same on every machine. Connection failures and serialisation conflicts are retried with backoff for
/// <see cref="RetryFor"/>, then reported naming the store; a result is recorded or its error surfaces, never dropped.
/// Thread-safe: every call takes its own pooled connection.
/// </summary>
public sealed class PostgresExperimentStore : IExperimentStore
{
    /// <summary>Numbered as the SQLite store's schema: version 3 holds what SQLite's third version holds.</summary>
    public const int SchemaVersion = 4;

    /// <summary>The PostgreSQL schema that holds the tables.</summary>
    public const string Schema = "seminas";

    /// <summary>How long a call keeps retrying a server that cannot be reached, by default.</summary>
    public static readonly TimeSpan DefaultRetryFor = TimeSpan.FromSeconds(30);

    /// <summary>Any number that no other program's advisory lock is likely to use: "SemiNAS" in ASCII.</summary>
    private const long MigrationLock = 0x53656D694E4153;

    private const string NoMetrics = "'{}'";

    private readonly PostgresLocation _location;
    private readonly NpgsqlDataSource _source;
    private readonly Lock _lock = new();
    private readonly HashSet<string> _damaged = new(StringComparer.Ordinal);
    // The schema the database holds: a read-only store of an older one reads what it lacks as empty.
    private int _version = SchemaVersion;

    private PostgresExperimentStore(PostgresLocation location, NpgsqlDataSource source, TimeSpan retryFor)
    {
        _location = location;
        _source = source;
        RetryFor = retryFor;
    }

    public string Location => _location.Display;

    /// <summary>
    /// <c>./experiments/DATABASE</c> under the directory seminas runs in, or the URL's <c>artifacts</c> parameter: a
    /// database has no folder beside it, and each machine keeps its trials' files where it runs them.
    /// </summary>
    public string ArtifactDirectory => _location.ArtifactDirectory;

    public TimeSpan RetryFor { get; }

    /// <summary>Opens the store, creating its schema in the database when missing. The database itself must exist.</summary>
    /// <param name="mustExist">When true, a database without the schema is an error instead of a new store.</param>
    public static PostgresExperimentStore Open(string url, bool mustExist = false, TimeSpan? retryFor = null)
    {
        var location = PostgresLocation.Parse(url);
        var store = Create(location, readOnly: false, retryFor);
        try
        {
            store.Write("open the store", (connection, _, _) => Migrate(connection, store, mustExist), transaction: false);
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens an existing store for reading only (status, export, reports): every transaction is read-only, so any
    /// attempt to write through it fails, and a user who may only read the tables can use it.
    /// </summary>
    public static PostgresExperimentStore OpenReadOnly(string url, TimeSpan? retryFor = null)
    {
        var location = PostgresLocation.Parse(url);
        var store = Create(location, readOnly: true, retryFor);
        try
        {
            var version = store.Read("open the store", connection => StoredVersion(connection));
            if (version is null) throw new StoreException($"{store.Location}: not an experiment store (no {Schema} schema in the database).");
            if (version > SchemaVersion)
                throw new StoreException($"{store.Location}: the store has schema version {version}; this seminas reads up to {SchemaVersion}. Use a newer seminas.");
            store._version = version.Value;
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static PostgresExperimentStore Create(PostgresLocation location, bool readOnly, TimeSpan? retryFor)
    {
        var connection = new NpgsqlConnectionStringBuilder(location.Connection.ConnectionString)
        {
            // No call changes a session's state, so a pooled connection needs no DISCARD ALL before its next use.
            NoResetOnClose = true,
        };
        if (readOnly) connection.Options = "-c default_transaction_read_only=on";
        return new PostgresExperimentStore(location, NpgsqlDataSource.Create(connection.ConnectionString), retryFor ?? DefaultRetryFor);
    }

    private static int? StoredVersion(NpgsqlConnection connection)
    {
        // pg_tables, not to_regclass: a lookup by name may answer from a cache that missed the table another process
        // created while this one waited for the migration lock; a query sees what was committed when it started.
        if (Scalar(connection, null, $"SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = '{Schema}' AND tablename = 'schema_version');") is not true)
            return null;
        return Scalar(connection, null, $"SELECT MAX(version) FROM {Schema}.schema_version;") as int?;
    }

    /// <summary>
    /// Creates or upgrades the schema under an advisory lock held until the transaction ends, so that of two processes
    /// starting at once on a new database, the second waits and then finds the first one's tables.
    /// </summary>
    private static int Migrate(NpgsqlConnection connection, PostgresExperimentStore store, bool mustExist)
    {
        if (StoredVersion(connection) == SchemaVersion) return SchemaVersion;
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction, "SELECT pg_advisory_xact_lock(@lock);", ("lock", MigrationLock));
        var version = StoredVersion(connection);
        if (version > SchemaVersion)
            throw new StoreException($"{store.Location}: the store has schema version {version}; this seminas reads up to {SchemaVersion}. Use a newer seminas.");
        if (version == SchemaVersion) return SchemaVersion;
        if (version is null)
        {
            if (mustExist) throw new StoreException($"{store.Location}: no such experiment store (no {Schema} schema in the database).");
            CreateVersion3(connection, transaction);
        }
        // Version 4: the device of each attempt, the strategy's per-iteration diagnostics and plugins' intermediate values.
        if (version is null or < 4) Execute(connection, transaction, $"""
            ALTER TABLE {Schema}.trial_attempts ADD COLUMN device text;
            CREATE TABLE {Schema}.strategy_diagnostics (
                experiment_id  bigint NOT NULL REFERENCES {Schema}.experiments(id),
                iteration      integer NOT NULL,
                name           text NOT NULL,
                value          double precision,
                recorded_at    timestamptz NOT NULL,
                PRIMARY KEY (experiment_id, iteration, name)
            );
            CREATE TABLE {Schema}.trial_values (
                trial_id     bigint NOT NULL REFERENCES {Schema}.trials(id),
                step         integer NOT NULL,
                name         text NOT NULL,
                value        double precision,
                recorded_at  timestamptz NOT NULL,
                PRIMARY KEY (trial_id, step, name)
            );
            UPDATE {Schema}.schema_version SET version = {SchemaVersion};
            """);
        transaction.Commit();
        return SchemaVersion;
    }

    private static void CreateVersion3(NpgsqlConnection connection, NpgsqlTransaction transaction) =>
        Execute(connection, transaction, $"""
            CREATE SCHEMA IF NOT EXISTS {Schema};
            CREATE TABLE {Schema}.schema_version (version integer NOT NULL);
            CREATE TABLE {Schema}.experiments (
                id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                name              text NOT NULL UNIQUE,
                plugin            text NOT NULL,
                strategy          text NOT NULL,
                budget            integer NOT NULL,
                objective_metric  text NOT NULL,
                objective_goal    text NOT NULL,
                config_text       text NOT NULL,
                config_json       text NOT NULL,
                config_path       text,
                fingerprint       text NOT NULL,
                parent_id         bigint REFERENCES {Schema}.experiments(id),
                created_at        timestamptz NOT NULL,
                finished_at       timestamptz,
                owner             text,
                owner_heartbeat   timestamptz
            );
            CREATE TABLE {Schema}.trials (
                id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                experiment_id      bigint NOT NULL REFERENCES {Schema}.experiments(id),
                number             integer NOT NULL,
                tokens             text NOT NULL,
                canonical_key      text NOT NULL,
                description        text NOT NULL,
                state              text NOT NULL CHECK (state IN ('WAITING', 'RUNNING', 'COMPLETE', 'FAILED')),
                objective          double precision,
                feasible           boolean NOT NULL DEFAULT true,
                cheap_metrics_json text NOT NULL,
                metrics_json       text NOT NULL DEFAULT {NoMetrics},
                error              text,
                attempts           integer NOT NULL DEFAULT 0,
                created_at         timestamptz NOT NULL,
                started_at         timestamptz,
                finished_at        timestamptz,
                heartbeat          timestamptz,
                UNIQUE (experiment_id, number),
                UNIQUE (experiment_id, canonical_key)
            );
            CREATE INDEX trials_by_state ON {Schema}.trials(experiment_id, state, number);
            CREATE TABLE {Schema}.strategy_snapshots (
                experiment_id  bigint PRIMARY KEY REFERENCES {Schema}.experiments(id),
                trial_count    integer NOT NULL,
                created_at     timestamptz NOT NULL,
                state          bytea NOT NULL
            );
            CREATE TABLE {Schema}.trial_attempts (
                id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                trial_id     bigint NOT NULL REFERENCES {Schema}.trials(id),
                number       integer NOT NULL,
                owner        text NOT NULL,
                started_at   timestamptz NOT NULL,
                lease_until  timestamptz NOT NULL,
                ended_at     timestamptz,
                outcome      text CHECK (outcome IN ('COMPLETED', 'FAILED', 'INTERRUPTED', 'LEASE_EXPIRED')),
                reason       text,
                UNIQUE (trial_id, number)
            );
            CREATE INDEX open_attempts_by_owner ON {Schema}.trial_attempts(owner) WHERE ended_at IS NULL;
            INSERT INTO {Schema}.schema_version (version) VALUES (3);
            """);

    public IReadOnlyList<ExperimentRecord> ListExperiments() =>
        Read("list the experiments", connection => ReadAll(connection, null, "SELECT * FROM experiments ORDER BY id;", StoreRows.ReadExperiment));

    public ExperimentRecord? FindExperiment(string name) =>
        Read("find an experiment", connection =>
            ReadAll(connection, null, "SELECT * FROM experiments WHERE name = @name;", StoreRows.ReadExperiment, ("name", name)).FirstOrDefault());

    public ExperimentRecord CreateExperiment(NewExperiment experiment) =>
        Write("create an experiment", (connection, transaction, _) =>
        {
            try
            {
                return ReadAll(connection, transaction, """
                    INSERT INTO experiments (name, plugin, strategy, budget, objective_metric, objective_goal,
                                             config_text, config_json, config_path, fingerprint, parent_id, created_at)
                    VALUES (@name, @plugin, @strategy, @budget, @metric, @goal, @text, @json, @path, @fingerprint, @parent, now())
                    RETURNING *;
                    """, StoreRows.ReadExperiment,
                    ("name", experiment.Name), ("plugin", experiment.Plugin), ("strategy", experiment.Strategy),
                    ("budget", experiment.Budget), ("metric", experiment.Objective.Metric),
                    ("goal", experiment.Objective.Goal.ToString()), ("text", experiment.ConfigText),
                    ("json", experiment.ConfigJson), ("path", experiment.ConfigPath), ("fingerprint", experiment.Fingerprint),
                    ("parent", experiment.ParentId)).Single();
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                throw new StoreException($"{Location} already holds an experiment named '{experiment.Name}'.", e);
            }
        });

    /// <summary>
    /// Claims the experiment for this process, as the SQLite store does; the holder's heartbeat is judged by its age on
    /// the server's clock, so that machines whose clocks differ agree on it.
    /// </summary>
    public void AcquireOwnership(long experimentId, TimeSpan staleAfter) =>
        Write("take over the experiment", (connection, transaction, _) =>
        {
            using (var read = Command(connection, transaction, "SELECT owner, owner_heartbeat, now() FROM experiments WHERE id = @id FOR UPDATE;", ("id", experimentId)))
            using (var reader = read.ExecuteReader())
            {
                if (reader.Read() && !reader.IsDBNull(0))
                {
                    var owner = ProcessOwner.Parse(reader.GetString(0));
                    var heartbeat = reader.GetFieldValue<DateTimeOffset>(1);
                    var age = reader.GetFieldValue<DateTimeOffset>(2) - heartbeat;
                    if (owner != ProcessOwner.Current && owner.IsAlive(DateTimeOffset.UtcNow - age, staleAfter))
                        throw new StoreException(
                            $"{Location}: the experiment is being run by process {owner.ProcessId} on {owner.Machine} " +
                            $"(last heartbeat {heartbeat:u}). Stop it first, or wait {staleAfter.TotalSeconds:0} s after it died.");
                }
            }
            return Execute(connection, transaction, "UPDATE experiments SET owner = @owner, owner_heartbeat = now() WHERE id = @id;",
                ("owner", ProcessOwner.Current.ToString()), ("id", experimentId));
        });

    public void ReleaseOwnership(long experimentId) =>
        Write("release the experiment", (connection, transaction, _) => Execute(connection, transaction,
            "UPDATE experiments SET owner = NULL, owner_heartbeat = NULL WHERE id = @id AND owner = @owner;",
            ("id", experimentId), ("owner", ProcessOwner.Current.ToString())));

    public void Heartbeat(long experimentId) =>
        Write("record a heartbeat", (connection, transaction, _) =>
            Execute(connection, transaction, "UPDATE experiments SET owner_heartbeat = now() WHERE id = @id;", ("id", experimentId)));

    public void SetBudget(long experimentId, int budget) =>
        Write("set the budget", (connection, transaction, _) => Execute(connection, transaction,
            "UPDATE experiments SET budget = @budget, finished_at = NULL WHERE id = @id;", ("budget", budget), ("id", experimentId)));

    public void MarkFinished(long experimentId) =>
        Write("mark the experiment finished", (connection, transaction, _) =>
            Execute(connection, transaction, "UPDATE experiments SET finished_at = now() WHERE id = @id;", ("id", experimentId)));

    public IReadOnlyList<TrialRecord> LoadTrials(long experimentId) =>
        Read("load the trials", connection =>
        {
            using var command = Command(connection, null, "SELECT * FROM trials WHERE experiment_id = @id ORDER BY number;", ("id", experimentId));
            using var reader = command.ExecuteReader();
            var trials = new List<TrialRecord>();
            while (reader.Read())
            {
                if (StoreRows.TryReadTrial(reader, Location, out var trial, out var damage)) trials.Add(trial);
                else lock (_lock) _damaged.Add(damage);
            }
            return trials;
        });

    public IReadOnlyCollection<string> DamagedRows
    {
        get
        {
            lock (_lock) return _damaged.ToList();
        }
    }

    public TrialRecord LoadTrial(long trialId) => Read("load a trial", connection => LoadTrial(connection, null, trialId));

    private TrialRecord LoadTrial(NpgsqlConnection connection, NpgsqlTransaction? transaction, long trialId)
    {
        using var command = Command(connection, transaction, "SELECT * FROM trials WHERE id = @id;", ("id", trialId));
        using var reader = command.ExecuteReader();
        if (!reader.Read()) throw new StoreException($"{Location}: no trial with id {trialId}.");
        return StoreRows.TryReadTrial(reader, Location, out var trial, out var damage) ? trial : throw new StoreException(damage);
    }

    /// <summary>
    /// Records new WAITING trials and the strategy state that proposed them in one transaction. The experiment's row is
    /// locked first, so that two proposers cannot number their trials alike.
    /// </summary>
    public IReadOnlyList<TrialRecord> AddTrials(long experimentId, IReadOnlyList<NewTrial> trials, byte[] strategyState) =>
        Write("record new trials", (connection, transaction, _) =>
        {
            Execute(connection, transaction, "SELECT id FROM experiments WHERE id = @id FOR UPDATE;", ("id", experimentId));
            var next = (int)Scalar(connection, transaction, "SELECT COALESCE(MAX(number), 0) + 1 FROM trials WHERE experiment_id = @id;", ("id", experimentId))!;
            var added = new List<TrialRecord>(trials.Count);
            foreach (var trial in trials)
            {
                try
                {
                    added.Add(ReadAll(connection, transaction, """
                        INSERT INTO trials (experiment_id, number, tokens, canonical_key, description, state, cheap_metrics_json, created_at)
                        VALUES (@experiment, @number, @tokens, @key, @description, 'WAITING', @cheap, now())
                        RETURNING *;
                        """, StoreRows.ReadTrial,
                        ("experiment", experimentId), ("number", next++), ("tokens", trial.Architecture.ToString()),
                        ("key", trial.CanonicalKey), ("description", trial.Description), ("cheap", StoreRows.Metrics(trial.CheapMetrics))).Single());
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
                {
                    throw new StoreException($"{Location}: architecture '{trial.Architecture}' (key {trial.CanonicalKey}) is already a trial of this experiment.", e);
                }
            }
            Execute(connection, transaction, """
                INSERT INTO strategy_snapshots (experiment_id, trial_count, created_at, state)
                VALUES (@id, @count, now(), @state)
                ON CONFLICT (experiment_id) DO UPDATE SET trial_count = excluded.trial_count,
                    created_at = excluded.created_at, state = excluded.state;
                """, ("id", experimentId), ("count", next - 1), ("state", strategyState));
            return added;
        });

    public byte[]? LoadStrategyState(long experimentId) =>
        Read("load the strategy state", connection =>
            Scalar(connection, null, "SELECT state FROM strategy_snapshots WHERE experiment_id = @id;", ("id", experimentId)) as byte[]);

    /// <summary>Of two claims of one trial, the second waits for the first's row lock and then finds it RUNNING.</summary>
    public TrialRecord ClaimTrial(long trialId, string owner, TimeSpan lease, ClaimOptions? options = null)
    {
        options ??= ClaimOptions.Default;
        return Write("claim a trial", (connection, transaction, _) =>
                {
                    if (options.Exclusive)
                        LockExperiment(connection, transaction!, "(SELECT experiment_id FROM trials WHERE id = @key)", trialId);
                    return Claim(connection, transaction, "id = @key", owner, lease, options, trialId);
                }, transaction: options.Exclusive)
            ?? throw new StoreException(AttemptRules.Unclaimable(Location, trialId, options.Exclusive && LoadTrial(trialId).State == TrialState.Waiting));
    }

    /// <summary>Workers claiming at once each lock a different waiting row (SKIP LOCKED) instead of queueing on one.</summary>
    public TrialRecord? ClaimNextWaiting(long experimentId, string owner, TimeSpan lease, ClaimOptions? options = null)
    {
        options ??= ClaimOptions.Default;
        return Write("claim a trial", (connection, transaction, _) =>
        {
            if (options.Exclusive) LockExperiment(connection, transaction!, "@key", experimentId);
            return Claim(connection, transaction, """
                id = (SELECT id FROM trials WHERE experiment_id = @key AND state = 'WAITING' ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED)
                """, owner, lease, options, experimentId);
        }, transaction: options.Exclusive);
    }

    /// <summary>
    /// Exclusive claims of one experiment queue on its row: under READ COMMITTED two of them would otherwise each see
    /// nothing RUNNING and claim a trial apiece.
    /// </summary>
    private static void LockExperiment(NpgsqlConnection connection, NpgsqlTransaction transaction, string experiment, long key) =>
        Execute(connection, transaction, $"SELECT id FROM experiments WHERE id = {experiment} FOR UPDATE;", ("key", key));

    /// <summary>
    /// The trial and its attempt in one statement, atomic without a transaction: one round trip per claim, which is
    /// most of what a claim costs (docs/benchmarks.md).
    /// </summary>
    private static TrialRecord? Claim(NpgsqlConnection connection, NpgsqlTransaction? transaction, string which, string owner, TimeSpan lease,
        ClaimOptions options, long key) =>
        ReadAll(connection, transaction, $"""
            WITH claimed AS (
                UPDATE trials SET state = 'RUNNING', started_at = now(), heartbeat = now(), attempts = attempts + 1, error = NULL
                WHERE {which} AND state = 'WAITING'
                {(options.Exclusive ? "AND NOT EXISTS (SELECT 1 FROM trials other WHERE other.experiment_id = trials.experiment_id AND other.state = 'RUNNING')" : "")}
                RETURNING *),
            attempt AS (
                INSERT INTO trial_attempts (trial_id, number, owner, started_at, lease_until, device)
                SELECT id, attempts, @owner, now(), now() + @lease, @device FROM claimed)
            SELECT * FROM claimed;
            """, StoreRows.ReadTrial, ("key", key), ("owner", owner), ("lease", lease), ("device", options.Device)).SingleOrDefault();

    public int RenewLeases(string owner, TimeSpan lease) =>
        Write("renew leases", (connection, transaction, _) =>
        {
            Execute(connection, transaction, """
                UPDATE trials SET heartbeat = now()
                WHERE id IN (SELECT trial_id FROM trial_attempts WHERE owner = @owner AND ended_at IS NULL);
                """, ("owner", owner));
            return Execute(connection, transaction, "UPDATE trial_attempts SET lease_until = now() + @lease WHERE owner = @owner AND ended_at IS NULL;",
                ("lease", lease), ("owner", owner));
        });

    /// <summary>
    /// A retry after a commit whose answer was lost finds the trial already COMPLETE: that result is recorded, so the
    /// retry succeeds instead of reporting an error for a result that is safe.
    /// </summary>
    public void MarkComplete(long trialId, IReadOnlyDictionary<string, double> metrics, double objective, bool feasible) =>
        Write("record a result", (connection, _, retry) =>
            (retry && IsAlready(connection, trialId, TrialState.Complete)) ||
            Finish(connection, trialId, "state = 'COMPLETE', objective = @objective, feasible = @feasible, metrics_json = @metrics",
                AttemptEnd.Completed, null, ("objective", objective), ("feasible", feasible), ("metrics", StoreRows.Metrics(metrics))),
            transaction: false);

    public void MarkFailed(long trialId, string error, IReadOnlyDictionary<string, double>? metrics = null) =>
        Write("record a failure", (connection, _, retry) =>
            (retry && IsAlready(connection, trialId, TrialState.Failed)) ||
            // The attempt keeps the first line; the trial keeps the whole error with its stack trace.
            Finish(connection, trialId, "state = 'FAILED', error = @error, metrics_json = @metrics", AttemptEnd.Failed, error.Split('\n', 2)[0],
                ("error", error), ("metrics", StoreRows.Metrics(metrics))),
            transaction: false);

    /// <summary>Ends a RUNNING trial and its attempt in one statement (one round trip, atomic without a transaction).</summary>
    private bool Finish(NpgsqlConnection connection, long trialId, string set, AttemptEnd end, string? reason, params (string Name, object? Value)[] parameters)
    {
        var finished = (long)Scalar(connection, null, $"""
            WITH done AS (
                UPDATE trials SET {set}, finished_at = now() WHERE id = @trial AND state = 'RUNNING' RETURNING id),
            ended AS (
                UPDATE trial_attempts SET ended_at = now(), outcome = @outcome, reason = @reason
                WHERE trial_id IN (SELECT id FROM done) AND ended_at IS NULL)
            SELECT COUNT(*) FROM done;
            """, [.. parameters, ("trial", trialId), ("outcome", StoreRows.OutcomeNames[end]), ("reason", reason)])!;
        return finished == 1 ? true : throw new StoreException($"{Location}: trial {trialId} is not in the expected state (state = 'RUNNING').");
    }

    private static bool IsAlready(NpgsqlConnection connection, long trialId, TrialState state) =>
        Scalar(connection, null, "SELECT state FROM trials WHERE id = @id;", ("id", trialId)) as string == state.ToString().ToUpperInvariant();

    private static int EndAttempt(NpgsqlConnection connection, NpgsqlTransaction? transaction, long trialId, AttemptEnd end, string? reason) =>
        Execute(connection, transaction, """
            UPDATE trial_attempts SET ended_at = now(), outcome = @outcome, reason = @reason
            WHERE trial_id = @trial AND ended_at IS NULL;
            """, ("outcome", StoreRows.OutcomeNames[end]), ("reason", reason), ("trial", trialId));

    /// <summary>
    /// Ends the attempts of RUNNING trials whose holder is gone. The trials are locked first (SKIP LOCKED: one another
    /// process is finishing or requeueing is left to it), and their attempts read after, so a lease renewed a moment
    /// ago is seen.
    /// </summary>
    public IReadOnlyList<TrialRecord> RequeueExpired(long experimentId, int maxAttempts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        return Write("requeue expired trials", (connection, transaction, _) =>
        {
            var now = ReadAll(connection, transaction, "SELECT now();", r => r.GetFieldValue<DateTimeOffset>(0)).Single();
            var running = new List<long>();
            using (var locked = Command(connection, transaction,
                       "SELECT id FROM trials WHERE experiment_id = @experiment AND state = 'RUNNING' ORDER BY number FOR UPDATE SKIP LOCKED;",
                       ("experiment", experimentId)))
            using (var reader = locked.ExecuteReader())
                while (reader.Read()) running.Add(reader.GetInt64(0));
            var changed = new List<long>();
            // A claim writes the trial and its attempt in one transaction, so every RUNNING trial here has an open attempt.
            foreach (var (trial, owner, leaseUntil) in ReadAll(connection, transaction,
                         "SELECT trial_id, owner, lease_until FROM trial_attempts WHERE trial_id = ANY(@trials) AND ended_at IS NULL ORDER BY trial_id;",
                         r => (r.GetInt64(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2)), ("trials", running.ToArray())))
            {
                if (!AttemptRules.IsExpired(owner, leaseUntil, now)) continue;
                EndAttempt(connection, transaction, trial, AttemptEnd.LeaseExpired, AttemptRules.ExpiryReason(owner, leaseUntil));
                var error = AttemptRules.GiveUp(ReadAttempts(connection, transaction, "a.trial_id = @id", trial), maxAttempts);
                if (error is null) Update(connection, transaction, trial, "state = 'WAITING', heartbeat = NULL");
                else Update(connection, transaction, trial, "state = 'FAILED', error = @error, finished_at = now()", ("error", error));
                changed.Add(trial);
            }
            return changed.Select(id => LoadTrial(connection, transaction, id)).OrderBy(t => t.Number).ToList();
        });
    }

    public int Release(string owner, string reason) =>
        Write("release trials", (connection, transaction, _) =>
        {
            var released = Execute(connection, transaction, """
                UPDATE trials SET state = 'WAITING', heartbeat = NULL
                WHERE state = 'RUNNING' AND id IN (SELECT trial_id FROM trial_attempts WHERE owner = @owner AND ended_at IS NULL);
                """, ("owner", owner));
            Execute(connection, transaction, """
                UPDATE trial_attempts SET ended_at = now(), outcome = 'INTERRUPTED', reason = @reason
                WHERE owner = @owner AND ended_at IS NULL;
                """, ("reason", reason), ("owner", owner));
            return released;
        });

    public IReadOnlyList<TrialAttempt> LoadAttempts(long experimentId) =>
        Read("load the attempts", connection => ReadAttempts(connection, null, "t.experiment_id = @id", experimentId));

    private List<TrialAttempt> ReadAttempts(NpgsqlConnection connection, NpgsqlTransaction? transaction, string where, long id)
    {
        using var command = Command(connection, transaction, $"""
            SELECT a.*, t.number AS trial_number FROM trial_attempts a JOIN trials t ON t.id = a.trial_id
            WHERE {where} ORDER BY t.number, a.number;
            """, ("id", id));
        using var reader = command.ExecuteReader();
        var damaged = new HashSet<string>(StringComparer.Ordinal);
        var attempts = StoreRows.ReadAttempts(reader, Location, damaged);
        lock (_lock) _damaged.UnionWith(damaged);
        return attempts;
    }

    public void SaveStrategyDiagnostics(long experimentId, StrategyDiagnostics diagnostics) =>
        Write("record the strategy's diagnostics", (connection, transaction, _) =>
        {
            foreach (var (name, value) in diagnostics.Values)
                Execute(connection, transaction, """
                    INSERT INTO strategy_diagnostics (experiment_id, iteration, name, value, recorded_at)
                    VALUES (@experiment, @iteration, @name, @value, now())
                    ON CONFLICT (experiment_id, iteration, name) DO UPDATE SET value = excluded.value, recorded_at = excluded.recorded_at;
                    """, ("experiment", experimentId), ("iteration", diagnostics.Iteration), ("name", name), ("value", StoreRows.Real(value)));
            return 0;
        });

    public IReadOnlyList<StrategyDiagnosticsRecord> LoadStrategyDiagnostics(long experimentId) =>
        _version < 4 ? [] : Read("load the strategy's diagnostics", connection =>
        {
            using var command = Command(connection, null, """
                SELECT iteration, name, value, recorded_at FROM strategy_diagnostics
                WHERE experiment_id = @id ORDER BY iteration, name;
                """, ("id", experimentId));
            using var reader = command.ExecuteReader();
            return StoreRows.ReadDiagnostics(reader);
        });

    public void SaveIntermediateValues(long trialId, IReadOnlyList<StepValues> steps) =>
        Write("record intermediate values", (connection, transaction, _) =>
        {
            foreach (var (step, values) in steps)
            foreach (var (name, value) in values)
                Execute(connection, transaction, """
                    INSERT INTO trial_values (trial_id, step, name, value, recorded_at) VALUES (@trial, @step, @name, @value, now())
                    ON CONFLICT (trial_id, step, name) DO UPDATE SET value = excluded.value, recorded_at = excluded.recorded_at;
                    """, ("trial", trialId), ("step", step), ("name", name), ("value", StoreRows.Real(value)));
            return 0;
        });

    public IReadOnlyList<IntermediateValue> LoadIntermediateValues(long experimentId) =>
        _version < 4 ? [] : Read("load intermediate values", connection =>
        {
            using var command = Command(connection, null, """
                SELECT v.trial_id, t.number AS trial_number, v.step, v.name, v.value, v.recorded_at
                FROM trial_values v JOIN trials t ON t.id = v.trial_id
                WHERE t.experiment_id = @id ORDER BY t.number, v.step, v.name;
                """, ("id", experimentId));
            using var reader = command.ExecuteReader();
            return StoreRows.ReadIntermediateValues(reader);
        });

    public void Dispose() => _source.Dispose();

    private void Update(NpgsqlConnection connection, NpgsqlTransaction? transaction, long trialId, string set, params (string Name, object? Value)[] parameters)
    {
        if (Execute(connection, transaction, $"UPDATE trials SET {set} WHERE id = @trial AND state = 'RUNNING';", [.. parameters, ("trial", trialId)]) != 1)
            throw new StoreException($"{Location}: trial {trialId} is not in the expected state (state = 'RUNNING').");
    }

    private T Read<T>(string what, Func<NpgsqlConnection, T> read) => Write(what, (connection, _, _) => read(connection), transaction: false);

    /// <summary>
    /// Runs <paramref name="work"/> on a pooled connection, in one transaction unless told otherwise, and commits.
    /// A transient failure (the server unreachable or restarting, a dropped connection, a deadlock or serialisation
    /// conflict) rolls back and runs it again, with backoff, for up to <see cref="RetryFor"/>; <paramref name="work"/>
    /// is told when it is a retry. Any other failure, or one that outlasts the retries, becomes a
    /// <see cref="StoreException"/> naming the store (never its password) and what was being done.
    /// </summary>
    private T Write<T>(string what, Func<NpgsqlConnection, NpgsqlTransaction?, bool, T> work, bool transaction = true)
    {
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var connection = _source.OpenConnection();
                if (!transaction) return work(connection, null, attempt > 1);
                using var open = connection.BeginTransaction(IsolationLevel.ReadCommitted);
                var result = work(connection, open, attempt > 1);
                open.Commit();
                return result;
            }
            catch (Exception e) when (IsTransient(e) && clock.Elapsed + delay < RetryFor)
            {
                Thread.Sleep(delay + TimeSpan.FromMilliseconds(Random.Shared.Next((int)delay.TotalMilliseconds)));
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                var tried = attempt > 1 ? $" (tried {attempt} times over {clock.Elapsed.TotalSeconds:0.#} s)" : "";
                throw new StoreException(_location.Scrub($"{Location}: cannot {what}{tried}: {Explain(e)}"), e);
            }
        }
    }

    private static bool IsTransient(Exception e) => e switch
    {
        PostgresException p => p.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
            or PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
            or PostgresErrorCodes.TooManyConnections || p.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException n => n.IsTransient,
        // Not every IOException: a pgpass file that is missing is no reason to wait.
        _ => e is TimeoutException or System.Net.Sockets.SocketException,
    };

    /// <summary>The server's message, with what the user can do about the common cases.</summary>
    private static string Explain(Exception e) => e switch
    {
        PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } p =>
            $"{p.MessageText}; create it first (createdb, or CREATE DATABASE), seminas creates only its tables",
        PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification } p =>
            $"{p.MessageText} (the password comes from the URL, PGPASSWORD or the pgpass file)",
        PostgresException { SqlState: PostgresErrorCodes.ReadOnlySqlTransaction } =>
            "the store was opened read-only (status, export and reports only read)",
        PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege } p =>
            $"{p.MessageText} (the first search on a database creates the {Schema} schema, which needs CREATE on the database)",
        PostgresException p => p.MessageText,
        NpgsqlException when e.Message.StartsWith("No password has been provided", StringComparison.Ordinal) =>
            $"{e.Message}: give it in PGPASSWORD or a pgpass file (PGPASSFILE, ~/.pgpass or ?passfile=PATH)",
        _ => e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message,
    };

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private static int Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static object? Scalar(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    private static List<T> ReadAll<T>(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, Func<NpgsqlDataReader, T> read,
        params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        using var reader = command.ExecuteReader();
        var result = new List<T>();
        while (reader.Read()) result.Add(read(reader));
        return result;
    }
}
