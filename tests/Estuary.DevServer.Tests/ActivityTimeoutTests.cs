using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

[Collection(ServerGroup.Name)]
public sealed class ActivityTimeoutTests(ServerFixture fixture)
{
    [Fact]
    public async Task ExecuteActivity_FirstAttemptExceedsStartToClose_RetriedAndSucceeds()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(fixture.Client, WorkerHelpers.AllTestWork(taskQueue));
        var result = await worker.ExecuteAsync(() => fixture.Client.ExecuteWorkflowAsync(
            (ActivityWorkflow wf) => wf.RunAsync("SlowFirstAttempt", 0, 1, 0), new(TestIds.New("wf"), taskQueue)));
        Assert.Equal("attempt 2", result);
    }

    [Fact]
    public async Task ExecuteActivity_HeartbeatTimeout_NextAttemptGetsLastHeartbeatDetails()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(fixture.Client, WorkerHelpers.AllTestWork(taskQueue));
        var result = await worker.ExecuteAsync(() => fixture.Client.ExecuteWorkflowAsync(
            (ActivityWorkflow wf) => wf.RunAsync("HeartbeatThenStall", 0, 30, 1), new(TestIds.New("wf"), taskQueue)));
        Assert.Equal("attempt 2 resumed from checkpoint-1", result);
    }

    [Fact]
    public async Task ExecuteActivity_StartToCloseTimeoutWithOneAttempt_FailsWithTimeoutFailure()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(fixture.Client, WorkerHelpers.AllTestWork(taskQueue));
        var error = await worker.ExecuteAsync(() => Assert.ThrowsAsync<WorkflowFailedException>(() => fixture.Client.ExecuteWorkflowAsync(
            (ActivityWorkflow wf) => wf.RunAsync("SlowFirstAttempt", 1, 1, 0), new(TestIds.New("wf"), taskQueue))));
        var activity = Assert.IsType<ActivityFailureException>(error.InnerException);
        var timeout = Assert.IsType<TimeoutFailureException>(activity.InnerException);
        Assert.Equal(TimeoutType.StartToClose, timeout.TimeoutType);
    }

    [Fact]
    public async Task ExecuteActivity_NoWorkerForActivityQueue_ScheduleToStartTimeout()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(fixture.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<ScheduleToStartWorkflow>());
        var error = await worker.ExecuteAsync(() => Assert.ThrowsAsync<WorkflowFailedException>(() => fixture.Client.ExecuteWorkflowAsync(
            (ScheduleToStartWorkflow wf) => wf.RunAsync(), new(TestIds.New("wf"), taskQueue))));
        var activity = Assert.IsType<ActivityFailureException>(error.InnerException);
        Assert.Equal(TimeoutType.ScheduleToStart, Assert.IsType<TimeoutFailureException>(activity.InnerException).TimeoutType);
    }

    [Fact]
    public async Task CancelActivity_WorkflowCancelsRunningActivity_ActivitySeesCancelThroughHeartbeat()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(fixture.Client, WorkerHelpers.AllTestWork(taskQueue));
        await worker.ExecuteAsync(async () =>
        {
            var handle = await fixture.Client.StartWorkflowAsync((CancelActivityWorkflow wf) => wf.RunAsync(), new(TestIds.New("wf"), taskQueue));
            Assert.Equal("activity cancelled", await handle.GetResultAsync());
            var types = await handle.EventTypesAsync();
            Assert.Contains(EventType.ActivityTaskCancelRequested, types);
            Assert.Contains(EventType.ActivityTaskCanceled, types);
        });
    }
}
