using System.Net;
using System.Net.Sockets;
using Estuary.Tests.Infrastructure;
using Estuary.Worker.Example;
using Estuary.Temporal.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Estuary.Tests.Temporal;

[Collection(UsesPostgres.Name)]
public sealed class WorkerHostTests(PostgresFixture postgres) : IDisposable
{
    // The worker below cannot reach Temporal: it gives up at start-up and sets the process's (the test host's) exit code.
    public void Dispose() => Environment.ExitCode = 0;

    [Fact]
    public async Task StartAsync_TemporalUnreachable_MigratesThenGivesUpInOneLineNamingTemporalAndStops()
    {
        var database = await postgres.CreateDatabaseAsync("worker_host_gives_up");
        var logs = new RecordingLoggerProvider();
        using var host = Build(database, applyMigrations: null, logs);

        await host.StartAsync();
        try
        {
            var status = host.Services.GetRequiredService<EstuaryWorkerStatus>();
            Assert.False(await status.Started);
            Assert.StartsWith($"Temporal at {UnusedAddress} (namespace 'default') is unreachable after 0.3 s: ", status.Failure, StringComparison.Ordinal);
            Assert.True(host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested);
            Assert.Contains("example_entities", await TablesAsync(database));
            var startup = logs.Entries.Where(e => e.Category == EstuaryWorkerStatus.LogCategory && e.Level >= LogLevel.Warning).ToList();
            Assert.Equal([LogLevel.Warning, LogLevel.Critical], startup.Select(e => e.Level));
            Assert.StartsWith($"Temporal at {UnusedAddress} (namespace 'default') is unreachable (", startup[0].Message, StringComparison.Ordinal);
            Assert.EndsWith("); retrying for up to 0.3 s", startup[0].Message, StringComparison.Ordinal);
            Assert.Equal($"{status.Failure} The worker stops.", startup[1].Message);
            var health = (await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries[EstuaryWorkerExtensions.WorkerHealthCheckName];
            Assert.Equal((HealthStatus.Unhealthy, status.Failure), (health.Status, health.Description));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task StartAsync_DatabaseUnreachable_GivesUpBeforeMigratingAndNamesTheDatabase()
    {
        var closed = $"Host=127.0.0.1;Port={UnusedPort()};Database=nowhere;Username=estuary;Timeout=2";
        using var host = Build(closed, applyMigrations: null);

        await host.StartAsync();
        try
        {
            var status = host.Services.GetRequiredService<EstuaryWorkerStatus>();
            Assert.False(await status.Started);
            Assert.StartsWith("PostgreSQL database 'nowhere' of domain example at tcp://127.0.0.1:", status.Failure, StringComparison.Ordinal);
            Assert.Contains("(ConnectionStrings:example-db) is unreachable after 0.3 s: ", status.Failure, StringComparison.Ordinal);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task StartAsync_EmptyDatabase_AppliesMigrationsBeforeTheWorkersStart()
    {
        var database = await postgres.CreateDatabaseAsync("worker_host_migrate");
        using var host = Build(database, applyMigrations: null);

        await host.StartAsync();
        try
        {
            Assert.Contains("example_entities", await TablesAsync(database));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task StartAsync_EveryMigrationApplied_SkipsEfCoreMigrateAndKeepsTheSchema()
    {
        var database = await postgres.CreateDatabaseAsync("worker_host_remigrate");
        await StartAndStopAsync(Build(database, applyMigrations: null));
        var logs = new RecordingLoggerProvider();

        await StartAndStopAsync(Build(database, applyMigrations: null, logs));

        var migrator = logs.Entries.Where(e => e.Category.EndsWith(".DatabaseMigrator", StringComparison.Ordinal)).Select(e => e.Message).ToList();
        Assert.Equal(["Migrations of domain example are all applied"], migrator);
        Assert.DoesNotContain(logs.Entries, e => e.Category.StartsWith("Microsoft.EntityFrameworkCore.Migrations", StringComparison.Ordinal));
        Assert.Contains("example_entities", await TablesAsync(database));
    }

    [Fact]
    public async Task StartAsync_HistoryLacksAMigration_MigratesAgain()
    {
        var database = await postgres.CreateDatabaseAsync("worker_host_partial");
        await StartAndStopAsync(Build(database, applyMigrations: null));
        // As if the database predated the only migration: its tables and its history row are gone.
        await ExecuteAsync(database, "DROP TABLE example_entities, estuary_activity_results CASCADE; DELETE FROM \"__EFMigrationsHistory\";");
        var logs = new RecordingLoggerProvider();

        await StartAndStopAsync(Build(database, applyMigrations: null, logs));

        Assert.Contains(logs.Entries, e => e.Message == "Applying migrations of domain example");
        Assert.Contains("example_entities", await TablesAsync(database));
    }

    [Fact]
    public async Task StartAsync_MigrationsSwitchedOff_LeavesTheDatabaseAlone()
    {
        var database = await postgres.CreateDatabaseAsync("worker_host_nomigrate");
        using var host = Build(database, applyMigrations: "false");

        await host.StartAsync();
        try
        {
            Assert.Empty(await TablesAsync(database));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task HealthChecks_TemporalUnreachable_ReportTheAddressTriedAndTheDatabaseReachable()
    {
        var database = await postgres.CreateDatabaseAsync("worker_host_health");
        using var host = Build(database, applyMigrations: null);

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var temporal = report.Entries[EstuaryWorkerExtensions.TemporalHealthCheckName];
        Assert.Equal(HealthStatus.Unhealthy, temporal.Status);
        Assert.StartsWith($"Temporal at {UnusedAddress} is unreachable", temporal.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Unhealthy, report.Entries[EstuaryWorkerExtensions.WorkerHealthCheckName].Status);
        Assert.Contains(report.Entries, e => e.Key.Contains("ExampleDbContext", StringComparison.Ordinal) && e.Value.Status == HealthStatus.Healthy);
    }

    private static readonly string UnusedAddress = $"127.0.0.1:{UnusedPort()}";

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task StartAndStopAsync(IHost host)
    {
        using (host)
        {
            await host.StartAsync();
            await host.StopAsync();
        }
    }

    // The worker cannot reach Temporal here: it migrates, gives up soon, and the host stays so the test can look.
    private static IHost Build(string database, string? applyMigrations, RecordingLoggerProvider? logs = null) =>
        WorkerHost.Build(
            UnusedAddress,
            new Dictionary<string, string?>
            {
                ["ConnectionStrings:example-db"] = database,
                ["Estuary:Worker:ApplyMigrations"] = applyMigrations,
                ["Estuary:Worker:StartupTimeout"] = "00:00:00.3",
            },
            builder =>
            {
                builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
                if (logs is not null)
                {
                    builder.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Information);
                }
            },
            new ExampleDomain());

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<string>> TablesAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var tables = new List<string>();
        while (await reader.ReadAsync())
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }
}
