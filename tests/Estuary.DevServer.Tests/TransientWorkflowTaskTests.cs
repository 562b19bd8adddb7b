using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>
/// Retries of a failed workflow task are transient, as in Temporal: only the first failure is written, later
/// attempts reach the worker with their Scheduled/Started events but leave no trace until one completes.
/// </summary>
[Collection(ServerGroup.Name)]
public sealed class TransientWorkflowTaskTests(ServerFixture fixture)
{
    // The SDK reports only a first attempt's failure and lets later attempts time out, so this paces the retries.
    private static readonly TimeSpan TaskTimeout = TimeSpan.FromSeconds(3);

    private WorkflowService Service => fixture.Client.Connection.WorkflowService;

    [Fact]
    public async Task RespondWorkflowTaskFailed_SecondAndThirdAttempts_ReachWorkerButNotHistory()
    {
        var taskQueue = TestIds.New("tq");
        var handle = await fixture.Client.StartWorkflowAsync((SleepWorkflow wf) => wf.RunAsync(TimeSpan.FromMinutes(1)), new(TestIds.New("wf"), taskQueue));
        var poll = new PollWorkflowTaskQueueRequest { Namespace = "default", TaskQueue = new() { Name = taskQueue }, Identity = "bare" };

        var first = await Service.PollWorkflowTaskQueueAsync(poll);
        Assert.Equal(1, first.Attempt);
        await FailAsync(first);
        var stored = await handle.HistoryAsync();
        Assert.Equal(
            [EventType.WorkflowExecutionStarted, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskFailed],
            stored.Select(e => e.EventType));

        for (var attempt = 2; attempt <= 3; attempt++)
        {
            var retry = await Service.PollWorkflowTaskQueueAsync(poll);
            Assert.Equal(attempt, retry.Attempt);
            Assert.Equal(6, retry.StartedEventId);
            var tail = retry.History.Events.Skip(4).ToList();
            Assert.Equal([(5L, EventType.WorkflowTaskScheduled), (6L, EventType.WorkflowTaskStarted)], tail.Select(e => (e.EventId, e.EventType)));
            Assert.Equal(attempt, tail[0].WorkflowTaskScheduledEventAttributes.Attempt);
            Assert.Equal(stored, retry.History.Events.Take(4));
            var pending = (await DescribeAsync(handle)).PendingWorkflowTask;
            Assert.Equal((PendingWorkflowTaskState.Started, attempt), (pending.State, pending.Attempt));
            Assert.Equal(stored, await handle.HistoryAsync());
            if (attempt < 3)
            {
                await FailAsync(retry);
                continue;
            }
            await Service.RespondWorkflowTaskCompletedAsync(new()
            {
                Namespace = "default",
                TaskToken = retry.TaskToken,
                Identity = "bare",
                Commands = { new Command { CommandType = CommandType.CompleteWorkflowExecution, CompleteWorkflowExecutionCommandAttributes = new() } },
            });
        }

        var final = await handle.HistoryAsync();
        Assert.Equal(
            [EventType.WorkflowExecutionStarted, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskFailed,
                EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskCompleted, EventType.WorkflowExecutionCompleted],
            final.Select(e => e.EventType));
        Assert.Equal(3, final[4].WorkflowTaskScheduledEventAttributes.Attempt);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), final.Select(e => e.EventId));
    }

    [Fact]
    public async Task SignalWorkflow_WhileRetryWaitsOrRuns_SignalWrittenAndNextTaskIsFirstAttemptAgain()
    {
        var taskQueue = TestIds.New("tq");
        var handle = await fixture.Client.StartWorkflowAsync((SleepWorkflow wf) => wf.RunAsync(TimeSpan.FromMinutes(1)), new(TestIds.New("wf"), taskQueue));
        var poll = new PollWorkflowTaskQueueRequest { Namespace = "default", TaskQueue = new() { Name = taskQueue }, Identity = "bare" };
        await FailAsync(await Service.PollWorkflowTaskQueueAsync(poll));

        // Signal while attempt 2 waits for a poll: the retry is written as a normal first attempt after the signal.
        await handle.SignalAsync("Poke", []);
        var waited = await Service.PollWorkflowTaskQueueAsync(poll);
        Assert.Equal((1, 7L), (waited.Attempt, waited.StartedEventId));
        Assert.Equal(
            [EventType.WorkflowExecutionSignaled, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted],
            (await handle.HistoryAsync()).Skip(4).Select(e => e.EventType));
        await FailAsync(waited);

        // Signal while attempt 2 runs: it waits in the buffer; the failure writes nothing, then the signal and a first attempt.
        var running = await Service.PollWorkflowTaskQueueAsync(poll);
        Assert.Equal((2, 10L), (running.Attempt, running.StartedEventId));
        await handle.SignalAsync("Poke", []);
        Assert.Equal(8, (await handle.HistoryAsync()).Count);
        await FailAsync(running);
        var next = await Service.PollWorkflowTaskQueueAsync(poll);
        Assert.Equal((1, 11L), (next.Attempt, next.StartedEventId));
        var history = await handle.HistoryAsync();
        Assert.Equal(
            [EventType.WorkflowTaskFailed, EventType.WorkflowExecutionSignaled, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted],
            history.Skip(7).Select(e => e.EventType));
        Assert.Equal(1, history[9].WorkflowTaskScheduledEventAttributes.Attempt);
        await handle.TerminateAsync("test done");
    }

    [Fact]
    public async Task ExecuteWorkflow_TaskThrowsOnFirstThreeAttempts_OneFailureInHistoryAndRunCompletes()
    {
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("wf");
        BrokenTaskWorkflow.Break(workflowId, times: 3);
        using var worker = new TemporalWorker(fixture.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<BrokenTaskWorkflow>());
        var handle = await worker.ExecuteAsync(async () =>
        {
            var started = await fixture.Client.StartWorkflowAsync((BrokenTaskWorkflow wf) => wf.RunAsync(0),
                new(workflowId, taskQueue) { TaskTimeout = TaskTimeout });
            Assert.Equal("", await started.GetResultAsync());
            return started;
        });
        var history = await handle.HistoryAsync();
        var failed = Assert.Single(history, e => e.EventType == EventType.WorkflowTaskFailed);
        Assert.Contains("workflow task bug", failed.WorkflowTaskFailedEventAttributes.Failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(history, e => e.EventType == EventType.WorkflowTaskTimedOut);
        var scheduled = history.Where(e => e.EventType == EventType.WorkflowTaskScheduled).Select(e => e.WorkflowTaskScheduledEventAttributes).ToList();
        Assert.Equal([1, 4], scheduled.Select(a => a.Attempt));

        // From the fourth attempt on Temporal gives the task more time: 5 s more, doubling per attempt.
        Assert.Equal([TaskTimeout, TaskTimeout + TimeSpan.FromSeconds(5)], scheduled.Select(a => a.StartToCloseTimeout.ToTimeSpan()));
    }

    [Fact]
    public async Task StartWorkflow_TaskAlwaysThrows_HistoryStaysBoundedAndQueriesAndUpdatesFailFast()
    {
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("wf");
        BrokenTaskWorkflow.Break(workflowId);
        using var worker = new TemporalWorker(fixture.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<BrokenTaskWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await fixture.Client.StartWorkflowAsync((BrokenTaskWorkflow wf) => wf.RunAsync(0),
                new(workflowId, taskQueue) { TaskTimeout = TaskTimeout });
            var description = await WaitForAttemptAsync(handle, 3);
            var history = await handle.HistoryAsync();
            Assert.Equal(
                [EventType.WorkflowExecutionStarted, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskFailed],
                history.Select(e => e.EventType));
            Assert.Equal(4, description.WorkflowExecutionInfo.HistoryLength);
            Assert.Equal(WorkflowExecutionStatus.Running, description.WorkflowExecutionInfo.Status);

            // From the third attempt on Temporal refuses queries and updates at once instead of letting them wait.
            var query = await Assert.ThrowsAsync<RpcException>(() => Service.QueryWorkflowAsync(new()
            {
                Namespace = "default",
                Execution = new() { WorkflowId = workflowId },
                Query = new() { QueryType = "Anything" },
            }));
            Assert.Equal((RpcException.StatusCode.FailedPrecondition, "Unable to query workflow due to Workflow Task in failed state."), (query.Code, query.Message));
            var update = await Assert.ThrowsAsync<RpcException>(() => Service.UpdateWorkflowExecutionAsync(new()
            {
                Namespace = "default",
                WorkflowExecution = new() { WorkflowId = workflowId },
                Request = new() { Meta = new() { UpdateId = TestIds.New("update") }, Input = new() { Name = "Anything" } },
                WaitPolicy = new() { LifecycleStage = UpdateWorkflowExecutionLifecycleStage.Accepted },
            }));
            Assert.Equal(RpcException.StatusCode.FailedPrecondition, update.Code);
            await handle.TerminateAsync("test done");
        });
    }

    [Fact]
    public async Task SignalWorkflow_DuringRetries_SignalWrittenAndNextAttemptIsFirstAgain()
    {
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("wf");
        BrokenTaskWorkflow.Break(workflowId);
        using var worker = new TemporalWorker(fixture.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<BrokenTaskWorkflow>());
        var (handle, result) = await worker.ExecuteAsync(async () =>
        {
            var started = await fixture.Client.StartWorkflowAsync((BrokenTaskWorkflow wf) => wf.RunAsync(1),
                new(workflowId, taskQueue) { TaskTimeout = TaskTimeout });
            await WaitForAttemptAsync(started, 2);
            await started.SignalAsync(wf => wf.AddAsync("fix"));

            // The signal makes the next task a normal first attempt again; it fails too and is written as well.
            await started.WaitForHistoryAsync(history => history.Count(e => e.EventType == EventType.WorkflowTaskFailed) == 2, "a second written task failure");
            BrokenTaskWorkflow.Repair(workflowId);
            return (started, await started.GetResultAsync());
        });
        Assert.Equal("fix", result);
        var history = await handle.HistoryAsync();
        var signaled = history.FindIndex(e => e.EventType == EventType.WorkflowExecutionSignaled);
        var failures = history.Select((e, i) => (e, i)).Where(p => p.e.EventType == EventType.WorkflowTaskFailed).Select(p => p.i).ToList();
        Assert.True(failures[0] < signaled && signaled < failures[1]);
        var afterSignal = history.Skip(signaled).First(e => e.EventType == EventType.WorkflowTaskScheduled);
        Assert.Equal(1, afterSignal.WorkflowTaskScheduledEventAttributes.Attempt);
        Assert.Equal(EventType.WorkflowExecutionCompleted, history[^1].EventType);
    }

    [Fact]
    public async Task SignalWorkflow_HandlerThrowsOnStickyWorker_OneMoreNormalAttemptBeforeRetriesTurnTransient()
    {
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("wf");
        using var worker = new TemporalWorker(fixture.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<BrokenTaskWorkflow>());
        var (handle, result) = await worker.ExecuteAsync(async () =>
        {
            var started = await fixture.Client.StartWorkflowAsync((BrokenTaskWorkflow wf) => wf.RunAsync(1),
                new(workflowId, taskQueue) { TaskTimeout = TaskTimeout });
            await started.WaitForHistoryAsync(history => history.Any(e => e.EventType == EventType.WorkflowTaskCompleted), "a completed workflow task");
            BrokenTaskWorkflow.Break(workflowId);
            await started.SignalAsync(wf => wf.AddAsync("late"));

            // Temporal clears stickiness and tries once more as a normal first attempt; only then do retries turn transient.
            await WaitForAttemptAsync(started, 2);
            BrokenTaskWorkflow.Repair(workflowId);
            return (started, await started.GetResultAsync());
        });
        Assert.Equal("late", result);
        var history = await handle.HistoryAsync();
        var failed = history.Where(e => e.EventType == EventType.WorkflowTaskFailed).ToList();
        Assert.Equal(2, failed.Count);
        var failedAttempts = failed.Select(f => history[(int)f.WorkflowTaskFailedEventAttributes.ScheduledEventId - 1].WorkflowTaskScheduledEventAttributes);
        Assert.Equal([(TaskQueueKind.Sticky, 1), (TaskQueueKind.Normal, 1)], failedAttempts.Select(a => (a.TaskQueue.Kind, a.Attempt)));
        Assert.True(history.Last(e => e.EventType == EventType.WorkflowTaskScheduled).WorkflowTaskScheduledEventAttributes.Attempt >= 2);
    }

    [Fact]
    public async Task TemporalWorker_RestartedDuringRetries_NewWorkerCompletesRun()
    {
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("wf");
        BrokenTaskWorkflow.Break(workflowId);
        var options = new TemporalWorkerOptions(taskQueue).AddWorkflow<BrokenTaskWorkflow>();
        WorkflowHandle<BrokenTaskWorkflow, string> handle;
        using (var first = new TemporalWorker(fixture.Client, options))
        {
            handle = await first.ExecuteAsync(async () =>
            {
                var started = await fixture.Client.StartWorkflowAsync((BrokenTaskWorkflow wf) => wf.RunAsync(0),
                    new(workflowId, taskQueue) { TaskTimeout = TaskTimeout });
                await WaitForAttemptAsync(started, 2);
                return started;
            });
        }
        BrokenTaskWorkflow.Repair(workflowId);
        using var second = new TemporalWorker(fixture.Client, (TemporalWorkerOptions)options.Clone());
        Assert.Equal("", await second.ExecuteAsync(() => handle.GetResultAsync()));
        var history = await handle.HistoryAsync();
        Assert.Single(history, e => e.EventType == EventType.WorkflowTaskFailed);
        Assert.DoesNotContain(history, e => e.EventType == EventType.WorkflowTaskTimedOut);
        Assert.True(history.Last(e => e.EventType == EventType.WorkflowTaskScheduled).WorkflowTaskScheduledEventAttributes.Attempt >= 2);
    }

    private async Task FailAsync(PollWorkflowTaskQueueResponse task) =>
        await Service.RespondWorkflowTaskFailedAsync(new()
        {
            Namespace = "default",
            TaskToken = task.TaskToken,
            Identity = "bare",
            Cause = WorkflowTaskFailedCause.WorkflowWorkerUnhandledFailure,
            Failure = new() { Message = $"attempt {task.Attempt} broke" },
        });

    private Task<DescribeWorkflowExecutionResponse> DescribeAsync(WorkflowHandle handle) =>
        Service.DescribeWorkflowExecutionAsync(new() { Namespace = "default", Execution = new() { WorkflowId = handle.Id } });

    // A retry's attempt number shows only in the pending task, never in the history: nothing announces it.
    private Task<DescribeWorkflowExecutionResponse> WaitForAttemptAsync(WorkflowHandle handle, int attempt) =>
        Eventually.PollAsync(() => DescribeAsync(handle), d => d.PendingWorkflowTask?.Attempt >= attempt, $"workflow task attempt {attempt} of {handle.Id}");
}
