using System.Globalization;
using Microsoft.Data.Sqlite;
using SemiNas.Contracts;
using SemiNas.Core;

namespace SemiNas.Storage;

/// <summary>
/// Experiments, trials and strategy snapshots in one SQLite file (WAL, synchronous FULL). Every change is one
/// transaction, so a kill at any moment leaves the file consistent: completed trials are never lost, and the
/// unique (experiment, canonical key) index makes it impossible to record the same architecture twice.
/// Thread-safe: all access goes through one connection under a lock.
/// </summary>
public sealed class ExperimentStore : IExperimentStore
{
    public const int SchemaVersion = 4;

    /// <summary>The oldest schema that <see cref="OpenReadOnly"/> still reads as it is.</summary>
    private const int OldestReadable = 1;

    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();
    private readonly HashSet<string> _damaged = new(StringComparer.Ordinal);

    private readonly int _version;

    private ExperimentStore(string path, SqliteConnection connection, int version)
    {
        Path = path;
        _connection = connection;
        _version = version;
    }

    public string Path { get; }

    public string Location => Path;

    /// <summary>The store's folder: each experiment's trial folders sit beside the file.</summary>
    public string ArtifactDirectory => System.IO.Path.GetDirectoryName(Path)!;

    /// <summary>Opens the store, creating the file and its schema when missing.</summary>
    /// <param name="mustExist">When true, a missing file is an error instead of a new store.</param>
    public static ExperimentStore Open(string path, bool mustExist = false)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        if (mustExist && !File.Exists(fullPath))
            throw new StoreException($"{path}: no such experiment store.");
        var directory = System.IO.Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        return Connect(path, fullPath, mustExist ? SqliteOpenMode.ReadWrite : SqliteOpenMode.ReadWriteCreate, connection =>
        {
            // The timeout first: two searches started at once on a new store wait for each other instead of failing.
            Execute(connection, "PRAGMA busy_timeout=10000; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
            Migrate(connection, path);
        });
    }

    /// <summary>
    /// Opens an existing store for reading only (status, export, plots): works on a file the user may not write, or on
    /// read-only media, and never changes it. Any attempt to write through it fails.
    /// </summary>
    public static ExperimentStore OpenReadOnly(string path)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath)) throw new StoreException($"{path}: no such experiment store.");
        void Check(SqliteConnection connection)
        {
            Execute(connection, "PRAGMA busy_timeout=10000;");
            // Older schemas are read as they are (what they lack reads as empty): upgrading needs write access.
            var version = UserVersion(connection);
            if (version > SchemaVersion)
                throw new StoreException($"{path}: the store has schema version {version}; this seminas reads up to {SchemaVersion}. Use a newer seminas.");
            if (version < OldestReadable)
                throw new StoreException($"{path}: not an experiment store (no schema in it).");
        }
        try
        {
            return Connect(path, fullPath, SqliteOpenMode.ReadOnly, Check);
        }
        catch (StoreException e) when (e.InnerException is SqliteException { SqliteErrorCode: 8 or 14 })
        {
            // A WAL store in a folder we may not write: SQLite cannot make its shared-memory file there. Nobody can be
            // writing to it from here either, so read the file as it is.
            return Connect(path, fullPath, SqliteOpenMode.ReadOnly, Check,
                dataSource: "file:" + Uri.EscapeDataString(fullPath).Replace("%2F", "/", StringComparison.Ordinal) + "?immutable=1");
        }
    }

    private static ExperimentStore Connect(string path, string fullPath, SqliteOpenMode mode, Action<SqliteConnection> prepare,
        string? dataSource = null)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = dataSource ?? fullPath,
            Mode = mode,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            prepare(connection);
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new StoreException($"{path}: cannot open the experiment store: {Explain(e)}", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        return new ExperimentStore(fullPath, connection, UserVersion(connection));
    }

    /// <summary>SQLite's message, with what the user can do about the common cases.</summary>
    private static string Explain(SqliteException e) => e.SqliteErrorCode switch
    {
        8 => "the file or its folder is read-only (status, export and plot only read; a search needs write access)",
        26 => "the file is not an SQLite database (a damaged store, or another file given by mistake)",
        5 or 6 => "another process holds the store locked; try again when it is done",
        _ => e.Message,
    };

    private static int UserVersion(SqliteConnection connection) =>
        Convert.ToInt32(Scalar(connection, "PRAGMA user_version;"), CultureInfo.InvariantCulture);

    private static void Migrate(SqliteConnection connection, string path)
    {
        if (UserVersion(connection) == SchemaVersion) return;
        // BEGIN IMMEDIATE takes the write lock before the version is read again, so of two processes creating the
        // same new store, the second sees the first one's schema instead of creating the tables twice.
        using var transaction = connection.BeginTransaction(deferred: false);
        var version = UserVersion(connection);
        if (version > SchemaVersion)
            throw new StoreException($"{path}: the store has schema version {version}; this seminas reads up to {SchemaVersion}. Use a newer seminas.");
        if (version == SchemaVersion) return;
        if (version < 1) CreateVersion1(connection);
        // Version 2: where the configuration file was, so that its relative paths still resolve for `seminas train`.
        if (version < 2) Execute(connection, "ALTER TABLE experiments ADD COLUMN config_path TEXT;");
        // Version 3: each start of a trial, its holder's lease and how it ended. Trials that version 2 left RUNNING
        // have no attempt row; RequeueExpired treats them as held by nobody.
        if (version < 3) Execute(connection, """
            CREATE TABLE trial_attempts (
                id           INTEGER PRIMARY KEY,
                trial_id     INTEGER NOT NULL REFERENCES trials(id),
                number       INTEGER NOT NULL,
                owner        TEXT NOT NULL,
                started_at   TEXT NOT NULL,
                lease_until  TEXT NOT NULL,
                ended_at     TEXT,
                outcome      TEXT CHECK (outcome IN ('COMPLETED', 'FAILED', 'INTERRUPTED', 'LEASE_EXPIRED')),
                reason       TEXT,
                UNIQUE (trial_id, number)
            );
            CREATE INDEX open_attempts_by_owner ON trial_attempts(owner) WHERE ended_at IS NULL;
            """);
        // Version 4: the device of each attempt, the strategy's per-iteration diagnostics and plugins' intermediate
        // values, for people watching a search (dashboard, TensorBoard). A NaN is kept as NULL, as SQLite stores it.
        if (version < 4) Execute(connection, """
            ALTER TABLE trial_attempts ADD COLUMN device TEXT;
            CREATE TABLE strategy_diagnostics (
                experiment_id  INTEGER NOT NULL REFERENCES experiments(id),
                iteration      INTEGER NOT NULL,
                name           TEXT NOT NULL,
                value          REAL,
                recorded_at    TEXT NOT NULL,
                PRIMARY KEY (experiment_id, iteration, name)
            );
            CREATE TABLE trial_values (
                trial_id     INTEGER NOT NULL REFERENCES trials(id),
                step         INTEGER NOT NULL,
                name         TEXT NOT NULL,
                value        REAL,
                recorded_at  TEXT NOT NULL,
                PRIMARY KEY (trial_id, step, name)
            );
            """);
        Execute(connection, $"PRAGMA user_version = {SchemaVersion};");
        transaction.Commit();
    }

    private static void CreateVersion1(SqliteConnection connection) =>
        Execute(connection, """
            CREATE TABLE experiments (
                id                INTEGER PRIMARY KEY,
                name              TEXT NOT NULL UNIQUE,
                plugin            TEXT NOT NULL,
                strategy          TEXT NOT NULL,
                budget            INTEGER NOT NULL,
                objective_metric  TEXT NOT NULL,
                objective_goal    TEXT NOT NULL,
                config_text       TEXT NOT NULL,
                config_json       TEXT NOT NULL,
                fingerprint       TEXT NOT NULL,
                parent_id         INTEGER REFERENCES experiments(id),
                created_at        TEXT NOT NULL,
                finished_at       TEXT,
                owner             TEXT,
                owner_heartbeat   TEXT
            );
            CREATE TABLE trials (
                id                 INTEGER PRIMARY KEY,
                experiment_id      INTEGER NOT NULL REFERENCES experiments(id),
                number             INTEGER NOT NULL,
                tokens             TEXT NOT NULL,
                canonical_key      TEXT NOT NULL,
                description        TEXT NOT NULL,
                state              TEXT NOT NULL CHECK (state IN ('WAITING', 'RUNNING', 'COMPLETE', 'FAILED')),
                objective          REAL,
                feasible           INTEGER NOT NULL DEFAULT 1,
                cheap_metrics_json TEXT NOT NULL,
                metrics_json       TEXT NOT NULL DEFAULT '{}',
                error              TEXT,
                attempts           INTEGER NOT NULL DEFAULT 0,
                created_at         TEXT NOT NULL,
                started_at         TEXT,
                finished_at        TEXT,
                heartbeat          TEXT,
                UNIQUE (experiment_id, number),
                UNIQUE (experiment_id, canonical_key)
            );
            CREATE INDEX trials_by_state ON trials(experiment_id, state);
            CREATE TABLE strategy_snapshots (
                experiment_id  INTEGER PRIMARY KEY REFERENCES experiments(id),
                trial_count    INTEGER NOT NULL,
                created_at     TEXT NOT NULL,
                state          BLOB NOT NULL
            );
            PRAGMA user_version = 1;
            """);

    public IReadOnlyList<ExperimentRecord> ListExperiments()
    {
        lock (_lock)
        {
            using var command = Command("SELECT * FROM experiments ORDER BY id;");
            return ReadAll(command, StoreRows.ReadExperiment);
        }
    }

    public ExperimentRecord? FindExperiment(string name)
    {
        lock (_lock)
        {
            using var command = Command("SELECT * FROM experiments WHERE name = $name;", ("$name", name));
            return ReadAll(command, StoreRows.ReadExperiment).FirstOrDefault();
        }
    }

    public ExperimentRecord CreateExperiment(NewExperiment experiment)
    {
        lock (_lock)
        {
            using var command = Command("""
                INSERT INTO experiments (name, plugin, strategy, budget, objective_metric, objective_goal,
                                         config_text, config_json, config_path, fingerprint, parent_id, created_at)
                VALUES ($name, $plugin, $strategy, $budget, $metric, $goal, $text, $json, $path, $fingerprint, $parent, $now)
                RETURNING *;
                """,
                ("$name", experiment.Name), ("$plugin", experiment.Plugin), ("$strategy", experiment.Strategy),
                ("$budget", experiment.Budget), ("$metric", experiment.Objective.Metric),
                ("$goal", experiment.Objective.Goal.ToString()), ("$text", experiment.ConfigText),
                ("$json", experiment.ConfigJson), ("$path", experiment.ConfigPath), ("$fingerprint", experiment.Fingerprint),
                ("$parent", experiment.ParentId), ("$now", Now()));
            try
            {
                return ReadAll(command, StoreRows.ReadExperiment).Single();
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19) // SQLITE_CONSTRAINT: the unique name
            {
                throw new StoreException($"{Path} already holds an experiment named '{experiment.Name}'.", e);
            }
        }
    }

    /// <summary>
    /// Claims the experiment for this process. Refused while another live process holds it: on this machine,
    /// a holder whose process is gone is taken over at once; elsewhere, after <paramref name="staleAfter"/>
    /// without a heartbeat.
    /// </summary>
    public void AcquireOwnership(long experimentId, TimeSpan staleAfter)
    {
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            using (var read = Command("SELECT owner, owner_heartbeat FROM experiments WHERE id = $id;", ("$id", experimentId)))
            using (var reader = read.ExecuteReader())
            {
                if (reader.Read() && !reader.IsDBNull(0))
                {
                    var owner = ProcessOwner.Parse(reader.GetString(0));
                    var heartbeat = StoreRows.ParseTime(reader.GetString(1));
                    if (owner != ProcessOwner.Current && owner.IsAlive(heartbeat, staleAfter))
                        throw new StoreException(
                            $"{Path}: the experiment is being run by process {owner.ProcessId} on {owner.Machine} " +
                            $"(last heartbeat {heartbeat:u}). Stop it first, or wait {staleAfter.TotalSeconds:0} s after it died.");
                }
            }
            using (var write = Command("UPDATE experiments SET owner = $owner, owner_heartbeat = $now WHERE id = $id;",
                       ("$owner", ProcessOwner.Current.ToString()), ("$now", Now()), ("$id", experimentId)))
                write.ExecuteNonQuery();
            transaction.Commit();
        }
    }

    public void ReleaseOwnership(long experimentId)
    {
        lock (_lock)
        {
            using var command = Command("UPDATE experiments SET owner = NULL, owner_heartbeat = NULL WHERE id = $id AND owner = $owner;",
                ("$id", experimentId), ("$owner", ProcessOwner.Current.ToString()));
            command.ExecuteNonQuery();
        }
    }

    public void Heartbeat(long experimentId)
    {
        lock (_lock)
        {
            using var command = Command("UPDATE experiments SET owner_heartbeat = $now WHERE id = $id;", ("$now", Now()), ("$id", experimentId));
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Gives an experiment another budget; a larger one reopens a finished experiment.</summary>
    public void SetBudget(long experimentId, int budget)
    {
        lock (_lock)
        {
            using var command = Command("UPDATE experiments SET budget = $budget, finished_at = NULL WHERE id = $id;",
                ("$budget", budget), ("$id", experimentId));
            command.ExecuteNonQuery();
        }
    }

    public void MarkFinished(long experimentId)
    {
        lock (_lock)
        {
            using var command = Command("UPDATE experiments SET finished_at = $now WHERE id = $id;", ("$now", Now()), ("$id", experimentId));
            command.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// Every readable trial of the experiment, by number. A damaged row (a hand edit, a disk fault) is left out and
    /// described in <see cref="DamagedRows"/>, so that one bad row does not make the rest unreadable.
    /// </summary>
    public IReadOnlyList<TrialRecord> LoadTrials(long experimentId)
    {
        lock (_lock)
        {
            using var command = Command("SELECT * FROM trials WHERE experiment_id = $id ORDER BY number;", ("$id", experimentId));
            var trials = new List<TrialRecord>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (StoreRows.TryReadTrial(reader, Path, out var trial, out var damage)) trials.Add(trial);
                else _damaged.Add(damage);
            }
            return trials;
        }
    }

    /// <summary>What could not be read so far, each naming the store, the table, the trial and the column.</summary>
    public IReadOnlyCollection<string> DamagedRows
    {
        get
        {
            lock (_lock) return _damaged.ToList();
        }
    }

    public TrialRecord LoadTrial(long trialId)
    {
        lock (_lock) return LoadTrialLocked(trialId);
    }

    private TrialRecord LoadTrialLocked(long trialId)
    {
        using var command = Command("SELECT * FROM trials WHERE id = $id;", ("$id", trialId));
        using var reader = command.ExecuteReader();
        if (!reader.Read()) throw new StoreException($"{Path}: no trial with id {trialId}.");
        return StoreRows.TryReadTrial(reader, Path, out var trial, out var damage) ? trial : throw new StoreException(damage);
    }

    /// <summary>
    /// Records new WAITING trials and the strategy state that proposed them, atomically: after a crash the
    /// store never holds proposals that the saved strategy state does not know about, or the reverse.
    /// </summary>
    public IReadOnlyList<TrialRecord> AddTrials(long experimentId, IReadOnlyList<NewTrial> trials, byte[] strategyState)
    {
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            var next = Convert.ToInt32(Scalar(_connection, "SELECT COALESCE(MAX(number), 0) + 1 FROM trials WHERE experiment_id = $id;", ("$id", experimentId)), CultureInfo.InvariantCulture);
            var added = new List<TrialRecord>(trials.Count);
            foreach (var trial in trials)
            {
                using var insert = Command("""
                    INSERT INTO trials (experiment_id, number, tokens, canonical_key, description, state, cheap_metrics_json, created_at)
                    VALUES ($experiment, $number, $tokens, $key, $description, 'WAITING', $cheap, $now)
                    RETURNING *;
                    """,
                    ("$experiment", experimentId), ("$number", next++), ("$tokens", trial.Architecture.ToString()),
                    ("$key", trial.CanonicalKey), ("$description", trial.Description),
                    ("$cheap", StoreRows.Metrics(trial.CheapMetrics)), ("$now", Now()));
                try
                {
                    added.Add(ReadAll(insert, StoreRows.ReadTrial).Single());
                }
                catch (SqliteException e) when (e.SqliteErrorCode == 19)
                {
                    throw new StoreException($"{Path}: architecture '{trial.Architecture}' (key {trial.CanonicalKey}) is already a trial of this experiment.", e);
                }
            }
            using (var snapshot = Command("""
                       INSERT INTO strategy_snapshots (experiment_id, trial_count, created_at, state)
                       VALUES ($id, $count, $now, $state)
                       ON CONFLICT (experiment_id) DO UPDATE SET trial_count = excluded.trial_count,
                           created_at = excluded.created_at, state = excluded.state;
                       """, ("$id", experimentId), ("$count", next - 1), ("$now", Now()), ("$state", strategyState)))
                snapshot.ExecuteNonQuery();
            transaction.Commit();
            return added;
        }
    }

    public byte[]? LoadStrategyState(long experimentId)
    {
        lock (_lock)
        {
            return Scalar(_connection, "SELECT state FROM strategy_snapshots WHERE experiment_id = $id;", ("$id", experimentId)) as byte[];
        }
    }

    /// <summary>Starts an attempt at a WAITING trial; the state check and the change are one statement, so one claim wins.</summary>
    public TrialRecord ClaimTrial(long trialId, string owner, TimeSpan lease, ClaimOptions? options = null)
    {
        lock (_lock)
        {
            return Claim("id = $trial", owner, lease, options ?? ClaimOptions.Default, ("$trial", trialId))
                ?? throw new StoreException(Unclaimable(trialId, options));
        }
    }

    private string Unclaimable(long trialId, ClaimOptions? options) =>
        AttemptRules.Unclaimable(Path, trialId, options is { Exclusive: true } && LoadTrialLocked(trialId).State == TrialState.Waiting);

    public TrialRecord? ClaimNextWaiting(long experimentId, string owner, TimeSpan lease, ClaimOptions? options = null)
    {
        lock (_lock)
        {
            return Claim("id = (SELECT id FROM trials WHERE experiment_id = $experiment AND state = 'WAITING' ORDER BY number LIMIT 1)",
                owner, lease, options ?? ClaimOptions.Default, ("$experiment", experimentId));
        }
    }

    private TrialRecord? Claim(string which, string owner, TimeSpan lease, ClaimOptions options, (string Name, object? Value) key)
    {
        var now = DateTimeOffset.UtcNow;
        // BEGIN IMMEDIATE: the exclusive check below and the claim happen under SQLite's one write lock.
        using var transaction = _connection.BeginTransaction(deferred: false);
        var exclusive = options.Exclusive
            ? "AND NOT EXISTS (SELECT 1 FROM trials other WHERE other.experiment_id = trials.experiment_id AND other.state = 'RUNNING')"
            : "";
        TrialRecord? claimed;
        using (var update = Command($"""
                   UPDATE trials SET state = 'RUNNING', started_at = $now, heartbeat = $now, attempts = attempts + 1, error = NULL
                   WHERE {which} AND state = 'WAITING' {exclusive}
                   RETURNING *;
                   """, key, ("$now", Time(now))))
            claimed = ReadAll(update, StoreRows.ReadTrial).SingleOrDefault();
        if (claimed is null) return null;
        // The attempt's number is the trial's count of starts, which older schemas kept without attempt rows.
        using (var insert = Command("""
                   INSERT INTO trial_attempts (trial_id, number, owner, started_at, lease_until, device)
                   VALUES ($trial, $number, $owner, $now, $until, $device);
                   """, ("$trial", claimed.Id), ("$number", claimed.Attempts), ("$owner", owner), ("$now", Time(now)),
                   ("$until", Time(now + lease)), ("$device", options.Device)))
            insert.ExecuteNonQuery();
        transaction.Commit();
        return claimed;
    }

    public int RenewLeases(string owner, TimeSpan lease)
    {
        lock (_lock)
        {
            var now = DateTimeOffset.UtcNow;
            using var transaction = _connection.BeginTransaction();
            using (var trials = Command("""
                       UPDATE trials SET heartbeat = $now
                       WHERE id IN (SELECT trial_id FROM trial_attempts WHERE owner = $owner AND ended_at IS NULL);
                       """, ("$now", Time(now)), ("$owner", owner)))
                trials.ExecuteNonQuery();
            using var attempts = Command("UPDATE trial_attempts SET lease_until = $until WHERE owner = $owner AND ended_at IS NULL;",
                ("$until", Time(now + lease)), ("$owner", owner));
            var renewed = attempts.ExecuteNonQuery();
            transaction.Commit();
            return renewed;
        }
    }

    public void MarkComplete(long trialId, IReadOnlyDictionary<string, double> metrics, double objective, bool feasible)
    {
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            var now = Now();
            Update(trialId, "state = 'COMPLETE', objective = $objective, feasible = $feasible, metrics_json = $metrics, finished_at = $now",
                "state = 'RUNNING'", ("$objective", objective), ("$feasible", feasible ? 1 : 0),
                ("$metrics", StoreRows.Metrics(metrics)), ("$now", now));
            EndAttempt(trialId, AttemptEnd.Completed, null, now);
            transaction.Commit();
        }
    }

    public void MarkFailed(long trialId, string error, IReadOnlyDictionary<string, double>? metrics = null)
    {
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            var now = Now();
            Update(trialId, "state = 'FAILED', error = $error, metrics_json = $metrics, finished_at = $now", "state = 'RUNNING'",
                ("$error", error), ("$metrics", StoreRows.Metrics(metrics)), ("$now", now));
            // The attempt keeps the first line; the trial keeps the whole error with its stack trace.
            EndAttempt(trialId, AttemptEnd.Failed, error.Split('\n', 2)[0], now);
            transaction.Commit();
        }
    }

    private void EndAttempt(long trialId, AttemptEnd end, string? reason, string now)
    {
        using var command = Command("""
            UPDATE trial_attempts SET ended_at = $now, outcome = $outcome, reason = $reason
            WHERE trial_id = $trial AND ended_at IS NULL;
            """, ("$now", now), ("$outcome", StoreRows.OutcomeNames[end]), ("$reason", reason), ("$trial", trialId));
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Ends the attempts of RUNNING trials whose holder is gone, in one write transaction, so that two processes
    /// requeueing at once cannot both end one attempt or count it twice.
    /// </summary>
    public IReadOnlyList<TrialRecord> RequeueExpired(long experimentId, int maxAttempts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            var now = DateTimeOffset.UtcNow;
            var held = new List<(long Trial, int Starts, string? StartedAt, string? Heartbeat, string? Owner, string? LeaseUntil)>();
            using (var query = Command("""
                       SELECT t.id, t.attempts, t.started_at, t.heartbeat, a.owner, a.lease_until
                       FROM trials t LEFT JOIN trial_attempts a ON a.trial_id = t.id AND a.ended_at IS NULL
                       WHERE t.experiment_id = $experiment AND t.state = 'RUNNING'
                       ORDER BY t.number;
                       """, ("$experiment", experimentId)))
            using (var reader = query.ExecuteReader())
            {
                while (reader.Read())
                    held.Add((reader.GetInt64(0), reader.GetInt32(1), NullableString(reader, 2), NullableString(reader, 3),
                        NullableString(reader, 4), NullableString(reader, 5)));
            }
            var changed = new List<long>();
            foreach (var trial in held)
            {
                if (trial.Owner is { } owner)
                {
                    var leaseUntil = StoreRows.ParseTime(trial.LeaseUntil!);
                    if (!AttemptRules.IsExpired(owner, leaseUntil, now)) continue;
                    EndAttempt(trial.Trial, AttemptEnd.LeaseExpired, AttemptRules.ExpiryReason(owner, leaseUntil), Time(now));
                }
                else
                {
                    var lastHeard = trial.Heartbeat ?? trial.StartedAt ?? Time(now);
                    using var insert = Command("""
                        INSERT INTO trial_attempts (trial_id, number, owner, started_at, lease_until, ended_at, outcome, reason)
                        VALUES ($trial, (SELECT MAX($starts, COALESCE(MAX(number), 0) + 1) FROM trial_attempts WHERE trial_id = $trial),
                                'unknown', $started, $lease, $now, 'LEASE_EXPIRED', $reason);
                        """, ("$trial", trial.Trial), ("$starts", trial.Starts), ("$started", trial.StartedAt ?? lastHeard),
                        ("$lease", lastHeard), ("$now", Time(now)), ("$reason", AttemptRules.UnleasedReason));
                    insert.ExecuteNonQuery();
                }
                var error = AttemptRules.GiveUp(ReadAttempts("a.trial_id = $id", trial.Trial), maxAttempts);
                if (error is null) Update(trial.Trial, "state = 'WAITING', heartbeat = NULL", "state = 'RUNNING'");
                else Update(trial.Trial, "state = 'FAILED', error = $error, finished_at = $now", "state = 'RUNNING'", ("$error", error), ("$now", Time(now)));
                changed.Add(trial.Trial);
            }
            transaction.Commit();
            return changed.Select(LoadTrialLocked).ToList();
        }
    }

    public int Release(string owner, string reason)
    {
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            using var trials = Command("""
                UPDATE trials SET state = 'WAITING', heartbeat = NULL
                WHERE state = 'RUNNING' AND id IN (SELECT trial_id FROM trial_attempts WHERE owner = $owner AND ended_at IS NULL);
                """, ("$owner", owner));
            var released = trials.ExecuteNonQuery();
            using var attempts = Command("""
                UPDATE trial_attempts SET ended_at = $now, outcome = 'INTERRUPTED', reason = $reason
                WHERE owner = $owner AND ended_at IS NULL;
                """, ("$now", Now()), ("$reason", reason), ("$owner", owner));
            attempts.ExecuteNonQuery();
            transaction.Commit();
            return released;
        }
    }

    /// <summary>Every attempt at the experiment's trials; none for a store from before attempts were kept.</summary>
    public IReadOnlyList<TrialAttempt> LoadAttempts(long experimentId)
    {
        lock (_lock)
        {
            return _version < 3 ? [] : ReadAttempts("t.experiment_id = $id", experimentId);
        }
    }

    public void SaveStrategyDiagnostics(long experimentId, StrategyDiagnostics diagnostics)
    {
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            var now = Now();
            foreach (var (name, value) in diagnostics.Values)
            {
                using var upsert = Command("""
                    INSERT INTO strategy_diagnostics (experiment_id, iteration, name, value, recorded_at)
                    VALUES ($experiment, $iteration, $name, $value, $now)
                    ON CONFLICT (experiment_id, iteration, name) DO UPDATE SET value = excluded.value, recorded_at = excluded.recorded_at;
                    """, ("$experiment", experimentId), ("$iteration", diagnostics.Iteration), ("$name", name),
                    ("$value", StoreRows.Real(value)), ("$now", now));
                upsert.ExecuteNonQuery();
            }
            transaction.Commit();
        }
    }

    public IReadOnlyList<StrategyDiagnosticsRecord> LoadStrategyDiagnostics(long experimentId)
    {
        lock (_lock)
        {
            if (_version < 4) return [];
            using var command = Command("""
                SELECT iteration, name, value, recorded_at FROM strategy_diagnostics
                WHERE experiment_id = $id ORDER BY iteration, name;
                """, ("$id", experimentId));
            using var reader = command.ExecuteReader();
            return StoreRows.ReadDiagnostics(reader);
        }
    }

    public void SaveIntermediateValues(long trialId, IReadOnlyList<StepValues> steps)
    {
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            var now = Now();
            foreach (var (step, values) in steps)
            foreach (var (name, value) in values)
            {
                using var upsert = Command("""
                    INSERT INTO trial_values (trial_id, step, name, value, recorded_at) VALUES ($trial, $step, $name, $value, $now)
                    ON CONFLICT (trial_id, step, name) DO UPDATE SET value = excluded.value, recorded_at = excluded.recorded_at;
                    """, ("$trial", trialId), ("$step", step), ("$name", name), ("$value", StoreRows.Real(value)), ("$now", now));
                upsert.ExecuteNonQuery();
            }
            transaction.Commit();
        }
    }

    public IReadOnlyList<IntermediateValue> LoadIntermediateValues(long experimentId)
    {
        lock (_lock)
        {
            if (_version < 4) return [];
            using var command = Command("""
                SELECT v.trial_id, t.number AS trial_number, v.step, v.name, v.value, v.recorded_at
                FROM trial_values v JOIN trials t ON t.id = v.trial_id
                WHERE t.experiment_id = $id ORDER BY t.number, v.step, v.name;
                """, ("$id", experimentId));
            using var reader = command.ExecuteReader();
            return StoreRows.ReadIntermediateValues(reader);
        }
    }

    private List<TrialAttempt> ReadAttempts(string where, long id)
    {
        using var command = Command($"""
            SELECT a.*, t.number AS trial_number FROM trial_attempts a JOIN trials t ON t.id = a.trial_id
            WHERE {where} ORDER BY t.number, a.number;
            """, ("$id", id));
        using var reader = command.ExecuteReader();
        return StoreRows.ReadAttempts(reader, Path, _damaged);
    }

    public void Dispose()
    {
        _connection.Dispose();
    }

    private void Update(long trialId, string set, string expectedState, params (string Name, object? Value)[] parameters)
    {
        using var command = Command($"UPDATE trials SET {set} WHERE id = $trial AND {expectedState};", [.. parameters, ("$trial", trialId)]);
        if (command.ExecuteNonQuery() != 1)
            throw new StoreException($"{Path}: trial {trialId} is not in the expected state ({expectedState}).");
    }

    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters) => Command(_connection, sql, parameters);

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = Command(connection, sql);
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    private static List<T> ReadAll<T>(SqliteCommand command, Func<SqliteDataReader, T> read)
    {
        using var reader = command.ExecuteReader();
        var result = new List<T>();
        while (reader.Read()) result.Add(read(reader));
        return result;
    }

    private static string Now() => Time(DateTimeOffset.UtcNow);

    private static string Time(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);

    private static string? NullableString(SqliteDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetString(ordinal);
}

public sealed class StoreException(string message, Exception? inner = null) : Exception(message, inner);
