using System.Net;
using System.Net.Sockets;
using Estuary.Tests.Infrastructure;
using Estuary.Worker.Example;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Estuary.Tests.Temporal;

[Collection(UsesPostgres.Name)]
public sealed class WorkerHostTests(PostgresFixture postgres)
{
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

    // The worker cannot reach Temporal here; the host stays up so what happened before can be observed.
    private static IHost Build(string database, string? applyMigrations) =>
        WorkerHost.Build(
            UnusedAddress,
            new Dictionary<string, string?>
            {
                ["ConnectionStrings:example-db"] = database,
                ["Estuary:Worker:ApplyMigrations"] = applyMigrations,
            },
            builder => builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore),
            new ExampleDomain());

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
