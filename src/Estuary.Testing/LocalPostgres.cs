using System.Net;
using System.Net.Sockets;
using Estuary.Hosting.Postgres;
using Npgsql;

namespace Estuary.Testing;

/// <summary>
/// A real PostgreSQL server started from the machine's binaries (Debian's <c>postgresql</c> package) in a temporary
/// data directory, on a free port of 127.0.0.1, without durability (fsync off): for tests and benchmarks. Each user
/// takes fresh databases from <see cref="CreateDatabaseAsync"/>; <see cref="DisposeAsync"/> stops the server and
/// deletes its data.
/// </summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    private static readonly string[] NoDurability = ["fsync=off", "synchronous_commit=off", "full_page_writes=off"];

    private LocalPostgresCluster? _cluster;

    /// <summary>Gets the port the server listens on.</summary>
    public int Port { get; private set; }

    /// <summary>Creates the data directory and starts the server; returns once it accepts connections.</summary>
    /// <returns>A task that completes when the server is ready.</returns>
    /// <exception cref="PostgresNotInstalledException">The binaries are missing; the message says what to install.</exception>
    /// <exception cref="InvalidOperationException">The server does not start; the message holds its log.</exception>
    public async Task StartAsync()
    {
        _cluster = new LocalPostgresCluster(PostgresInstallation.Find(), Directory.CreateTempSubdirectory("estuary-pg-").FullName);
        await _cluster.InitializeAsync(password: null);
        Port = FreePort();
        await _cluster.StartAsync(Port, NoDurability);
    }

    /// <summary>Creates an empty database with a unique name.</summary>
    /// <param name="prefix">A readable prefix, e.g. a test class name.</param>
    /// <returns>Its connection string (no connection pooling, so the server can stop at once at the end).</returns>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix.ToLowerInvariant()}_{Guid.NewGuid():N}";
        name = name[..Math.Min(name.Length, 63)];
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return ConnectionString(name);
    }

    // The server's default max_connections (100), less its reserved connections and this harness's own.
    private const int PooledConnections = 90;

    /// <summary>Turns connection pooling on, as a deployed worker has it: a worker opening a new PostgreSQL connection
    /// (a server process started for it) for each activity spends most of its time there.</summary>
    /// <param name="connectionString">A connection string of <see cref="CreateDatabaseAsync"/>.</param>
    /// <param name="sharedBy">How many busy pools share the server. The server accepts 100 connections in all (a few kept
    /// for its superuser), and a pool keeps its idle connections for minutes: each pool gets an equal part of
    /// <see cref="PooledConnections"/>, or the pool that filled first starves the others, whose commands then wait for
    /// connections that are refused.</param>
    /// <returns>The same database, pooled.</returns>
    public static string Pooled(string connectionString, int sharedBy = 1) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = true, MaxPoolSize = PooledConnections / sharedBy }.ConnectionString;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_cluster is null)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await _cluster.StopAsync();
        if (Directory.Exists(_cluster.DataDirectory))
        {
            Directory.Delete(_cluster.DataDirectory, recursive: true);
        }
    }

    private string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = LocalPostgresCluster.SuperUser,
            Database = database,
            Pooling = false,
        }.ConnectionString;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
