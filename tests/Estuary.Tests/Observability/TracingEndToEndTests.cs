using System.Diagnostics;
using Estuary.Cli;
using Estuary.Cli.Commands;
using Estuary.Temporal.Domains;
using Estuary.Temporal.Monitoring;
using Estuary.Temporal.Tracing;
using Estuary.Tests.Commands;
using Estuary.Tests.Infrastructure;
using Estuary.Worker.Example;
using Estuary.Worker.Example.Data;
using Estuary.Worker.Example.Workflows;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Temporalio.Client;
using TemporalConnectionOptions = Estuary.Temporal.Configuration.TemporalConnectionOptions;
using Temporalio.Exceptions;
using Temporalio.Extensions.Hosting;
using Temporalio.Worker;

namespace Estuary.Tests.Observability;

/// <summary>
/// Traces asserted span by span, exported through the service defaults' OpenTelemetry pipeline from real workers on the
/// embedded Temporal server: the client's start, the workflow, its activities, their SQL, across retries, failures, a
/// worker restart and replays.
/// </summary>
[Collection(UsesTemporal.Name)]
public sealed class TracingEndToEndTests(EndToEndFixture fixture)
{
    private readonly TelemetryCapture _capture = new();

    [Fact]
    public async Task Trigger_ExampleWorkflow_OneTraceFromTheCommandLineThroughTheWorkflowAndActivitiesToTheirSqlAsEvents()
    {
        var database = await fixture.Postgres.CreateDatabaseAsync("example_traced");
        var taskQueue = $"traced-example-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(taskQueue, new ExampleDomain(), database);
        var entityId = await CreateEntityAsync(host);

        var workflowId = $"traced-example-{Guid.NewGuid():N}";
        var (exitCode, _, error) = await CommandLineRunner.RunAsync(
            CliHost.Domains, "trigger", "example", "example", $"{entityId}", "--wait", "--id", workflowId, "--address", fixture.Address, "--task-queue", taskQueue);

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        var trace = _capture.TraceOf(workflowId);
        var start = Single(trace, "StartWorkflow:ExampleWorkflow");
        Assert.Equal((ActivityKind.Client, default), (start.Kind, start.ParentSpanId));
        var run = Single(trace, "RunWorkflow:ExampleWorkflow");
        Assert.Equal((ActivityKind.Server, start.SpanId), (run.Kind, run.ParentSpanId));
        Assert.Equal(workflowId, run.GetTagItem(TracingTags.WorkflowId));
        Assert.Equal(start.GetTagItem(TracingTags.RunId), run.GetTagItem(TracingTags.RunId));
        Assert.Equal(("ExampleWorkflow", taskQueue, "example"), (run.GetTagItem(TracingTags.WorkflowType), run.GetTagItem(TracingTags.TaskQueue), run.GetTagItem(TracingTags.Domain)));
        foreach (var activityType in new[] { "get_entity_details", "process_entity" })
        {
            var schedule = Single(trace, $"StartActivity:{activityType}");
            Assert.Equal(run.SpanId, schedule.ParentSpanId);
            var execute = Single(trace, $"RunActivity:{activityType}");
            Assert.Equal(schedule.SpanId, execute.ParentSpanId);
            Assert.Equal((activityType, 1, "example"), (execute.GetTagItem(TracingTags.ActivityType), execute.GetTagItem(TracingTags.Attempt), execute.GetTagItem(TracingTags.Domain)));
            Assert.NotNull(execute.GetTagItem(TracingTags.ActivityId));
        }

        // By default each SQL command is an event on its activity's span, not a span of its own.
        Assert.Contains(SqlEvents(Single(trace, "RunActivity:get_entity_details")), text => text.Contains("SELECT", StringComparison.Ordinal));
        Assert.Contains(SqlEvents(Single(trace, "RunActivity:process_entity")), text => text.Contains("UPDATE", StringComparison.Ordinal));
        var query = Single(trace, "RunActivity:get_entity_details").Events.First(e => e.Name == SqlCommandEvents.EventName);
        Assert.Equal("postgresql", query.Tags.Single(t => t.Key == "db.system.name").Value);
        Assert.StartsWith("example_traced", (string)query.Tags.Single(t => t.Key == "db.namespace").Value!, StringComparison.Ordinal);
        Assert.IsType<double>(query.Tags.Single(t => t.Key == "db.duration_ms").Value);
        Assert.DoesNotContain(trace, s => s.Source.Name == "Npgsql");
        Assert.Equal(run.SpanId, Single(trace, "CompleteWorkflow:ExampleWorkflow").ParentSpanId);
        Assert.DoesNotContain(trace, s => s.Status == ActivityStatusCode.Error);
    }

    [Fact]
    public async Task Run_ExampleWorkflowWithSqlSpansConfigured_EachSqlCommandIsANpgsqlSpanUnderItsActivity()
    {
        var taskQueue = $"traced-sql-spans-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(
            taskQueue, new ExampleDomain(), await fixture.Postgres.CreateDatabaseAsync("example_sql_spans"), settings: new() { [SqlTelemetrySetting.ConfigurationKey] = "Spans" });
        var workflowId = $"traced-sql-spans-{Guid.NewGuid():N}";

        var entityId = await CreateEntityAsync(host);

        await (await ClientAsync(new ExampleDomain())).ExecuteWorkflowAsync((ExampleWorkflow wf) => wf.RunAsync(entityId), new(workflowId, taskQueue));

        var trace = _capture.TraceOf(workflowId);
        foreach (var execute in trace.Where(s => s.OperationName.StartsWith("RunActivity:", StringComparison.Ordinal)))
        {
            Assert.Contains(trace, sql => sql.Source.Name == "Npgsql" && sql.ParentSpanId == execute.SpanId);
            Assert.Empty(SqlEvents(execute));
        }

        Assert.Equal(2, trace.Count(s => s.OperationName.StartsWith("RunActivity:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Run_ExampleWorkflowWithSqlTelemetryNone_NoSqlInTheTrace()
    {
        var taskQueue = $"traced-sql-none-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(
            taskQueue, new ExampleDomain(), await fixture.Postgres.CreateDatabaseAsync("example_sql_none"), settings: new() { [SqlTelemetrySetting.ConfigurationKey] = "none" });
        var workflowId = $"traced-sql-none-{Guid.NewGuid():N}";

        var entityId = await CreateEntityAsync(host);

        await (await ClientAsync(new ExampleDomain())).ExecuteWorkflowAsync((ExampleWorkflow wf) => wf.RunAsync(entityId), new(workflowId, taskQueue));

        var trace = _capture.TraceOf(workflowId);
        Assert.Equal(2, trace.Count(s => s.OperationName.StartsWith("RunActivity:", StringComparison.Ordinal)));
        Assert.DoesNotContain(trace, s => s.Source.Name == "Npgsql" || SqlEvents(s).Count > 0);
    }

    [Fact]
    public async Task Run_ActivityFailsOnceThenSucceeds_BothAttemptsUnderOneStartActivitySpan()
    {
        var taskQueue = $"traced-retry-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(taskQueue, new TracedDomain());
        var workflowId = $"traced-retry-{Guid.NewGuid():N}";

        var result = await (await ClientAsync()).ExecuteWorkflowAsync((RetriedWorkflow wf) => wf.RunAsync("hello"), new(workflowId, taskQueue));

        Assert.Equal("hello (attempt 2)", result);
        var trace = _capture.TraceOf(workflowId);
        var run = Single(trace, "RunWorkflow:RetriedWorkflow");
        var schedule = Single(trace, "StartActivity:traced_fail_first_attempt");
        Assert.Equal(run.SpanId, schedule.ParentSpanId);
        var attempts = trace.Where(s => s.OperationName == "RunActivity:traced_fail_first_attempt").OrderBy(s => s.GetTagItem(TracingTags.Attempt)).ToList();
        Assert.Collection(
            attempts,
            first =>
            {
                Assert.Equal((1, ActivityStatusCode.Error, schedule.SpanId), (first.GetTagItem(TracingTags.Attempt), first.Status, first.ParentSpanId));
                var exception = Assert.Single(first.Events, e => e.Name == "exception");
                Assert.Contains(exception.Tags, t => t.Key == "exception.message" && Equals(t.Value, "first attempt for 'hello' fails"));
            },
            second => Assert.Equal((2, ActivityStatusCode.Unset, schedule.SpanId), (second.GetTagItem(TracingTags.Attempt), second.Status, second.ParentSpanId)));
        Assert.Equal(attempts[0].GetTagItem(TracingTags.ActivityId), attempts[1].GetTagItem(TracingTags.ActivityId));
    }

    [Fact]
    public async Task Run_ActivityRefusesWithoutRetry_ActivityAndWorkflowSpansAreErrorsWithTheException()
    {
        var taskQueue = $"traced-failing-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(taskQueue, new TracedDomain());
        var workflowId = $"traced-failing-{Guid.NewGuid():N}";

        await Assert.ThrowsAsync<WorkflowFailedException>(
            async () => await (await ClientAsync()).ExecuteWorkflowAsync((FailingWorkflow wf) => wf.RunAsync("closed"), new(workflowId, taskQueue)));

        var trace = _capture.TraceOf(workflowId);
        var execute = Single(trace, "RunActivity:traced_refuse");
        Assert.Equal((ActivityStatusCode.Error, "refused: closed"), (execute.Status, execute.StatusDescription));
        var complete = Single(trace, "CompleteWorkflow:FailingWorkflow");
        Assert.Equal((ActivityStatusCode.Error, Single(trace, "RunWorkflow:FailingWorkflow").SpanId), (complete.Status, complete.ParentSpanId));
        Assert.Contains(complete.Events, e => e.Name == "exception");
    }

    [Fact]
    public async Task Run_WorkerReplacedWhileTheWorkflowSleeps_TheNewWorkerContinuesTheTraceWithoutRepeatingSpans()
    {
        var taskQueue = $"traced-restart-{Guid.NewGuid():N}";
        var workflowId = $"traced-restart-{Guid.NewGuid():N}";
        var client = await ClientAsync();
        WorkflowHandle handle;
        await using (var first = await StartWorkerAsync(taskQueue, new TracedDomain()))
        {
            handle = await client.StartWorkflowAsync((PausingWorkflow wf) => wf.RunAsync("restart", TimeSpan.FromSeconds(2)), new(workflowId, taskQueue));
            await handle.WaitForHistoryAsync(h => h.Any(e => e.EventType == Temporalio.Api.Enums.V1.EventType.TimerStarted), "the workflow sleeping");
        }

        await using var second = await StartWorkerAsync(taskQueue, new TracedDomain());
        Assert.Equal("restart before, restart after", await handle.GetResultAsync<string>());

        var trace = _capture.TraceOf(workflowId);
        var start = Single(trace, "StartWorkflow:PausingWorkflow");
        var run = Single(trace, "RunWorkflow:PausingWorkflow");
        var schedules = trace.Where(s => s.OperationName == "StartActivity:traced_echo").ToList();
        var executions = trace.Where(s => s.OperationName == "RunActivity:traced_echo").ToList();
        Assert.Equal(2, schedules.Count);
        Assert.Equal(2, executions.Count);

        // The first worker parented its spans to its RunWorkflow span; the second replayed that part silently and
        // parents what it adds to the context the workflow was started with.
        Assert.Equal(run.SpanId, schedules[0].ParentSpanId);
        Assert.Equal(start.SpanId, schedules[1].ParentSpanId);
        Assert.Equal(schedules.Select(s => s.SpanId), executions.Select(e => e.ParentSpanId));
        Assert.Equal(start.SpanId, Single(trace, "CompleteWorkflow:PausingWorkflow").ParentSpanId);
    }

    [Fact]
    public async Task Signal_FromAClient_HandledInTheWorkflowsTraceAndLinkedToTheSignallingSpan()
    {
        var taskQueue = $"traced-signal-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(taskQueue, new TracedDomain());
        var workflowId = $"traced-signal-{Guid.NewGuid():N}";
        var client = await ClientAsync();
        var handle = await client.StartWorkflowAsync((SignaledWorkflow wf) => wf.RunAsync(), new(workflowId, taskQueue));

        await handle.SignalAsync(wf => wf.ProceedAsync("go"));

        Assert.Equal("go", await handle.GetResultAsync());
        var signal = Assert.Single(_capture.Spans, s => s.OperationName == "SignalWorkflow:Proceed" && Equals(s.GetTagItem(TracingTags.WorkflowId), workflowId));
        Assert.Equal(ActivityKind.Client, signal.Kind);
        var trace = _capture.TraceOf(workflowId);
        var handled = Single(trace, "HandleSignal:Proceed");
        Assert.Equal((ActivityKind.Server, Single(trace, "StartWorkflow:SignaledWorkflow").SpanId), (handled.Kind, handled.ParentSpanId));
        Assert.Equal(signal.Context.SpanId, Assert.Single(handled.Links).Context.SpanId);
        Assert.Equal(Single(trace, "RunWorkflow:SignaledWorkflow").SpanId, Single(trace, "StartActivity:traced_echo").ParentSpanId);
    }

    [Fact]
    public async Task Query_FromAClient_HandledInTheWorkflowsTraceAndLinkedToTheQueryingSpan()
    {
        var taskQueue = $"traced-query-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(taskQueue, new TracedDomain());
        var workflowId = $"traced-query-{Guid.NewGuid():N}";
        var handle = await (await ClientAsync()).StartWorkflowAsync((UpdatedWorkflow wf) => wf.RunAsync(1), new(workflowId, taskQueue));

        Assert.Equal(0, await handle.QueryAsync(wf => wf.Count));

        await handle.ExecuteUpdateAsync(wf => wf.AddAsync("done"));
        await handle.GetResultAsync();
        var query = Assert.Single(_capture.Spans, s => s.OperationName == "QueryWorkflow:Count" && Equals(s.GetTagItem(TracingTags.WorkflowId), workflowId));
        Assert.Equal(ActivityKind.Client, query.Kind);
        var trace = _capture.TraceOf(workflowId);
        var handled = Single(trace, "HandleQuery:Count");
        Assert.Equal((ActivityKind.Server, Single(trace, "StartWorkflow:UpdatedWorkflow").SpanId), (handled.Kind, handled.ParentSpanId));
        Assert.Equal(query.Context.SpanId, Assert.Single(handled.Links).Context.SpanId);
    }

    [Fact]
    public async Task Update_RejectedThenAccepted_ValidatedAndHandledInTheWorkflowsTraceAndLinkedToTheUpdatingSpans()
    {
        var taskQueue = $"traced-update-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(taskQueue, new TracedDomain());
        var workflowId = $"traced-update-{Guid.NewGuid():N}";
        var handle = await (await ClientAsync()).StartWorkflowAsync((UpdatedWorkflow wf) => wf.RunAsync(1), new(workflowId, taskQueue));

        await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => handle.ExecuteUpdateAsync(wf => wf.AddAsync(string.Empty)));
        Assert.Equal(1, await handle.ExecuteUpdateAsync(wf => wf.AddAsync("traced")));

        Assert.Equal("traced", await handle.GetResultAsync());
        var updates = _capture.Spans.Where(s => s.OperationName == "UpdateWorkflow:Add" && Equals(s.GetTagItem(TracingTags.WorkflowId), workflowId)).ToList();
        Assert.Equal(2, updates.Count);
        Assert.All(updates, u => Assert.Equal(ActivityKind.Client, u.Kind));
        var trace = _capture.TraceOf(workflowId);
        var start = Single(trace, "StartWorkflow:UpdatedWorkflow");
        var validations = trace.Where(s => s.OperationName == "ValidateUpdate:Add").ToList();
        Assert.Equal(2, validations.Count);
        Assert.All(validations, v => Assert.Equal((ActivityKind.Server, start.SpanId), (v.Kind, v.ParentSpanId)));
        Assert.Equal(updates.Select(u => u.Context.SpanId), validations.Select(v => Assert.Single(v.Links).Context.SpanId));
        var rejected = Single(trace, "ValidateUpdateFailure:Add");
        Assert.Equal((ActivityStatusCode.Error, "an item must not be empty", validations[0].SpanId), (rejected.Status, rejected.StatusDescription, rejected.ParentSpanId));
        var handled = Single(trace, "HandleUpdate:Add");
        Assert.Equal((ActivityKind.Server, start.SpanId, updates[1].Context.SpanId), (handled.Kind, handled.ParentSpanId, Assert.Single(handled.Links).Context.SpanId));
        // The activity is the workflow's own work, resumed by the update: it stays under RunWorkflow.
        Assert.Equal(Single(trace, "RunWorkflow:UpdatedWorkflow").SpanId, Single(trace, "StartActivity:traced_echo").ParentSpanId);
    }

    [Fact]
    public async Task Run_WorkflowContinuesAsNew_EachRunIsAChildOfThePreviousRunInOneTrace()
    {
        var taskQueue = $"traced-continue-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(taskQueue, new TracedDomain());
        var workflowId = $"traced-continue-{Guid.NewGuid():N}";

        Assert.Equal("run 0", await (await ClientAsync()).ExecuteWorkflowAsync((ContinuingWorkflow wf) => wf.RunAsync(2), new(workflowId, taskQueue)));

        var trace = _capture.TraceOf(workflowId);
        var runs = trace.Where(s => s.OperationName == "RunWorkflow:ContinuingWorkflow").ToList();
        Assert.Equal(3, runs.Select(r => r.GetTagItem(TracingTags.RunId)).Distinct().Count());
        Assert.Equal(Single(trace, "StartWorkflow:ContinuingWorkflow").SpanId, runs[0].ParentSpanId);
        Assert.Equal(runs[0].SpanId, runs[1].ParentSpanId);
        Assert.Equal(runs[1].SpanId, runs[2].ParentSpanId);
        Assert.Equal(runs.Select(r => r.SpanId), trace.Where(s => s.OperationName == "StartActivity:traced_echo").Select(s => s.ParentSpanId));
        Assert.Equal(2, trace.Count(s => s.OperationName == "ContinueAsNew:ContinuingWorkflow"));
    }

    [Fact]
    public async Task Run_ParentStartsChildWorkflow_ChildRunsAndActivitiesAreInTheParentsTrace()
    {
        var taskQueue = $"traced-child-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(taskQueue, new TracedDomain());
        var workflowId = $"traced-parent-{Guid.NewGuid():N}";
        var childId = $"traced-child-{Guid.NewGuid():N}";

        var result = await (await ClientAsync()).ExecuteWorkflowAsync((ParentWorkflow wf) => wf.RunAsync(childId), new(workflowId, taskQueue));

        Assert.Equal("child said run 0", result);
        var trace = _capture.TraceOf(workflowId);
        var parent = Single(trace, "RunWorkflow:ParentWorkflow");
        var startChild = Single(trace, "StartChildWorkflow:ContinuingWorkflow");
        Assert.Equal((ActivityKind.Client, parent.SpanId), (startChild.Kind, startChild.ParentSpanId));
        var child = Single(trace, "RunWorkflow:ContinuingWorkflow");
        Assert.Equal((startChild.SpanId, childId), (child.ParentSpanId, child.GetTagItem(TracingTags.WorkflowId)));
        var echoes = trace.Where(s => s.OperationName == "StartActivity:traced_echo").Select(s => s.ParentSpanId).ToList();
        Assert.Equal([child.SpanId, parent.SpanId], echoes);
        Assert.DoesNotContain(trace, s => s.Status == ActivityStatusCode.Error);
    }

    [Fact]
    public async Task Run_WorkerWithoutWorkflowCache_ReplaysHistoryOnEveryTaskAndRecordsEachSpanOnce()
    {
        var taskQueue = $"traced-nocache-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(
            taskQueue, new TracedDomain(), configure: b => b.Services.ConfigureAll<TemporalWorkerServiceOptions>(o => o.MaxCachedWorkflows = 0));
        var workflowId = $"traced-nocache-{Guid.NewGuid():N}";

        await (await ClientAsync()).ExecuteWorkflowAsync((RetriedWorkflow wf) => wf.RunAsync("again"), new(workflowId, taskQueue));

        var names = _capture.TraceOf(workflowId).Select(s => s.OperationName).Order(StringComparer.Ordinal);
        Assert.Equal(
            [
                "CompleteWorkflow:RetriedWorkflow",
                "RunActivity:traced_echo",
                "RunActivity:traced_fail_first_attempt",
                "RunActivity:traced_fail_first_attempt",
                "RunWorkflow:RetriedWorkflow",
                "StartActivity:traced_echo",
                "StartActivity:traced_fail_first_attempt",
                "StartWorkflow:RetriedWorkflow",
            ],
            names);
    }

    [Fact]
    public async Task Replay_HistoryOfATracedRun_ProducesNoSpans()
    {
        var taskQueue = $"traced-replay-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(taskQueue, new TracedDomain());
        var workflowId = $"traced-replay-{Guid.NewGuid():N}";
        var handle = await (await ClientAsync()).StartWorkflowAsync((RetriedWorkflow wf) => wf.RunAsync("replayed"), new(workflowId, taskQueue));
        await handle.GetResultAsync();
        var traced = SpansOfWorkflow(workflowId);
        Assert.Contains(traced, s => s.OperationName == "RunWorkflow:RetriedWorkflow");

        var replayer = new WorkflowReplayer(new WorkflowReplayerOptions { Interceptors = [new TracingInterceptor()], DataConverter = TestEncryption.DataConverter }.AddWorkflow<RetriedWorkflow>());
        var replay = await replayer.ReplayWorkflowAsync(await handle.FetchHistoryAsync());

        Assert.Null(replay.ReplayFailure);
        Assert.Equal(traced, SpansOfWorkflow(workflowId));
    }

    [Fact]
    public async Task Run_ActivityLogs_CarryTheTraceAndSpanIdsOfTheirRunActivitySpan()
    {
        var taskQueue = $"traced-logs-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(taskQueue, new TracedDomain());
        var workflowId = $"traced-logs-{Guid.NewGuid():N}";

        await (await ClientAsync()).ExecuteWorkflowAsync((RetriedWorkflow wf) => wf.RunAsync("logged"), new(workflowId, taskQueue));

        var executions = _capture.TraceOf(workflowId).Where(s => s.OperationName.StartsWith("RunActivity:", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, executions.Count);
        foreach (var execution in executions)
        {
            var logs = _capture.Logs.Where(l => l.Category == typeof(MonitoringInterceptor).FullName && l.SpanId == execution.SpanId).ToList();
            Assert.Equal(2, logs.Count);
            Assert.All(logs, l => Assert.Equal(execution.TraceId, l.TraceId));
            Assert.StartsWith($"Activity {execution.GetTagItem(TracingTags.ActivityType)} started (attempt {execution.GetTagItem(TracingTags.Attempt)})", logs[0].Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Run_WorkflowLogsInItsRunAndInASignalHandler_RecordsCarryTheIdsOfTheirWorkflowSpanAndTheWorkflowScope()
    {
        var taskQueue = $"traced-workflow-logs-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(taskQueue, new TracedDomain());
        var workflowId = $"traced-workflow-logs-{Guid.NewGuid():N}";
        var handle = await (await ClientAsync()).StartWorkflowAsync((LoggingWorkflow wf) => wf.RunAsync("hello"), new(workflowId, taskQueue));

        await handle.SignalAsync(wf => wf.ProceedAsync("world"));

        Assert.Equal("hello world", await handle.GetResultAsync());
        var trace = _capture.TraceOf(workflowId);
        var run = Single(trace, "RunWorkflow:LoggingWorkflow");
        var handled = Single(trace, "HandleSignal:Proceed");
        var logs = WorkflowLogs(workflowId);
        foreach (var message in new[] { "Workflow LoggingWorkflow started (attempt 1)", "Waiting to say hello", "Workflow LoggingWorkflow completed in" })
        {
            var line = Assert.Single(logs, l => l.Message.StartsWith(message, StringComparison.Ordinal));
            Assert.Equal((run.TraceId, run.SpanId), (line.TraceId, line.SpanId));
        }

        var told = Assert.Single(logs, l => l.Message == "Told to say world");
        Assert.Equal((run.TraceId, handled.SpanId), (told.TraceId, told.SpanId));
        Assert.All(logs, l =>
        {
            Assert.Equal("traced", l.Scopes["Domain"]);
            Assert.Equal(handle.ResultRunId, l.Scopes["RunId"]);
            Assert.Equal(("LoggingWorkflow", taskQueue), (l.Scopes["WorkflowType"], l.Scopes["TaskQueue"]));
        });
    }

    [Fact]
    public async Task Run_WorkerWithoutWorkflowCache_EachWorkflowLogLineIsWrittenOnceWithItsTrace()
    {
        var taskQueue = $"traced-nocache-logs-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(
            taskQueue, new TracedDomain(), configure: b => b.Services.ConfigureAll<TemporalWorkerServiceOptions>(o => o.MaxCachedWorkflows = 0));
        var workflowId = $"traced-nocache-logs-{Guid.NewGuid():N}";
        var handle = await (await ClientAsync()).StartWorkflowAsync((LoggingWorkflow wf) => wf.RunAsync("again"), new(workflowId, taskQueue));

        await handle.SignalAsync(wf => wf.ProceedAsync("once"));

        await handle.GetResultAsync();
        var run = Single(_capture.TraceOf(workflowId), "RunWorkflow:LoggingWorkflow");
        var logs = WorkflowLogs(workflowId);
        Assert.Equal(4, logs.Count);
        foreach (var message in new[] { "Workflow LoggingWorkflow started (attempt 1)", "Waiting to say again", "Told to say once", "Workflow LoggingWorkflow completed in" })
        {
            Assert.Equal(run.TraceId, Assert.Single(logs, l => l.Message.StartsWith(message, StringComparison.Ordinal)).TraceId);
        }
    }

    // Every span a workflow's code can record is in the trace its client started and carries its workflow id. The
    // capture also receives the spans of tests running in parallel (ActivitySources are process-wide): never count
    // all of them.
    private List<Activity> SpansOfWorkflow(string workflowId)
    {
        var traceId = _capture.TraceOf(workflowId)[0].TraceId;
        return _capture.Spans
            .Where(s => s.Source.Name == EstuaryTelemetry.Name && (s.TraceId == traceId || Equals(s.GetTagItem(TracingTags.WorkflowId), workflowId)))
            .ToList();
    }

    private static List<string> SqlEvents(Activity span) =>
        [.. span.Events.Where(e => e.Name == SqlCommandEvents.EventName).Select(e => (string)e.Tags.Single(t => t.Key == "db.query.text").Value!)];

    private static async Task<int> CreateEntityAsync(WorkerProcess host)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ExampleDbContext>();
        var entity = new ExampleEntity { Name = "traced", CreatedAt = DateTimeOffset.UtcNow };
        db.Entities.Add(entity);
        await db.SaveChangesAsync();
        return entity.Id;
    }

    private List<CapturedLog> WorkflowLogs(string workflowId) =>
        _capture.Logs.Where(l => l.Category.StartsWith("Temporalio.Workflow:", StringComparison.Ordinal) && Equals(l.Scopes.GetValueOrDefault("WorkflowId"), workflowId)).ToList();

    private static Activity Single(IEnumerable<Activity> trace, string operationName) =>
        Assert.Single(trace, s => s.OperationName == operationName);

    private Task<TemporalClient> ClientAsync(EstuaryDomain? domain = null) =>
        TemporalClient.ConnectAsync(new TemporalConnectionOptions { Address = fixture.Address, Encryption = TestEncryption.Options }.ToConnectOptions(new DomainCatalog([domain ?? new TracedDomain()])));

    private async Task<WorkerProcess> StartWorkerAsync(
        string taskQueue, EstuaryDomain domain, string? database = null, Action<HostApplicationBuilder>? configure = null, Dictionary<string, string?>? settings = null)
    {
        settings ??= [];
        settings["Estuary:Worker:TaskQueue"] = taskQueue;
        if (database is not null)
        {
            settings[$"ConnectionStrings:{domain.ConnectionName}"] = database;
        }

        var host = WorkerHost.Build(
            fixture.Address,
            settings,
            builder =>
            {
                _capture.AddTo(builder);
                configure?.Invoke(builder);
            },
            domain);
        return await WorkerProcess.StartAsync(host, taskQueue);
    }
}
