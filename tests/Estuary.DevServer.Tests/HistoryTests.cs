using Estuary.DevServer.Tests.Workflows;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

[Collection(ServerGroup.Name)]
public sealed class HistoryTests(ServerFixture fixture)
{
    private WorkflowService Service => fixture.Client.Connection.WorkflowService;

    [Fact]
    public async Task GetWorkflowExecutionHistory_PageSizeTwo_PagesCoverWholeHistoryInOrder()
    {
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("wf");
        using var worker = new TemporalWorker(fixture.Client, WorkerHelpers.AllTestWork(taskQueue));
        await worker.ExecuteAsync(() => fixture.Client.ExecuteWorkflowAsync((ActivityWorkflow wf) => wf.RunAsync("FailTwice", 0, 10, 0), new(workflowId, taskQueue)));
        var ids = new List<long>();
        var request = new GetWorkflowExecutionHistoryRequest { Namespace = "default", Execution = new() { WorkflowId = workflowId }, MaximumPageSize = 2 };
        var pages = 0;
        do
        {
            var page = await Service.GetWorkflowExecutionHistoryAsync(request);
            Assert.True(page.History.Events.Count <= 2);
            ids.AddRange(page.History.Events.Select(e => e.EventId));
            request.NextPageToken = page.NextPageToken;
            pages++;
        }
        while (!request.NextPageToken.IsEmpty);
        Assert.Equal(Enumerable.Range(1, ids.Count).Select(i => (long)i), ids);
        Assert.True(pages >= ids.Count / 2);
    }

    [Fact]
    public async Task GetWorkflowExecutionHistory_WaitNewEvent_ReturnsWhenSignalArrives()
    {
        var workflowId = TestIds.New("wf");
        var handle = await fixture.Client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1), new(workflowId, TestIds.New("tq")));
        var first = await Service.GetWorkflowExecutionHistoryAsync(new() { Namespace = "default", Execution = new() { WorkflowId = workflowId }, WaitNewEvent = true });
        Assert.False(first.NextPageToken.IsEmpty);
        var waiting = Service.GetWorkflowExecutionHistoryAsync(new()
        {
            Namespace = "default",
            Execution = new() { WorkflowId = workflowId },
            WaitNewEvent = true,
            NextPageToken = first.NextPageToken,
        });
        // A window, not a synchronisation: a server that answered the poll at once instead of holding it shows here.
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        await handle.SignalAsync(wf => wf.AddAsync("wake"));
        var next = await waiting;
        Assert.Equal(EventType.WorkflowExecutionSignaled, next.History.Events[0].EventType);
        await handle.TerminateAsync();
    }

    [Fact]
    public async Task PollWorkflowTask_WorkerNeverAnswers_TaskTimesOutAndNextAttemptCompletes()
    {
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("wf");
        var handle = await fixture.Client.StartWorkflowAsync((SleepWorkflow wf) => wf.RunAsync(TimeSpan.FromMilliseconds(1)),
            new(workflowId, taskQueue) { TaskTimeout = TimeSpan.FromSeconds(1) });
        var abandoned = await Service.PollWorkflowTaskQueueAsync(new()
        {
            Namespace = "default",
            TaskQueue = new() { Name = taskQueue },
            Identity = "abandoning-worker",
        });
        Assert.False(abandoned.TaskToken.IsEmpty);
        using var worker = new TemporalWorker(fixture.Client, WorkerHelpers.AllTestWork(taskQueue));
        await worker.ExecuteAsync(() => handle.GetResultAsync());
        var history = await handle.HistoryAsync();
        var timedOut = Assert.Single(history, e => e.EventType == EventType.WorkflowTaskTimedOut);
        Assert.Equal(TimeoutType.StartToClose, timedOut.WorkflowTaskTimedOutEventAttributes.TimeoutType);
        Assert.Contains(history, e => e.EventType == EventType.WorkflowTaskScheduled && e.WorkflowTaskScheduledEventAttributes.Attempt == 2);
    }

    [Fact]
    public async Task SignalWithStart_NotRunning_StartsAndDeliversSignal()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(fixture.Client, WorkerHelpers.AllTestWork(taskQueue));
        var result = await worker.ExecuteAsync(async () =>
        {
            var options = new WorkflowOptions(TestIds.New("wf"), taskQueue);
            options.SignalWithStart((WaitForSignalWorkflow wf) => wf.AddAsync("first"));
            var handle = await fixture.Client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1), options);
            return await handle.GetResultAsync();
        });
        Assert.Equal("first", result);
    }

    [Fact]
    public async Task SignalWorkflowExecution_SameRequestIdTwice_RecordedOnce()
    {
        // No worker: the run stays open, and only the server's answer is looked at.
        var handle = await fixture.Client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(2), new(TestIds.New("wf"), TestIds.New("tq")));
        var requestId = Guid.NewGuid().ToString();
        var input = new Temporalio.Api.Common.V1.Payloads();
        input.Payloads_.Add(Temporalio.Converters.DataConverter.Default.PayloadConverter.ToPayload("once"));
        for (var i = 0; i < 2; i++)
        {
            await fixture.Client.WorkflowService.SignalWorkflowExecutionAsync(new()
            {
                Namespace = fixture.Client.Options.Namespace,
                WorkflowExecution = new() { WorkflowId = handle.Id },
                SignalName = "Add",
                Input = input,
                RequestId = requestId,
            });
        }

        var signaled = (await handle.FetchHistoryAsync()).Events.Where(e => e.EventType == EventType.WorkflowExecutionSignaled).ToList();
        Assert.Equal(requestId, Assert.Single(signaled).WorkflowExecutionSignaledEventAttributes.RequestId);
        await handle.TerminateAsync();
    }
}

public sealed class RetentionTests
{
    [DevServerOnlyFact]
    public async Task CloseWorkflow_MoreClosedRunsThanMaximum_OldestIsForgotten()
    {
        await using var server = await TemporalDevServer.StartAsync(new DevServerOptions { MaxClosedWorkflows = 1 });
        var client = await TemporalClient.ConnectAsync(new(server.Address));
        var taskQueue = TestIds.New("tq");
        var first = await client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1), new(TestIds.New("wf"), taskQueue));
        var second = await client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1), new(TestIds.New("wf"), taskQueue));
        await first.TerminateAsync();
        await second.TerminateAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => first.DescribeAsync());
        Assert.Equal(RpcException.StatusCode.NotFound, error.Code);
        Assert.Equal(WorkflowExecutionStatus.Terminated, (await second.DescribeAsync()).Status);
    }

    [DevServerOnlyFact]
    public async Task IdleServer_ClosedRunPastItsNamespaceRetention_IsForgotten()
    {
        await using var server = await TemporalDevServer.StartAsync(new DevServerOptions { Retention = TimeSpan.FromDays(1) });
        var client = await TemporalClient.ConnectAsync(new(server.Address));
        await client.WorkflowService.RegisterNamespaceAsync(new RegisterNamespaceRequest
        {
            Namespace = "short-lived",
            WorkflowExecutionRetentionPeriod = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
        });
        var shortLived = await TemporalClient.ConnectAsync(new(server.Address) { Namespace = "short-lived" });
        var taskQueue = TestIds.New("tq");
        // Closed first, in a namespace that keeps it a day: it must not hold back the short-lived one behind it.
        var kept = await client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1), new(TestIds.New("wf"), taskQueue));
        await kept.TerminateAsync();
        var dropped = await shortLived.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1), new(TestIds.New("wf"), taskQueue));
        await dropped.TerminateAsync();

        // Nothing else closes: only the server's own sweep can drop it, and nothing announces that.
        await Eventually.PollAsync(
            async () =>
            {
                try
                {
                    await dropped.DescribeAsync();
                    return false;
                }
                catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
                {
                    return true;
                }
            },
            forgotten => forgotten,
            $"{dropped.Id} forgotten once its namespace's retention passed");
        var history = await Assert.ThrowsAsync<RpcException>(() => dropped.FetchHistoryAsync());
        Assert.Equal(RpcException.StatusCode.NotFound, history.Code);
        Assert.Equal(0, (await shortLived.CountWorkflowsAsync($"WorkflowId = '{dropped.Id}'")).Count);
        Assert.Equal(WorkflowExecutionStatus.Terminated, (await kept.DescribeAsync()).Status);
    }
}
