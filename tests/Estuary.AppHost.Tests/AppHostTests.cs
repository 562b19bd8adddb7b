using System.Diagnostics;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;

namespace Estuary.AppHost.Tests;

[Collection(AppHostTestGroup.Name)]
public sealed class AppHostTests(AppHostFixture fixture)
{
    // A bound, not a target: on an idle machine everything is healthy in well under 30 s.
    private static readonly TimeSpan HealthyTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task StartAsync_LocalMode_EveryResourceHealthy()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
    }

    [Fact]
    public async Task TemporalResource_EmbeddedMode_ShowsTemporalUiUrlServingTheWorkflows()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
        using var timeout = new CancellationTokenSource(HealthyTimeout);
        var temporal = await fixture.App.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceAsync(
            "temporal", e => e.Snapshot.Urls.Any(u => u.DisplayProperties.DisplayName == "Temporal UI"), timeout.Token);
        var ui = new Uri(temporal.Snapshot.Urls.Single(u => u.DisplayProperties.DisplayName == "Temporal UI").Url);

        using var http = new HttpClient();
        var page = await http.GetStringAsync(new Uri(ui, "/namespaces/default/workflows"));

        Assert.Contains("<h1><span class=\"count\" id=\"workflow-count\"></span> Workflows</h1>", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunExampleWorkflowCommand_NewEntity_WorkflowCompletesAndEntityProcessed()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
        var app = fixture.App;
        var database = $"{await app.GetConnectionStringAsync("example-db")};Pooling=false";
        var entityId = await InsertEntityAsync(database, $"apphost-test-{Guid.NewGuid():N}");

        // The dashboard's "Run ExampleWorkflow" command, with the entity id typed in.
        var worker = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "example-worker");
        var result = await app.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(
            worker,
            WorkflowCommandExtensions.CommandName("ExampleWorkflow"),
            new InteractionInputCollection([new InteractionInput { Name = WorkflowCommandExtensions.ArgumentName, InputType = InputType.Text, Value = entityId.ToString(System.Globalization.CultureInfo.InvariantCulture) }]),
            CancellationToken.None);
        Assert.True(result.Success, result.Message);
        var workflowId = result.Data!.Value;

        var client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions((await app.GetConnectionStringAsync("temporal"))!));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var workflowResult = await client.GetWorkflowHandle(workflowId).GetResultAsync<JsonElement>(rpcOptions: new RpcOptions { CancellationToken = timeout.Token });

        Assert.Equal(entityId, workflowResult.GetProperty("EntityId").GetInt32());
        Assert.Equal("completed", workflowResult.GetProperty("Status").GetString());
        Assert.Equal("processed", await ReadStatusAsync(database, entityId));
    }

    [Fact]
    public async Task RunExampleWorkflowCommand_WorkerKilledWhileActivityBlocked_CompletesOnceAfterRestart()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
        var app = fixture.App;
        var commands = app.Services.GetRequiredService<ResourceCommandService>();
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        var worker = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "example-worker");
        var database = $"{await app.GetConnectionStringAsync("example-db")};Pooling=false";
        var entityId = await InsertEntityAsync(database, $"apphost-restart-{Guid.NewGuid():N}");

        // The test holds the entity's row lock: process_entity reads the entity, then blocks on its UPDATE.
        await using var blocker = new NpgsqlConnection(database);
        await blocker.OpenAsync();
        var transaction = await blocker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT id FROM example_entities WHERE id = $1 FOR UPDATE", blocker, transaction) { Parameters = { new() { Value = entityId } } })
        {
            await lockRow.ExecuteScalarAsync();
        }

        var started = await commands.ExecuteCommandAsync(
            worker,
            WorkflowCommandExtensions.CommandName("ExampleWorkflow"),
            new InteractionInputCollection([new InteractionInput { Name = WorkflowCommandExtensions.ArgumentName, InputType = InputType.Text, Value = entityId.ToString(System.Globalization.CultureInfo.InvariantCulture) }]),
            CancellationToken.None);
        Assert.True(started.Success, started.Message);
        await WaitUntilAsync(() => CountLockWaitersAsync(database), TimeSpan.FromSeconds(30), "process_entity never blocked on the row lock");

        // Kill the worker mid-activity (its process tree, as a crash would), let the row go, start it again.
        Assert.True(notifications.TryGetCurrentState(worker.Name, out var running), "the worker has a state");
        var pid = Convert.ToInt32(running.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value, System.Globalization.CultureInfo.InvariantCulture);
        using (var process = Process.GetProcessById(pid))
        {
            process.Kill(entireProcessTree: true);
        }

        using (var exitTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await notifications.WaitForResourceAsync(worker.Name, KnownResourceStates.TerminalStates, exitTimeout.Token);
        }

        await transaction.RollbackAsync();
        Assert.Equal("new", await ReadStatusAsync(database, entityId));
        var restarted = await commands.ExecuteCommandAsync(worker, KnownResourceCommands.StartCommand, CancellationToken.None);
        Assert.True(restarted.Success, restarted.Message);

        var client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions((await app.GetConnectionStringAsync("temporal"))!));
        var handle = client.GetWorkflowHandle(started.Data!.Value);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var workflowResult = await handle.GetResultAsync<JsonElement>(rpcOptions: new RpcOptions { CancellationToken = timeout.Token });

        // Exactly once: the attempt that completed saw the entity still new, and only one process_entity completed.
        Assert.Equal("completed", workflowResult.GetProperty("Status").GetString());
        Assert.Equal("new", workflowResult.GetProperty("Result").GetProperty("Result").GetProperty("PreviousStatus").GetString());
        Assert.Equal("processed", await ReadStatusAsync(database, entityId));
        var history = await handle.FetchHistoryAsync();
        var scheduled = history.Events
            .Where(e => e.EventType == EventType.ActivityTaskScheduled)
            .ToDictionary(e => e.EventId, e => e.ActivityTaskScheduledEventAttributes.ActivityType.Name);
        var completed = history.Events
            .Where(e => e.EventType == EventType.ActivityTaskCompleted)
            .Select(e => scheduled[e.ActivityTaskCompletedEventAttributes.ScheduledEventId])
            .ToList();
        Assert.Equal(1, completed.Count(name => name == "process_entity"));
        var processStarted = history.Events.Single(e =>
            e.EventType == EventType.ActivityTaskStarted && scheduled[e.ActivityTaskStartedEventAttributes.ScheduledEventId] == "process_entity");
        Assert.True(processStarted.ActivityTaskStartedEventAttributes.Attempt > 1, "the activity that completed was a retry of the interrupted attempt");
    }

    private static async Task<long> CountLockWaitersAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    private static async Task WaitUntilAsync(Func<Task<long>> count, TimeSpan timeout, string failure)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (await count() == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    private static async Task<int> InsertEntityAsync(string connectionString, string name)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand("INSERT INTO example_entities (name, status) VALUES ($1, 'new') RETURNING id", connection)
        {
            Parameters = { new() { Value = name } },
        };
        return (int)(await insert.ExecuteScalarAsync())!;
    }

    private static async Task<string?> ReadStatusAsync(string connectionString, int entityId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var select = new NpgsqlCommand("SELECT status FROM example_entities WHERE id = $1", connection) { Parameters = { new() { Value = entityId } } };
        return (string?)await select.ExecuteScalarAsync();
    }
}
