using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

[Collection(ServerGroup.Name)]
public sealed class WorkerLifecycleTests(ServerFixture fixture)
{
    [Fact]
    public async Task Signal_WorkerReplacedMidWorkflow_NewWorkerResumesFromHistory()
    {
        var taskQueue = TestIds.New("tq");
        WorkflowHandle<WaitForSignalWorkflow, string> handle;
        using (var first = new TemporalWorker(fixture.Client, WorkerHelpers.AllTestWork(taskQueue)))
        {
            handle = await first.ExecuteAsync(async () =>
            {
                var started = await fixture.Client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(2), new(TestIds.New("wf"), taskQueue));
                await started.SignalAsync(wf => wf.AddAsync("one"));
                // Under load the signal can land before the first task starts and be handled by it: wait for
                // a completed task after the signal, not for a number of tasks.
                await WaitForCompletedTaskAfterAsync(started, EventType.WorkflowExecutionSignaled);
                return started;
            });
        }
        using var second = new TemporalWorker(fixture.Client, WorkerHelpers.AllTestWork(taskQueue));
        var result = await second.ExecuteAsync(async () =>
        {
            await handle.SignalAsync(wf => wf.AddAsync("two"));
            return await handle.GetResultAsync();
        });
        Assert.Equal("one,two", result);
    }

    [Fact]
    public async Task Signal_StickyWorkerCachesWorkflow_LaterTasksGoToStickyQueue()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(fixture.Client, WorkerHelpers.AllTestWork(taskQueue));
        await worker.ExecuteAsync(async () =>
        {
            var handle = await fixture.Client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(2), new(TestIds.New("wf"), taskQueue));
            await WaitForEventCountAsync(handle, EventType.WorkflowTaskCompleted, 1);
            await handle.SignalAsync(wf => wf.AddAsync("a"));
            await WaitForEventCountAsync(handle, EventType.WorkflowTaskCompleted, 2);
            await handle.SignalAsync(wf => wf.AddAsync("b"));
            Assert.Equal("a,b", await handle.GetResultAsync());
            var scheduled = (await handle.HistoryAsync()).Where(e => e.EventType == EventType.WorkflowTaskScheduled).ToList();
            Assert.Equal(TaskQueueKind.Normal, scheduled[0].WorkflowTaskScheduledEventAttributes.TaskQueue.Kind);
            Assert.Equal(TaskQueueKind.Sticky, scheduled[^1].WorkflowTaskScheduledEventAttributes.TaskQueue.Kind);
            Assert.Equal(taskQueue, scheduled[^1].WorkflowTaskScheduledEventAttributes.TaskQueue.NormalName);
        });
    }

    [Fact]
    public async Task Signal_StickyQueueNobodyPolls_TaskFallsBackToNormalQueueAfterScheduleToStart()
    {
        var taskQueue = TestIds.New("tq");
        var handle = await fixture.Client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1), new(TestIds.New("wf"), taskQueue));
        // A "worker" that takes the first task, asks for stickiness on a queue it never polls, and vanishes.
        var service = fixture.Client.Connection.WorkflowService;
        var task = await service.PollWorkflowTaskQueueAsync(new() { Namespace = "default", TaskQueue = new() { Name = taskQueue }, Identity = "vanishing" });
        await service.RespondWorkflowTaskCompletedAsync(new()
        {
            Namespace = "default",
            TaskToken = task.TaskToken,
            Identity = "vanishing",
            StickyAttributes = new()
            {
                WorkerTaskQueue = new() { Name = TestIds.New("dead-sticky"), Kind = TaskQueueKind.Sticky, NormalName = taskQueue },
                ScheduleToStartTimeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMilliseconds(500)),
            },
        });
        using var worker = new TemporalWorker(fixture.Client, WorkerHelpers.AllTestWork(taskQueue));
        var result = await worker.ExecuteAsync(async () =>
        {
            await handle.SignalAsync(wf => wf.AddAsync("late"));
            return await handle.GetResultAsync();
        });
        Assert.Equal("late", result);
        var timedOut = Assert.Single(await handle.HistoryAsync(), e => e.EventType == EventType.WorkflowTaskTimedOut);
        Assert.Equal(TimeoutType.ScheduleToStart, timedOut.WorkflowTaskTimedOutEventAttributes.TimeoutType);
    }

    private static async Task WaitForCompletedTaskAfterAsync(WorkflowHandle handle, EventType type) =>
        await handle.WaitForHistoryAsync(
            h => h.SkipWhile(e => e.EventType != type).Any(e => e.EventType == EventType.WorkflowTaskCompleted), $"a completed workflow task after {type}");

    private static async Task WaitForEventCountAsync(WorkflowHandle handle, EventType type, int count) =>
        await handle.WaitForHistoryAsync(h => h.Count(e => e.EventType == type) >= count, $"{type} {count} times");
}
