using System.Data.Common;
using Estuary.Temporal.Configuration;
using Estuary.Temporal.Domains;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using TemporalConnectionOptions = Estuary.Temporal.Configuration.TemporalConnectionOptions;

namespace Estuary.Temporal.Hosting;

/// <summary>
/// Starts a worker process in order: each served domain's database answers, its migrations are applied, Temporal
/// answers (the namespace included); then the workers poll, and one line says what they poll. A dependency that does
/// not answer is named in one log line and asked again with back-off for <see cref="EstuaryWorkerOptions.StartupTimeout"/>;
/// then the start gives up: one line says why, the process's exit code is 1 and the host stops. Ctrl+C stops the waits at once.
/// </summary>
/// <remarks>
/// The waits run once every hosted service has started (<see cref="IHostedLifecycleService.StartedAsync"/>): stopping
/// the host earlier, while ASP.NET Core's server starts, would make the host's start throw instead of ending cleanly.
/// </remarks>
internal sealed class WorkerStartup(
    IServiceProvider services,
    IReadOnlyList<DomainDescriptor> served,
    EstuaryWorkerOptions worker,
    IReadOnlyList<KeyValuePair<string, IReadOnlyList<DomainDescriptor>>> taskQueues,
    TemporalConnectionOptions temporal,
    EstuaryWorkerStatus status,
    ILogger<WorkerStartup> logger)
    : IHostedLifecycleService
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(5);

    // PostgreSQL's invalid_catalog_name: the server answers, the database does not exist yet.
    private const string MissingDatabase = "3D000";

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        if (temporal.Encryption is not { Enabled: true } && !temporal.IsLoopback)
        {
            logger.LogWarning(
                "Payload encryption is off (Estuary:Encryption:Enabled=false) and Temporal at {Address} is not on this machine: workflow inputs, results and activity data reach it in clear.",
                temporal.Address);
        }

        try
        {
            foreach (var domain in served.Select(d => d.Domain).Where(d => d.DbContextType is not null))
            {
                await WaitForDatabaseAsync(domain, cancellationToken);
            }

            if (worker.ApplyMigrations)
            {
                try
                {
                    await new DatabaseMigrator(services, served, services.GetRequiredService<ILogger<DatabaseMigrator>>()).MigrateAsync(cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    throw new StartupFailedException($"Applying the migrations failed: {OneLine(e)}");
                }
            }

            var client = services.GetRequiredService<ITemporalClient>();
            await RetryAsync(
                $"Temporal at {temporal.Address} (namespace '{temporal.Namespace}')",
                async () =>
                {
                    await client.Connection.ConnectAsync().WaitAsync(cancellationToken);
                    await client.Connection.WorkflowService.DescribeNamespaceAsync(
                        new DescribeNamespaceRequest { Namespace = temporal.Namespace },
                        new RpcOptions { CancellationToken = cancellationToken, Timeout = LongestRetry });
                },
                cancellationToken);

            var polling = $"Polling {string.Join(", ", taskQueues.Select(q => $"task queue '{q.Key}' (domains {string.Join(", ", q.Value.Select(d => d.Domain.Name))})"))} "
                + $"at Temporal {temporal.Address}, namespace '{temporal.Namespace}'.";
            status.Succeed(polling);
            logger.LogInformation("{Polling}", polling);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            status.Abandon();
        }
        catch (StartupFailedException e)
        {
            logger.LogCritical("{Failure} The worker stops.", e.Message);
            status.Fail(e.Message);
            Environment.ExitCode = 1;
            services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        }
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        status.Abandon();
        return Task.CompletedTask;
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task WaitForDatabaseAsync(EstuaryDomain domain, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = (DbContext)scope.ServiceProvider.GetRequiredService(domain.DbContextType!);
        DbConnection connection = db.Database.GetDbConnection();
        await RetryAsync(
            $"PostgreSQL database '{connection.Database}' of domain {domain.Name} at {connection.DataSource} (ConnectionStrings:{domain.ConnectionName})",
            async () =>
            {
                // The connection itself, not EF Core's: its execution strategy would retry (and log) on its own.
                try
                {
                    await connection.OpenAsync(cancellationToken);
                    await connection.CloseAsync();
                }
                catch (DbException e) when (e.SqlState == MissingDatabase && worker.ApplyMigrations)
                {
                    // The server answers and the database is new: create it, as migrating would.
                    await db.GetService<IRelationalDatabaseCreator>().CreateAsync(cancellationToken);
                }
            },
            cancellationToken);
    }

    // Calls until the call succeeds, waiting 0.25 s, 0.5 s, 1 s… (at most 5 s) between calls, for StartupTimeout.
    private async Task RetryAsync(string what, Func<Task> call, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + worker.StartupTimeout;
        var delay = FirstRetry;
        var attempts = 0;
        while (true)
        {
            try
            {
                await call();
                if (attempts > 0)
                {
                    logger.LogInformation("{What} answers", what);
                }

                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                attempts++;
                var left = deadline - DateTimeOffset.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    throw new StartupFailedException(
                        $"{what} is unreachable after {worker.StartupTimeout.TotalSeconds:0.#} s: {OneLine(e)}");
                }

                if (attempts == 1)
                {
                    logger.LogWarning(
                        "{What} is unreachable ({Error}); retrying for up to {Seconds:0.#} s", what, OneLine(e), worker.StartupTimeout.TotalSeconds);
                }

                await Task.Delay(delay < left ? delay : left, cancellationToken);
                delay = delay * 2 < LongestRetry ? delay * 2 : LongestRetry;
            }
        }
    }

    private static string OneLine(Exception e)
    {
        var root = e.GetBaseException();
        var text = root == e || e.Message.Contains(root.Message, StringComparison.Ordinal) ? e.Message : $"{e.Message}: {root.Message}";
        return text.ReplaceLineEndings(" ").Trim();
    }

    private sealed class StartupFailedException(string message) : Exception(message);
}
