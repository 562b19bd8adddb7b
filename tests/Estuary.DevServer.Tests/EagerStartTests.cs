using Estuary.DevServer.Tests.Workflows;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>
/// Eager workflow start: a start asking for it gets its first workflow task already started in the response (the SDK
/// asks when a worker for the task queue runs on the same client), except where Temporal does not hand one out.
/// </summary>
[Collection(ServerGroup.Name)]
public sealed class EagerStartTests(ServerFixture fixture)
{
    private WorkflowService Service => fixture.Client.Connection.WorkflowService;

    /// <summary>The SDK's client only keeps <c>request_eager_execution</c> when one of its workers serves the queue.</summary>
    private async Task<StartWorkflowExecutionResponse> StartRawAsync(StartWorkflowExecutionRequest request, string? address = null)
    {
        using var raw = new RawGrpc(address ?? fixture.Address);
        return await raw.CallAsync<StartWorkflowExecutionResponse>("StartWorkflowExecution", request);
    }

    private static StartWorkflowExecutionRequest EagerRequest(string workflowId, string taskQueue, string identity = "raw-starter") => new()
    {
        Namespace = "default",
        WorkflowId = workflowId,
        WorkflowType = new WorkflowType { Name = nameof(CountdownWorkflow) },
        TaskQueue = new Temporalio.Api.TaskQueue.V1.TaskQueue { Name = taskQueue },
        Identity = identity,
        RequestId = Guid.NewGuid().ToString(),
        RequestEagerExecution = true,
    };

    private static Command CompleteCommand() => new()
    {
        CommandType = CommandType.CompleteWorkflowExecution,
        CompleteWorkflowExecutionCommandAttributes = new(),
    };

    [Fact]
    public async Task StartWorkflow_RequestEagerStartWithWorkerOnSameClient_FirstTaskStartedForStarterAndLaterTasksSticky()
    {
        var taskQueue = TestIds.New("tq");
        var client = await TemporalClient.ConnectAsync(new(fixture.Address) { Namespace = "default", Identity = "eager-starter" });
        using var worker = new TemporalWorker(client, new TemporalWorkerOptions(taskQueue) { Identity = "eager-worker" }
            .AddWorkflow<GreetingWorkflow>()
            .AddAllActivities(new GreetingActivities()));
        var handle = await worker.ExecuteAsync(async () =>
        {
            var started = await client.StartWorkflowAsync((GreetingWorkflow wf) => wf.RunAsync("eager"),
                new(TestIds.New("wf"), taskQueue) { RequestEagerStart = true });
            Assert.Equal("Hello, eager!", await started.GetResultAsync());
            return started;
        });

        var history = await handle.HistoryAsync();
        Assert.Equal(
            [EventType.WorkflowExecutionStarted, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskCompleted],
            history.Take(4).Select(e => e.EventType));
        // Started for the start request's identity, not by one of the worker's polls: the task came in the response.
        Assert.Equal("eager-starter", history[2].WorkflowTaskStartedEventAttributes.Identity);
        Assert.Equal("eager-worker", history[3].WorkflowTaskCompletedEventAttributes.Identity);
        Assert.Equal(TaskQueueKind.Normal, history[1].WorkflowTaskScheduledEventAttributes.TaskQueue.Kind);

        // The worker answered with sticky attributes as usual, so the next task went to its sticky queue and a poll.
        var next = history.Skip(4).First(e => e.EventType == EventType.WorkflowTaskScheduled);
        Assert.Equal(TaskQueueKind.Sticky, next.WorkflowTaskScheduledEventAttributes.TaskQueue.Kind);
        var nextStarted = history.Single(e => e.EventType == EventType.WorkflowTaskStarted && e.EventId == next.EventId + 1);
        Assert.Equal("eager-worker", nextStarted.WorkflowTaskStartedEventAttributes.Identity);
        Assert.Equal(EventType.WorkflowExecutionCompleted, history[^1].EventType);
    }

    [Fact]
    public async Task StartWorkflowExecution_RequestEagerExecution_ResponseCarriesStartedFirstTaskAsAPollWould()
    {
        var workflowId = TestIds.New("wf");
        var taskQueue = TestIds.New("tq");
        var request = EagerRequest(workflowId, taskQueue);
        request.WorkflowTaskTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(30));

        var response = await StartRawAsync(request);

        Assert.True(response.Started);
        var task = response.EagerWorkflowTask;
        Assert.NotNull(task);
        Assert.False(task.TaskToken.IsEmpty);
        Assert.Equal((workflowId, response.RunId), (task.WorkflowExecution.WorkflowId, task.WorkflowExecution.RunId));
        Assert.Equal(request.WorkflowType.Name, task.WorkflowType.Name);
        Assert.Equal((0L, 3L, 1), (task.PreviousStartedEventId, task.StartedEventId, task.Attempt));
        Assert.Equal((taskQueue, TaskQueueKind.Normal), (task.WorkflowExecutionTaskQueue.Name, task.WorkflowExecutionTaskQueue.Kind));
        Assert.NotNull(task.ScheduledTime);
        Assert.NotNull(task.StartedTime);
        Assert.Equal(
            [(1L, EventType.WorkflowExecutionStarted), (2L, EventType.WorkflowTaskScheduled), (3L, EventType.WorkflowTaskStarted)],
            task.History.Events.Select(e => (e.EventId, e.EventType)));
        Assert.Equal(TimeSpan.FromSeconds(30), task.History.Events[1].WorkflowTaskScheduledEventAttributes.StartToCloseTimeout.ToTimeSpan());
        var startedEvent = task.History.Events[2].WorkflowTaskStartedEventAttributes;
        Assert.Equal(("raw-starter", request.RequestId, 2L), (startedEvent.Identity, startedEvent.RequestId, startedEvent.ScheduledEventId));

        var handle = fixture.Client.GetWorkflowHandle(workflowId, response.RunId);
        Assert.Equal(task.History.Events, await handle.HistoryAsync());
        var pending = (await Service.DescribeWorkflowExecutionAsync(new() { Namespace = "default", Execution = task.WorkflowExecution })).PendingWorkflowTask;
        Assert.Equal((PendingWorkflowTaskState.Started, 1), (pending.State, pending.Attempt));

        // A retried start (same request id) gets the same task again while it is still the started first attempt.
        var retried = await StartRawAsync(request);
        Assert.Equal(response.RunId, retried.RunId);
        Assert.Equal(task, retried.EagerWorkflowTask);

        // Nobody polls: the task token alone completes the run.
        await Service.RespondWorkflowTaskCompletedAsync(new()
        {
            Namespace = "default",
            TaskToken = task.TaskToken,
            Identity = "raw-worker",
            Commands = { CompleteCommand() },
        });
        Assert.Equal(
            [EventType.WorkflowExecutionStarted, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted,
                EventType.WorkflowTaskCompleted, EventType.WorkflowExecutionCompleted],
            await handle.EventTypesAsync());
        var afterClose = await StartRawAsync(request);
        Assert.Equal(response.RunId, afterClose.RunId);
        Assert.Null(afterClose.EagerWorkflowTask);
    }

    [Theory]
    [InlineData("delay")]
    [InlineData("cron")]
    public async Task StartWorkflowExecution_FirstTaskWaits_NoEagerTask(string why)
    {
        var request = EagerRequest(TestIds.New("wf"), TestIds.New("tq"));
        if (why == "delay")
        {
            request.WorkflowStartDelay = Duration.FromTimeSpan(TimeSpan.FromHours(1));
        }
        else
        {
            request.CronSchedule = "0 0 1 1 *";
        }

        var response = await StartRawAsync(request);

        Assert.True(response.Started);
        Assert.Null(response.EagerWorkflowTask);
        var handle = fixture.Client.GetWorkflowHandle(request.WorkflowId, response.RunId);
        Assert.Equal([EventType.WorkflowExecutionStarted], await handle.EventTypesAsync());
        await handle.TerminateAsync("test done");
    }

    [Fact]
    public async Task StartWorkflowExecution_UseExistingOnRunningWorkflow_NoEagerTask()
    {
        var workflowId = TestIds.New("wf");
        var taskQueue = TestIds.New("tq");
        var first = await StartRawAsync(EagerRequest(workflowId, taskQueue));
        Assert.NotNull(first.EagerWorkflowTask);

        var again = EagerRequest(workflowId, taskQueue);
        again.WorkflowIdConflictPolicy = WorkflowIdConflictPolicy.UseExisting;
        var second = await StartRawAsync(again);

        Assert.Equal((first.RunId, false), (second.RunId, second.Started));
        Assert.Null(second.EagerWorkflowTask);
        await fixture.Client.GetWorkflowHandle(workflowId).TerminateAsync("test done");
    }

    [Fact]
    public async Task StartWorkflowExecution_TerminateExistingOnRunningWorkflow_NewRunGetsEagerTask()
    {
        var workflowId = TestIds.New("wf");
        var taskQueue = TestIds.New("tq");
        var first = await StartRawAsync(EagerRequest(workflowId, taskQueue));

        var again = EagerRequest(workflowId, taskQueue);
        again.WorkflowIdConflictPolicy = WorkflowIdConflictPolicy.TerminateExisting;
        var second = await StartRawAsync(again);

        Assert.NotEqual(first.RunId, second.RunId);
        Assert.Equal(second.RunId, second.EagerWorkflowTask?.WorkflowExecution.RunId);
        var firstHandle = fixture.Client.GetWorkflowHandle(workflowId, first.RunId);
        Assert.Equal(EventType.WorkflowExecutionTerminated, (await firstHandle.EventTypesAsync())[^1]);
        await fixture.Client.GetWorkflowHandle(workflowId).TerminateAsync("test done");
    }

    [Fact]
    public async Task ExecuteMultiOperation_UpdateWithStartRequestingEager_FailsWithInvalidArgument()
    {
        var workflowId = TestIds.New("wf");
        var start = EagerRequest(workflowId, TestIds.New("tq"));
        start.WorkflowIdConflictPolicy = WorkflowIdConflictPolicy.UseExisting;
        var request = new ExecuteMultiOperationRequest
        {
            Namespace = "default",
            Operations =
            {
                new ExecuteMultiOperationRequest.Types.Operation { StartWorkflow = start },
                new ExecuteMultiOperationRequest.Types.Operation
                {
                    UpdateWorkflow = new UpdateWorkflowExecutionRequest
                    {
                        Namespace = "default",
                        WorkflowExecution = new Temporalio.Api.Common.V1.WorkflowExecution { WorkflowId = workflowId },
                        Request = new Temporalio.Api.Update.V1.Request
                        {
                            Meta = new Temporalio.Api.Update.V1.Meta { UpdateId = "u1" },
                            Input = new Temporalio.Api.Update.V1.Input { Name = "Increment" },
                        },
                        WaitPolicy = new Temporalio.Api.Update.V1.WaitPolicy { LifecycleStage = UpdateWorkflowExecutionLifecycleStage.Accepted },
                    },
                },
            },
        };

        var error = await Assert.ThrowsAsync<RpcException>(() => Service.ExecuteMultiOperationAsync(request));

        Assert.Equal(RpcException.StatusCode.InvalidArgument, error.Code);
        var failure = error.GrpcStatus.Value!.Details.Single().Unpack<Temporalio.Api.ErrorDetails.V1.MultiOperationExecutionFailure>();
        Assert.Equal("RequestEagerExecution is not supported.", failure.Statuses[0].Message);
        Assert.Equal((int)RpcException.StatusCode.Aborted, failure.Statuses[1].Code);
        await Assert.ThrowsAsync<RpcException>(() => fixture.Client.GetWorkflowHandle(workflowId).DescribeAsync());
    }

    [Fact]
    public async Task StartWorkflowExecution_EagerTaskNeverAnswered_TimesOutAndCompletesThroughQueue()
    {
        var taskQueue = TestIds.New("tq");
        var request = EagerRequest(TestIds.New("wf"), taskQueue);
        var converter = fixture.Client.Options.DataConverter.PayloadConverter;
        request.Input = new Payloads { Payloads_ = { converter.ToPayload(0), converter.ToPayload("go:") } };
        request.WorkflowTaskTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(1));
        var response = await StartRawAsync(request);
        Assert.NotNull(response.EagerWorkflowTask);

        // The starter drops the task; a worker polling the queue gets the retry after the start-to-close timeout.
        using var worker = new TemporalWorker(fixture.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<CountdownWorkflow>());
        var handle = fixture.Client.GetWorkflowHandle<CountdownWorkflow>(request.WorkflowId, response.RunId);
        var result = await worker.ExecuteAsync(() => handle.GetResultAsync<string>());

        Assert.Equal("go:done", result);
        var history = await handle.HistoryAsync();
        Assert.Equal(
            [EventType.WorkflowExecutionStarted, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskTimedOut,
                EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskCompleted, EventType.WorkflowExecutionCompleted],
            history.Select(e => e.EventType));
        Assert.Equal(TimeoutType.StartToClose, history[3].WorkflowTaskTimedOutEventAttributes.TimeoutType);
        Assert.Equal(2, history[4].WorkflowTaskScheduledEventAttributes.Attempt);
        Assert.NotEqual("raw-starter", history[5].WorkflowTaskStartedEventAttributes.Identity);
    }

    [Fact]
    public async Task DescribeNamespace_Default_ReportsEagerWorkflowStart()
    {
        var described = await Service.DescribeNamespaceAsync(new() { Namespace = "default" });
        Assert.True(described.NamespaceInfo.Capabilities.EagerWorkflowStart);
    }

    [DevServerOnlyFact]
    public async Task StartWorkflow_EagerWorkflowStartDisabled_CapabilityOffAndTaskPolledAsBefore()
    {
        await using var server = await TemporalDevServer.StartAsync(new DevServerOptions { EnableEagerWorkflowStart = false });
        var client = await TemporalClient.ConnectAsync(new(server.Address) { Namespace = "default", Identity = "eager-starter" });
        var described = await client.Connection.WorkflowService.DescribeNamespaceAsync(new() { Namespace = "default" });
        Assert.False(described.NamespaceInfo.Capabilities.EagerWorkflowStart);

        var taskQueue = TestIds.New("tq");
        var raw = await StartRawAsync(EagerRequest(TestIds.New("wf"), taskQueue), server.Address);
        Assert.Null(raw.EagerWorkflowTask);

        using var worker = new TemporalWorker(client, new TemporalWorkerOptions(taskQueue) { Identity = "eager-worker" }.AddWorkflow<CountdownWorkflow>());
        var handle = await worker.ExecuteAsync(async () =>
        {
            var started = await client.StartWorkflowAsync((CountdownWorkflow wf) => wf.RunAsync(0, ""),
                new(TestIds.New("wf"), taskQueue) { RequestEagerStart = true });
            Assert.Equal("done", await started.GetResultAsync());
            return started;
        });
        var history = await handle.HistoryAsync();
        Assert.Equal("eager-worker", history[2].WorkflowTaskStartedEventAttributes.Identity);
    }
}
