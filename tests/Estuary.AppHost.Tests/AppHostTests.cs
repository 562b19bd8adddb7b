using System.Diagnostics;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Estuary.Cli;
using Estuary.Cli.Commands;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;

namespace Estuary.AppHost.Tests;

[Collection(AppHostTestGroup.Name)]
public sealed class AppHostTests(AppHostFixture fixture)
{
    // A bound, not a target: on an idle machine everything is healthy in well under 30 s; other test runs sharing two
    // cores can make it minutes.
    private static readonly TimeSpan HealthyTimeout = TimeSpan.FromMinutes(5);

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
        Assert.Equal(fixture.TemporalPort + 1000, ui.Port);

        using var http = new HttpClient();
        var page = await http.GetStringAsync(new Uri(ui, "/namespaces/default/workflows"));

        Assert.Contains("<h1><span class=\"count\" id=\"workflow-count\"></span> Workflows</h1>", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_LocalMode_TemporalOnConfiguredPortAndOneReadyBlockWithoutPassword()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
        using var timeout = new CancellationTokenSource(HealthyTimeout);
        var ready = await fixture.Log.WaitForAsync(line => line.StartsWith("Estuary is ready.", StringComparison.Ordinal), timeout.Token);

        Assert.Equal($"localhost:{fixture.TemporalPort}", await fixture.App.GetConnectionStringAsync("temporal"));
        var client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions($"127.0.0.1:{fixture.TemporalPort}"));
        Assert.NotNull(await client.Connection.WorkflowService.GetSystemInfoAsync(new()));

        var postgres = await fixture.App.GetConnectionStringAsync("postgres");
        var password = await fixture.ParameterValueAsync("postgres-password");
        Assert.Contains($"Temporal:   localhost:{fixture.TemporalPort}, namespace default (UI http://localhost:{fixture.TemporalPort + 1000})", ready, StringComparison.Ordinal);
        Assert.Contains($"PostgreSQL: {postgres} (", ready, StringComparison.Ordinal);
        Assert.DoesNotContain(password, ready, StringComparison.Ordinal);
        Assert.Contains(fixture.LocalEndpointsFile, ready, StringComparison.Ordinal);
        Assert.Single(fixture.Log.Lines, line => line.StartsWith("Estuary is ready.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Trigger_NoAddressGiven_CliFindsTemporalAndDashboardThroughEndpointsFile()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
        using var timeout = new CancellationTokenSource(HealthyTimeout);
        await fixture.Log.WaitForAsync(line => line.StartsWith("Estuary is ready.", StringComparison.Ordinal), timeout.Token);

        // The file: this AppHost (the test process), its Temporal, its OTLP endpoint and key, for the user's eyes only.
        using (var file = JsonDocument.Parse(await File.ReadAllTextAsync(fixture.LocalEndpointsFile)))
        {
            var root = file.RootElement;
            Assert.Equal(Environment.ProcessId, root.GetProperty("processId").GetInt32());
            Assert.Equal($"localhost:{fixture.TemporalPort}", root.GetProperty("temporal").GetProperty("address").GetString());
            Assert.Equal("default", root.GetProperty("temporal").GetProperty("namespace").GetString());
            Assert.Equal($"http://localhost:{fixture.TemporalPort + 1000}", root.GetProperty("temporal").GetProperty("ui").GetString());
            Assert.Equal(fixture.Otlp.Endpoint, root.GetProperty("otlp").GetProperty("endpoint").GetString());
            Assert.Equal("grpc", root.GetProperty("otlp").GetProperty("protocol").GetString());
            Assert.Equal($"x-otlp-api-key={fixture.OtlpApiKey}", root.GetProperty("otlp").GetProperty("headers").GetString());

            // Where the payload keys are, never a key.
            var encryption = root.GetProperty("encryption");
            Assert.True(encryption.GetProperty("enabled").GetBoolean());
            Assert.Equal(AppHostFixture.UserSecretsId, encryption.GetProperty("userSecretsId").GetString());
            Assert.Equal("k1", encryption.GetProperty("activeKey").GetString());
            Assert.DoesNotContain(fixture.PayloadKey, file.RootElement.GetRawText(), StringComparison.Ordinal);
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(fixture.LocalEndpointsFile));
        }

        // The command line with no address: it reaches this AppHost's Temporal, and its span reaches the OTLP endpoint with the key.
        var workflowId = $"apphost-cli-{Guid.NewGuid():N}";
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await new EstuaryCommandLine(CliHost.Domains, fixture.CliConfiguration(), output, error,
            CliHost.TemporalSources(fixture.LocalEndpointsFile)).RunAsync(
            ["trigger", "payments", "recordpayment", $$"""{"reference":"{{workflowId}}","amountMinor":1250,"currency":"EUR"}""", "--id", workflowId, "--wait", "--json"]);

        Assert.True(exitCode == 0, $"exit code {exitCode}: {output}{error}");
        using (var result = JsonDocument.Parse(output.ToString()))
        {
            Assert.Equal(workflowId, result.RootElement.GetProperty("workflowId").GetString());
            Assert.Equal("completed", result.RootElement.GetProperty("status").GetString());
        }

        var export = await fixture.Otlp.WaitForAsync(
            e => e.Method.Contains("TraceService", StringComparison.Ordinal) && e.Contains("estuary-cli") && e.Contains(workflowId),
            timeout.Token);
        Assert.Equal(fixture.OtlpApiKey, export.ApiKey);
    }

    [Fact]
    public async Task Trigger_ReadmeFirstCommand_SeededEntityOneProcessed()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
        using var timeout = new CancellationTokenSource(HealthyTimeout);
        await fixture.Log.WaitForAsync(line => line.StartsWith("Estuary is ready.", StringComparison.Ordinal), timeout.Token);

        // The command the README and the ready block give, as typed, on a fresh cluster: nothing created or given by hand
        // first; estuary takes the workers' payload key from the AppHost's user secrets.
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await new EstuaryCommandLine(CliHost.Domains, fixture.CliConfiguration(), output, error,
            CliHost.TemporalSources(fixture.LocalEndpointsFile)).RunAsync(
            ["trigger", "example", "example", "1", "--wait", "--json"]);

        Assert.True(exitCode == 0, $"exit code {exitCode}: {output}{error}");
        using var result = JsonDocument.Parse(output.ToString());
        Assert.Equal("completed", result.RootElement.GetProperty("status").GetString());
        Assert.Equal("processed", await ReadStatusAsync($"{await fixture.App.GetConnectionStringAsync("example-db")};Pooling=false", 1));
    }

    [Fact]
    public async Task Run_TemporalPortHeldByThisAppHost_OneLineNamingItAndExitsOne()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
        var state = Path.Combine(Path.GetTempPath(), $"estuary-second-apphost-{Guid.NewGuid():N}");

        var (exitCode, output, error) = await AppHostRun.RunAsync(
        [
            "Temporal:Mode=Embedded", "Postgres:Mode=Local", $"Temporal:Port={fixture.TemporalPort}", $"Estuary:StateDirectory={state}",
            .. AppHostRun.FreeDashboardUrls(),
        ]);

        Assert.True(exitCode == 1, $"exit code {exitCode}: {output}{error}");
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith($"Port {fixture.TemporalPort} (Temporal) is held by another Estuary AppHost (pid {Environment.ProcessId}, through 'Estuary.DevServ' pid ", line, StringComparison.Ordinal);
        Assert.EndsWith("or set Temporal:Port to a free port.", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Distributed application starting", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(state), "the second AppHost created its state directory");
    }

    [Fact]
    public async Task Supervision_WorkerKilledWhileActivityBlocked_RestartedAndWorkflowCompletesOnce()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
        var app = fixture.App;
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

        var started = await WorkflowCommandTests.StartAsync(fixture, "example-worker", "ExampleWorkflow", new() { ["entityId"] = entityId.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await WaitUntilAsync(() => CountLockWaitersAsync(database), HealthyTimeout, "process_entity never blocked on the row lock");

        // A crash mid-activity: SIGKILL to the process Aspire reports and its children. Nobody starts it again but the AppHost.
        await WaitForRestartAsync("example-worker", Kill("example-worker"));
        await transaction.RollbackAsync();

        var client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions((await app.GetConnectionStringAsync("temporal"))!) { DataConverter = fixture.DataConverter });
        var handle = client.GetWorkflowHandle(started.Id);
        using var timeout = new CancellationTokenSource(HealthyTimeout);
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

    [Fact]
    public async Task Supervision_EmbeddedServerKilledWhileWorkflowWaits_RestartedAndWorkflowCompletes()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
        var app = fixture.App;
        // The server keeps its workflows in its database file: what it knew before the kill, it knows after.
        var temporal = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "temporal");
        Assert.Contains("--db-filename", await ModelTests.ArgumentsAsync(temporal));

        var database = $"{await app.GetConnectionStringAsync("example-db")};Pooling=false";
        var entityId = await InsertEntityAsync(database, $"apphost-server-restart-{Guid.NewGuid():N}");

        // The workflow is in flight when the server dies: its activity waits on the test's row lock.
        await using var blocker = new NpgsqlConnection(database);
        await blocker.OpenAsync();
        var transaction = await blocker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT id FROM example_entities WHERE id = $1 FOR UPDATE", blocker, transaction) { Parameters = { new() { Value = entityId } } })
        {
            await lockRow.ExecuteScalarAsync();
        }

        var started = await WorkflowCommandTests.StartAsync(fixture, "example-worker", "ExampleWorkflow", new() { ["entityId"] = entityId.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await WaitUntilAsync(() => CountLockWaitersAsync(database), HealthyTimeout, "process_entity never blocked on the row lock");

        // The activity finishes while the server is down: the worker offers its result again until the server is back
        // (or, past its retries, the attempt times out on heartbeats and a new one runs).
        var killed = Kill("temporal");
        await transaction.RollbackAsync();
        await WaitForRestartAsync("temporal", killed);
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);

        var client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions((await app.GetConnectionStringAsync("temporal"))!) { DataConverter = fixture.DataConverter });
        var handle = client.GetWorkflowHandle(started.Id);
        using var timeout = new CancellationTokenSource(HealthyTimeout);
        var workflowResult = await handle.GetResultAsync<JsonElement>(rpcOptions: new RpcOptions { CancellationToken = timeout.Token });

        // The run started before the kill is the one that completed after it, on the restarted server.
        Assert.Equal("completed", workflowResult.GetProperty("Status").GetString());
        Assert.Equal("processed", await ReadStatusAsync(database, entityId));
        var history = await handle.FetchHistoryAsync();
        Assert.Single(history.Events, e => e.EventType == EventType.WorkflowExecutionStarted);
        Assert.Equal(EventType.WorkflowExecutionCompleted, history.Events.Last().EventType);
    }

    [Fact]
    public async Task Supervision_WorkerStoppedFromDashboard_NotRestarted()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
        var app = fixture.App;
        var commands = app.Services.GetRequiredService<ResourceCommandService>();
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        var worker = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "bookings-worker");
        using var timeout = new CancellationTokenSource(HealthyTimeout);

        // The dashboard's Stop: Running, Stopping, Finished; then its Start.
        var stopped = await commands.ExecuteCommandAsync(worker, KnownResourceCommands.StopCommand, CancellationToken.None);
        Assert.True(stopped.Success, stopped.Message);
        await notifications.WaitForResourceAsync(worker.Name, KnownResourceStates.TerminalStates, timeout.Token);
        var started = await commands.ExecuteCommandAsync(worker, KnownResourceCommands.StartCommand, CancellationToken.None);
        await notifications.WaitForResourceHealthyAsync(worker.Name, timeout.Token);

        Assert.DoesNotContain(fixture.Log.Lines, line => line.StartsWith($"{worker.Name} exited", StringComparison.Ordinal));
    }

    // SIGKILL to the process Aspire reports for the resource and to its children, as a crash or "kill -9" would.
    private int Kill(string resourceName)
    {
        Assert.True(fixture.App.Services.GetRequiredService<ResourceNotificationService>().TryGetCurrentState(resourceName, out var running), $"{resourceName} has a state");
        var pid = ProcessId(running);
        using var process = Process.GetProcessById(pid);
        process.Kill(entireProcessTree: true);
        return pid;
    }

    // The AppHost's own restart: one log line with the exit code, the same resource running again under a new process, healthy.
    private async Task WaitForRestartAsync(string resourceName, int killedPid)
    {
        using var timeout = new CancellationTokenSource(HealthyTimeout);
        var restartLine = await fixture.Log.WaitForAsync(
            line => line.StartsWith($"{resourceName} exited unexpectedly (exit code ", StringComparison.Ordinal), timeout.Token);
        Assert.Contains("restarting it in 1 s (restart 1 of at most 5 within 00:05:00)", restartLine, StringComparison.Ordinal);
        await fixture.App.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceAsync(
            resourceName,
            e => e.Snapshot.State?.Text == KnownResourceStates.Running && ProcessId(e) is var pid && pid != 0 && pid != killedPid && e.Snapshot.HealthStatus == HealthStatus.Healthy,
            timeout.Token);
    }

    /// <summary>The process id Aspire reports for a running executable or project.</summary>
    /// <param name="resourceEvent">The resource's state.</param>
    /// <returns>The process id, 0 when there is none.</returns>
    internal static int ProcessId(ResourceEvent resourceEvent) =>
        resourceEvent.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } value
            ? Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)
            : 0;

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

    internal static async Task<int> InsertEntityAsync(string connectionString, string name)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand("INSERT INTO example_entities (name, status) VALUES ($1, 'new') RETURNING id", connection)
        {
            Parameters = { new() { Value = name } },
        };
        return (int)(await insert.ExecuteScalarAsync())!;
    }

    internal static async Task<string?> ReadStatusAsync(string connectionString, int entityId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var select = new NpgsqlCommand("SELECT status FROM example_entities WHERE id = $1", connection) { Parameters = { new() { Value = entityId } } };
        return (string?)await select.ExecuteScalarAsync();
    }
}
