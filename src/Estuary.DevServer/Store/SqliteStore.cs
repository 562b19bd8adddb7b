using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;

namespace Estuary.DevServer.Store;

/// <summary>
/// The server's state in one SQLite file: namespaces, search attributes, every run with its history and
/// <see cref="Runs.RunRecord"/>, and every schedule. The file is opened in WAL mode with an exclusive lock (a second server on the same
/// file is refused), marked with Estuary's application id and a schema version (<see cref="SchemaVersion"/>; older
/// files are migrated, newer ones refused). Each batch is one transaction; with <c>synchronous=FULL</c> it is on the
/// disk when <see cref="Write"/> returns, with <c>NORMAL</c> (the default) in the operating system's hands, which a
/// killed process cannot lose but a power cut can (the file stays consistent either way).
/// </summary>
internal sealed class SqliteStore : IServerStore
{
    /// <summary><c>PRAGMA application_id</c> of an Estuary store ("ESTY").</summary>
    public const int ApplicationId = 0x45535459;

    /// <summary>The schema this server writes; files of an older one are migrated on open.</summary>
    public const int SchemaVersion = 3;

    /// <summary>Migrations from version i to i + 1, in order (index 0 creates version 1 in an empty file).</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE namespaces(name TEXT PRIMARY KEY, id TEXT NOT NULL, retention_ticks INTEGER NOT NULL,
            description TEXT NOT NULL, owner_email TEXT NOT NULL, data BLOB NOT NULL);
        CREATE TABLE search_attributes(name TEXT PRIMARY KEY, type INTEGER NOT NULL);
        CREATE TABLE runs(key INTEGER PRIMARY KEY, namespace TEXT NOT NULL, run_id TEXT NOT NULL UNIQUE,
            workflow_id TEXT NOT NULL, status INTEGER NOT NULL, record BLOB NOT NULL);
        CREATE TABLE events(run INTEGER NOT NULL, event_id INTEGER NOT NULL, data BLOB NOT NULL,
            PRIMARY KEY(run, event_id)) WITHOUT ROWID;
        """,
        """
        CREATE TABLE schedules(namespace TEXT NOT NULL, schedule_id TEXT NOT NULL, record BLOB NOT NULL,
            PRIMARY KEY(namespace, schedule_id)) WITHOUT ROWID;
        """,
        """
        CREATE TABLE worker_deployments(namespace TEXT NOT NULL, name TEXT NOT NULL, record BLOB NOT NULL,
            PRIMARY KEY(namespace, name)) WITHOUT ROWID;
        """,
    ];

    private readonly SqliteConnection _connection;
    private readonly string _path;

    // Prepared once and reused by every batch: parsing the SQL again for each one costs more than some batches' work.
    private readonly SqliteCommand _upsertRun;
    private readonly SqliteCommand _insertEvent;

    private SqliteStore(SqliteConnection connection, string path)
    {
        _connection = connection;
        _path = path;
        _upsertRun = Command(
            "INSERT INTO runs VALUES ($key, $namespace, $runId, $workflowId, $status, $record) " +
            "ON CONFLICT(key) DO UPDATE SET status = excluded.status, record = excluded.record;");
        foreach (var (name, type) in new[] { ("$key", SqliteType.Integer), ("$namespace", SqliteType.Text), ("$runId", SqliteType.Text),
            ("$workflowId", SqliteType.Text), ("$status", SqliteType.Integer), ("$record", SqliteType.Blob) })
        {
            _upsertRun.Parameters.Add(name, type);
        }
        _insertEvent = Command("INSERT INTO events VALUES ($run, $eventId, $data);");
        _insertEvent.Parameters.Add("$run", SqliteType.Integer);
        _insertEvent.Parameters.Add("$eventId", SqliteType.Integer);
        _insertEvent.Parameters.Add("$data", SqliteType.Blob);
    }

    public bool IsDurable => true;

    public string Kind => "sqlite";

    /// <summary>
    /// Opens (or creates) the store at <paramref name="path"/>. Throws <see cref="DevServerDatabaseException"/> with one line
    /// naming the problem — not an Estuary store, written by a newer server, in use by another server — leaving the
    /// file as it was.
    /// </summary>
    /// <param name="path">The database file.</param>
    /// <param name="synchronousFull">SQLite's <c>synchronous=FULL</c>: every batch reaches the disk before it is acknowledged.</param>
    public static SqliteStore Open(string path, bool synchronousFull)
    {
        var fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
        {
            throw new DevServerDatabaseException($"{fullPath} is a directory, not an Estuary dev server database file.");
        }
        var directory = Path.GetDirectoryName(fullPath);
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new DevServerDatabaseException($"cannot create {fullPath}: the directory {directory} does not exist.");
        }
        var isNew = !File.Exists(fullPath) || new FileInfo(fullPath).Length == 0;
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            // A file locked by another server answers "busy" at once instead of after the default 30 s.
            DefaultTimeout = 1,
        }.ToString());
        try
        {
            connection.Open();
            // Exclusive locking: the locks taken are held until the server stops, so a second server on the same file
            // fails at once; it also keeps WAL's index in memory (no -shm file beside the database).
            Execute(connection, "PRAGMA locking_mode=EXCLUSIVE;");
            if (!isNew)
            {
                Check(connection, fullPath);
            }
            Execute(connection, "PRAGMA journal_mode=WAL;");
            Execute(connection, synchronousFull ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;");
            Migrate(connection, fullPath);
            return new SqliteStore(connection, fullPath);
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw Explain(e, fullPath);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Refuses a file that is not an Estuary store or comes from a newer server, before anything is written.</summary>
    private static void Check(SqliteConnection connection, string path)
    {
        var applicationId = Convert.ToInt64(Scalar(connection, "PRAGMA application_id;"), System.Globalization.CultureInfo.InvariantCulture);
        var version = Convert.ToInt64(Scalar(connection, "PRAGMA user_version;"), System.Globalization.CultureInfo.InvariantCulture);
        if (applicationId != ApplicationId)
        {
            var objects = Convert.ToInt64(Scalar(connection, "SELECT count(*) FROM sqlite_master;"), System.Globalization.CultureInfo.InvariantCulture);
            if (applicationId != 0 || version != 0 || objects != 0)
            {
                throw new DevServerDatabaseException($"{path} is not an Estuary dev server database (it is another application's SQLite file).");
            }
        }
        if (version > SchemaVersion)
        {
            throw new DevServerDatabaseException(
                $"{path} was written by a newer Estuary dev server (schema version {version}; this server reads up to {SchemaVersion}).");
        }
    }

    /// <summary>Brings the file to <see cref="SchemaVersion"/>, one migration per version, all in one transaction.</summary>
    private static void Migrate(SqliteConnection connection, string path)
    {
        using var transaction = connection.BeginTransaction();
        var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version;", transaction), System.Globalization.CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
        {
            // Another server created the file between the check and the lock.
            throw new DevServerDatabaseException($"{path} was written by a newer Estuary dev server (schema version {version}; this server reads up to {SchemaVersion}).");
        }
        for (var next = version; next < SchemaVersion; next++)
        {
            Execute(connection, Migrations[next], transaction);
        }
        Execute(connection, $"PRAGMA application_id={ApplicationId}; PRAGMA user_version={SchemaVersion};", transaction);
        transaction.Commit();
    }

    private static DevServerDatabaseException Explain(SqliteException e, string path) => e.SqliteErrorCode switch
    {
        // SQLITE_BUSY, SQLITE_LOCKED
        5 or 6 => new DevServerDatabaseException($"{path} is in use by another running Estuary dev server (the file is locked)."),
        // SQLITE_NOTADB, SQLITE_CORRUPT
        26 or 11 => new DevServerDatabaseException($"{path} is not an Estuary dev server database (not an SQLite file, or a damaged one)."),
        // SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_READONLY
        14 or 3 or 8 => new DevServerDatabaseException($"cannot open {path} for writing: {e.Message}"),
        _ => new DevServerDatabaseException($"cannot use {path}: {e.Message}"),
    };

    public StoredState Load()
    {
        var state = new StoredState();
        using (var command = Command("SELECT name, id, retention_ticks, description, owner_email, data FROM namespaces;"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                state.Namespaces.Add(new StoredNamespace(reader.GetString(0), reader.GetString(1), TimeSpan.FromTicks(reader.GetInt64(2)),
                    reader.GetString(3), reader.GetString(4), ReadData((byte[])reader.GetValue(5))));
            }
        }
        using (var command = Command("SELECT name, type FROM search_attributes;"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                state.SearchAttributes[reader.GetString(0)] = (IndexedValueType)reader.GetInt32(1);
            }
        }
        var events = new Dictionary<long, List<HistoryEvent>>();
        using (var command = Command("SELECT run, data FROM events ORDER BY run, event_id;"))
        using (var reader = command.ExecuteReader())
        {
            List<HistoryEvent>? current = null;
            long currentRun = -1;
            while (reader.Read())
            {
                var run = reader.GetInt64(0);
                if (run != currentRun)
                {
                    currentRun = run;
                    current = [];
                    events[run] = current;
                }
                current!.Add(HistoryEvent.Parser.ParseFrom((byte[])reader.GetValue(1)));
            }
        }
        using (var command = Command("SELECT key, namespace, run_id, workflow_id, record FROM runs ORDER BY key;"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var key = reader.GetInt64(0);
                if (events.TryGetValue(key, out var history) && history.Count > 0)
                {
                    state.Runs.Add(new StoredRun(key, reader.GetString(1), reader.GetString(2), reader.GetString(3), (byte[])reader.GetValue(4), history));
                }
            }
        }
        using (var command = Command("SELECT namespace, schedule_id, record FROM schedules;"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                state.Schedules.Add(new StoredSchedule(reader.GetString(0), reader.GetString(1), (byte[])reader.GetValue(2)));
            }
        }
        using (var command = Command("SELECT namespace, name, record FROM worker_deployments;"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                state.Deployments.Add(new StoredDeployment(reader.GetString(0), reader.GetString(1), (byte[])reader.GetValue(2)));
            }
        }
        return state;
    }

    public void Write(StoreBatch batch)
    {
        using var transaction = _connection.BeginTransaction();
        if (batch.Namespaces is { } namespaces)
        {
            Execute(_connection, "DELETE FROM namespaces;", transaction);
            using var insert = Command("INSERT INTO namespaces VALUES ($name, $id, $retention, $description, $owner, $data);", transaction);
            foreach (var ns in namespaces)
            {
                insert.Parameters.Clear();
                insert.Parameters.AddWithValue("$name", ns.Name);
                insert.Parameters.AddWithValue("$id", ns.Id);
                insert.Parameters.AddWithValue("$retention", ns.Retention.Ticks);
                insert.Parameters.AddWithValue("$description", ns.Description);
                insert.Parameters.AddWithValue("$owner", ns.OwnerEmail);
                insert.Parameters.AddWithValue("$data", WriteData(ns.Data));
                insert.ExecuteNonQuery();
            }
        }
        if (batch.SearchAttributes is { } attributes)
        {
            Execute(_connection, "DELETE FROM search_attributes;", transaction);
            using var insert = Command("INSERT INTO search_attributes VALUES ($name, $type);", transaction);
            foreach (var (name, type) in attributes)
            {
                insert.Parameters.Clear();
                insert.Parameters.AddWithValue("$name", name);
                insert.Parameters.AddWithValue("$type", (int)type);
                insert.ExecuteNonQuery();
            }
        }
        if (batch.Runs.Count > 0)
        {
            _upsertRun.Transaction = transaction;
            _insertEvent.Transaction = transaction;
            var upsert = _upsertRun.Parameters;
            var insert = _insertEvent.Parameters;
            foreach (var run in batch.Runs)
            {
                if (run.RowChanged)
                {
                    upsert[0].Value = run.Key;
                    upsert[1].Value = run.Namespace;
                    upsert[2].Value = run.RunId;
                    upsert[3].Value = run.WorkflowId;
                    upsert[4].Value = (int)run.Status;
                    upsert[5].Value = run.Record;
                    _upsertRun.ExecuteNonQuery();
                }
                insert[0].Value = run.Key;
                for (var i = 0; i < run.NewEvents.Count; i++)
                {
                    insert[1].Value = run.FirstNewEventId + i;
                    insert[2].Value = run.NewEvents[i].ToByteArray();
                    _insertEvent.ExecuteNonQuery();
                }
            }
        }
        if (batch.DeletedRuns.Count > 0)
        {
            using var deleteEvents = Command("DELETE FROM events WHERE run = $run;", transaction);
            var eventsOf = deleteEvents.Parameters.Add("$run", SqliteType.Integer);
            using var deleteRun = Command("DELETE FROM runs WHERE key = $run;", transaction);
            var runKey = deleteRun.Parameters.Add("$run", SqliteType.Integer);
            foreach (var deleted in batch.DeletedRuns)
            {
                eventsOf.Value = deleted;
                deleteEvents.ExecuteNonQuery();
                runKey.Value = deleted;
                deleteRun.ExecuteNonQuery();
            }
        }
        if (batch.DeletedSchedules.Count > 0)
        {
            using var delete = Command("DELETE FROM schedules WHERE namespace = $namespace AND schedule_id = $id;", transaction);
            var ns = delete.Parameters.Add("$namespace", SqliteType.Text);
            var id = delete.Parameters.Add("$id", SqliteType.Text);
            foreach (var (namespaceName, scheduleId) in batch.DeletedSchedules)
            {
                ns.Value = namespaceName;
                id.Value = scheduleId;
                delete.ExecuteNonQuery();
            }
        }
        if (batch.Schedules.Count > 0)
        {
            using var upsert = Command("INSERT OR REPLACE INTO schedules VALUES ($namespace, $id, $record);", transaction);
            var ns = upsert.Parameters.Add("$namespace", SqliteType.Text);
            var id = upsert.Parameters.Add("$id", SqliteType.Text);
            var record = upsert.Parameters.Add("$record", SqliteType.Blob);
            foreach (var schedule in batch.Schedules)
            {
                ns.Value = schedule.Namespace;
                id.Value = schedule.ScheduleId;
                record.Value = schedule.Record;
                upsert.ExecuteNonQuery();
            }
        }
        if (batch.Deployments is { } deployments)
        {
            // The batch holds every deployment, so the table is replaced: a deleted deployment leaves with it.
            using (var clear = Command("DELETE FROM worker_deployments;", transaction))
            {
                clear.ExecuteNonQuery();
            }
            using var upsert = Command("INSERT OR REPLACE INTO worker_deployments VALUES ($namespace, $name, $record);", transaction);
            var ns = upsert.Parameters.Add("$namespace", SqliteType.Text);
            var name = upsert.Parameters.Add("$name", SqliteType.Text);
            var record = upsert.Parameters.Add("$record", SqliteType.Blob);
            foreach (var deployment in deployments)
            {
                ns.Value = deployment.Namespace;
                name.Value = deployment.Name;
                record.Value = deployment.Record;
                upsert.ExecuteNonQuery();
            }
        }
        transaction.Commit();
    }

    public void Dispose()
    {
        _upsertRun.Dispose();
        _insertEvent.Dispose();
        try
        {
            // Fold the log into the database so the file alone holds everything while the server is stopped.
            Execute(_connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        }
        catch (SqliteException)
        {
            // The log stays beside the file and is applied on the next open.
        }
        _connection.Dispose();
    }

    public override string ToString() => _path;

    private SqliteCommand Command(string sql, SqliteTransaction? transaction = null)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command.ExecuteScalar();
    }

    private static byte[] WriteData(IReadOnlyDictionary<string, string> data)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(data.Count);
            foreach (var (key, value) in data)
            {
                writer.Write(key);
                writer.Write(value);
            }
        }
        return stream.ToArray();
    }

    private static Dictionary<string, string> ReadData(byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var count = reader.ReadInt32(); count > 0; count--)
        {
            var key = reader.ReadString();
            data[key] = reader.ReadString();
        }
        return data;
    }
}
