using System.Text.Json;
using Estuary.Cli;
using Estuary.Cli.Commands;
using Estuary.Tests.Commands;
using Estuary.Tests.Infrastructure;
using Estuary.Worker.Example;
using Estuary.Worker.Example.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Temporalio.Api.Enums.V1;
using Temporalio.Exceptions;

namespace Estuary.Tests.EndToEnd;

/// <summary>
/// The seed's example end to end: <c>trigger example example &lt;id&gt; --wait</c> through the CLI, a real Example worker,
/// the embedded Temporal server and a real PostgreSQL database.
/// </summary>
[Collection(UsesTemporal.Name)]
public sealed class ExampleWorkflowEndToEndTests(EndToEndFixture fixture) : IAsyncLifetime
{
    private WorkerProcess _worker = null!;

    public async ValueTask InitializeAsync() => _worker = await fixture.WorkerAsync(new ExampleDomain());

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Trigger_ExistingEntityWithWait_PrintsCompletedResultAndProcessesTheRow()
    {
        var entityId = await AddEntityAsync("invoice 7");
        var workflowId = $"example-{Guid.NewGuid():N}";

        var (exitCode, output, error) = await TriggerAsync("example", "example", $"{entityId}", "--wait", "--json", "--id", workflowId);

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(workflowId, json.RootElement.GetProperty("workflowId").GetString());
        Assert.Equal("completed", json.RootElement.GetProperty("status").GetString());
        var result = json.RootElement.GetProperty("result");
        Assert.Equal(entityId, result.GetProperty("EntityId").GetInt32());
        Assert.Equal("completed", result.GetProperty("Status").GetString());
        Assert.True(result.GetProperty("Result").GetProperty("Success").GetBoolean());
        Assert.Equal(ExampleEntity.ProcessedStatus, await StatusAsync(entityId));

        var history = await fixture.Client.GetWorkflowHandle(workflowId).FetchHistoryAsync();
        Assert.Equal(2, history.Events.Count(e => e.EventType == EventType.ActivityTaskCompleted));
        Assert.Equal(EventType.WorkflowExecutionCompleted, history.Events.Last().EventType);
    }

    [Fact]
    public async Task Trigger_ReadmeFirstCommandOnAFreshDatabase_ProcessesSeededEntityOne()
    {
        var (exitCode, output, error) = await TriggerAsync("example", "example", "1", "--wait");

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        Assert.Contains("ExampleWorkflow completed with result:", output, StringComparison.Ordinal);
        Assert.Equal(ExampleEntity.ProcessedStatus, await StatusAsync(1));
    }

    [Fact]
    public async Task Trigger_WithoutWait_PrintsIdsAndTheWorkflowCompletesInTheBackground()
    {
        var entityId = await AddEntityAsync("order 12");

        var (exitCode, output, _) = await TriggerAsync("example", "ExampleWorkflow", $"{entityId}");

        Assert.Equal(EstuaryCommandLine.Success, exitCode);
        Assert.Matches(@"^Started ExampleWorkflow \(workflow id example-example-[0-9a-f]{12}, run id [0-9a-f-]{36}\)\.\s*$", output);
        var workflowId = output.Split("workflow id ")[1].Split(',')[0];
        await fixture.Client.GetWorkflowHandle(workflowId).GetResultAsync();
        Assert.Equal(ExampleEntity.ProcessedStatus, await StatusAsync(entityId));
    }

    [Fact]
    public async Task Trigger_MissingEntity_ExitsOneWithTheActivityFailure()
    {
        var (exitCode, output, error) = await TriggerAsync("example", "example", "987654", "--wait");

        Assert.Equal(EstuaryCommandLine.Failed, exitCode);
        Assert.StartsWith("Started ExampleWorkflow", output, StringComparison.Ordinal);
        Assert.Matches(
            @"^error: Workflow ExampleWorkflow \(id example-example-[0-9a-f]{12}\) failed: activity get_entity_details failed: Entity 987654 not found\s*$",
            error);
    }

    [Fact]
    public async Task Trigger_InvalidArgumentAgainstRunningServer_StartsNothing()
    {
        var workflowId = $"never-{Guid.NewGuid():N}";

        var (exitCode, _, error) = await TriggerAsync("example", "example", "twelve", "--id", workflowId);

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.Equal($"error: Argument 'entityId' of ExampleWorkflow must be an int, got 'twelve'.{Environment.NewLine}", error);
        var notFound = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.GetWorkflowHandle(workflowId).DescribeAsync());
        Assert.Equal(RpcException.StatusCode.NotFound, notFound.Code);
    }

    [Fact]
    public async Task Trigger_SameIdWhileRunning_ExitsOneNamingTheRunningRun()
    {
        var workflowId = $"busy-{Guid.NewGuid():N}";
        var otherQueue = $"nobody-polls-{Guid.NewGuid():N}";
        var first = await TriggerAsync("example", "example", "1", "--id", workflowId, "--task-queue", otherQueue);
        Assert.Equal(EstuaryCommandLine.Success, first.ExitCode);

        var (exitCode, _, error) = await TriggerAsync("example", "example", "1", "--id", workflowId, "--task-queue", otherQueue);

        Assert.Equal(EstuaryCommandLine.Failed, exitCode);
        Assert.Matches($@"^error: Workflow id '{workflowId}' is already running \(run id [0-9a-f-]{{36}}\)\.\s*$", error);
        await fixture.Client.GetWorkflowHandle(workflowId).TerminateAsync("test done");
    }

    [Fact]
    public async Task Worker_CommandForExampleDomain_RunsATriggeredWorkflowUntilStopped()
    {
        var database = await fixture.Postgres.CreateDatabaseAsync("example_cli_worker");
        var taskQueue = $"cli-worker-{Guid.NewGuid():N}";
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(WorkerProcess.Configuration(new ExampleDomain(), fixture.Address, database, taskQueue))
            .Build();
        using var stop = new CancellationTokenSource();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var worker = new EstuaryCommandLine(CliHost.Domains, configuration, output, error)
            .RunAsync(["worker", "--domains", "example", "--task-queue", taskQueue], stop.Token);

        var entityId = await WaitForMigratedDatabaseThenAddEntityAsync(database);
        var (exitCode, result, triggerError) = await TriggerAsync("example", "example", $"{entityId}", "--wait", "--task-queue", taskQueue);
        await stop.CancelAsync();

        Assert.True(exitCode == EstuaryCommandLine.Success, triggerError);
        Assert.Contains("ExampleWorkflow completed with result:", result, StringComparison.Ordinal);
        Assert.Equal(EstuaryCommandLine.Success, await worker.WaitAsync(Eventually.Patience));
        Assert.Empty(error.ToString());
    }

    private Task<(int ExitCode, string Output, string Error)> TriggerAsync(params string[] args) =>
        CommandLineRunner.RunAsync(
            CliHost.Domains,
            ["trigger", .. args, "--address", fixture.Address, .. args.Contains("--task-queue") ? Array.Empty<string>() : ["--task-queue", _worker.TaskQueue]]);

    private Task<int> AddEntityAsync(string name) =>
        _worker.WithAsync<ExampleDbContext, int>(async db =>
        {
            var entity = new ExampleEntity { Name = name, CreatedAt = DateTimeOffset.UtcNow };
            db.Entities.Add(entity);
            await db.SaveChangesAsync();
            return entity.Id;
        });

    private Task<string> StatusAsync(int entityId) =>
        _worker.WithAsync<ExampleDbContext, string>(db => db.Entities.Where(e => e.Id == entityId).Select(e => e.Status).SingleAsync());

    // The CLI worker migrates its database before it polls and announces nothing: seed the row once the table exists.
    private static async Task<int> WaitForMigratedDatabaseThenAddEntityAsync(string database)
    {
        var options = new DbContextOptionsBuilder<ExampleDbContext>().UseNpgsql(database).Options;
        var id = await Eventually.PollAsync(
            async () =>
            {
                await using var db = new ExampleDbContext(options);
                var entity = new ExampleEntity { Name = "from the worker command", CreatedAt = DateTimeOffset.UtcNow };
                db.Entities.Add(entity);
                try
                {
                    await db.SaveChangesAsync();
                    return (int?)entity.Id;
                }
                catch (Exception e) when (e is DbUpdateException or Npgsql.PostgresException)
                {
                    return null;
                }
            },
            id => id is not null,
            "the example_entities table the worker command creates");
        return id!.Value;
    }
}
