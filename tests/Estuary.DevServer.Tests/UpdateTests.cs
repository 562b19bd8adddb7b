using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Update.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

[Collection(ServerGroup.Name)]
public sealed class UpdateTests(ServerFixture fixture)
{
    private TemporalClient Client => fixture.Client;

    private static readonly EventType[] UpdateEvents = [EventType.WorkflowExecutionUpdateAccepted, EventType.WorkflowExecutionUpdateCompleted];

    private static TemporalWorkerOptions ListWork(string taskQueue) => new TemporalWorkerOptions(taskQueue).AddWorkflow<ListWorkflow>();

    private Task<WorkflowHandle<ListWorkflow, string>> StartListAsync(string taskQueue) =>
        Client.StartWorkflowAsync((ListWorkflow wf) => wf.RunAsync(), new(TestIds.New("wf"), taskQueue));

    private async Task<T> WithListAsync<T>(Func<WorkflowHandle<ListWorkflow, string>, Task<T>> body)
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(Client, ListWork(taskQueue));
        return await worker.ExecuteAsync(async () => await body(await StartListAsync(taskQueue)));
    }

    [Fact]
    public async Task ExecuteUpdate_RunningWorkflow_ReturnsResultAndWritesAcceptedThenCompleted()
    {
        var (first, second, result, events) = await WithListAsync(async handle =>
        {
            var first = await handle.ExecuteUpdateAsync(wf => wf.AddAsync("a"));
            var second = await handle.ExecuteUpdateAsync(wf => wf.AddAsync("b"));
            await handle.SignalAsync(wf => wf.FinishAsync());
            return (first, second, await handle.GetResultAsync(), await handle.HistoryAsync());
        });
        Assert.Equal((1, 2, "a,b"), (first, second, result));
        var updateEvents = events.Where(e => UpdateEvents.Contains(e.EventType)).ToList();
        Assert.Equal(UpdateEvents.Concat(UpdateEvents), updateEvents.Select(e => e.EventType));
        var accepted = updateEvents[0].WorkflowExecutionUpdateAcceptedEventAttributes;
        Assert.Equal("Add", accepted.AcceptedRequest.Input.Name);
        Assert.Equal(accepted.ProtocolInstanceId + "/request", accepted.AcceptedRequestMessageId);
        var completed = updateEvents[1].WorkflowExecutionUpdateCompletedEventAttributes;
        Assert.Equal(updateEvents[0].EventId, completed.AcceptedEventId);
        Assert.Equal(accepted.ProtocolInstanceId, completed.Meta.UpdateId);
    }

    [Fact]
    public async Task StartUpdate_WaitForAccepted_ReturnsBeforeCompletionAndHandleGetsResult()
    {
        var (eventsWhileWaiting, result) = await WithListAsync(async handle =>
        {
            var update = await handle.StartUpdateAsync(wf => wf.AddAfterReleaseAsync("late"), new(WorkflowUpdateStage.Accepted));
            var eventsWhileWaiting = await handle.EventTypesAsync();
            await handle.SignalAsync(wf => wf.ReleaseAsync());
            var result = await update.GetResultAsync();
            await handle.SignalAsync(wf => wf.FinishAsync());
            await handle.GetResultAsync();
            return (eventsWhileWaiting, result);
        });
        Assert.Contains(EventType.WorkflowExecutionUpdateAccepted, eventsWhileWaiting);
        Assert.DoesNotContain(EventType.WorkflowExecutionUpdateCompleted, eventsWhileWaiting);
        Assert.Equal(1, result);
    }

    [Fact]
    public async Task UpdateWorkflowExecution_WaitForAdmittedWithoutWorker_AnswersAdmittedAndLaterCompletes()
    {
        var taskQueue = TestIds.New("tq");
        var handle = await StartListAsync(taskQueue);
        var updateId = TestIds.New("update");
        var response = await Client.Connection.WorkflowService.UpdateWorkflowExecutionAsync(new()
        {
            Namespace = "default",
            WorkflowExecution = new() { WorkflowId = handle.Id },
            Request = new()
            {
                Meta = new() { UpdateId = updateId, Identity = "test" },
                Input = new() { Name = "Add", Args = new() { Payloads_ = { Client.Options.DataConverter.PayloadConverter.ToPayload("queued") } } },
            },
            WaitPolicy = new() { LifecycleStage = UpdateWorkflowExecutionLifecycleStage.Admitted },
        });
        Assert.Equal(UpdateWorkflowExecutionLifecycleStage.Admitted, response.Stage);
        Assert.Null(response.Outcome);

        using var worker = new TemporalWorker(Client, ListWork(taskQueue));
        var result = await worker.ExecuteAsync(async () =>
        {
            var result = await handle.GetUpdateHandle<int>(updateId).GetResultAsync();
            await handle.TerminateAsync("test done");
            return result;
        });
        Assert.Equal(1, result);
    }

    [Fact]
    public async Task ExecuteUpdate_NoWorkerAnswersBeforeRpcTimeout_FailsWithRpcTimeout()
    {
        var handle = await StartListAsync(TestIds.New("tq"));
        await Assert.ThrowsAsync<WorkflowUpdateRpcTimeoutOrCanceledException>(() =>
            handle.ExecuteUpdateAsync(wf => wf.AddAsync("never"), new() { Rpc = new() { Timeout = TimeSpan.FromSeconds(1) } }));
        await handle.TerminateAsync("test done");
    }

    [Fact]
    public async Task GetUpdateResult_AdmittedUpdateNoWorkerBeforeRpcTimeout_FailsWithRpcTimeout()
    {
        var handle = await StartListAsync(TestIds.New("tq"));
        var updateId = TestIds.New("update");
        await Client.Connection.WorkflowService.UpdateWorkflowExecutionAsync(new()
        {
            Namespace = "default",
            WorkflowExecution = new() { WorkflowId = handle.Id },
            Request = new()
            {
                Meta = new() { UpdateId = updateId, Identity = "test" },
                Input = new() { Name = "Add", Args = new() { Payloads_ = { Client.Options.DataConverter.PayloadConverter.ToPayload("never") } } },
            },
            WaitPolicy = new() { LifecycleStage = UpdateWorkflowExecutionLifecycleStage.Admitted },
        });
        await Assert.ThrowsAsync<WorkflowUpdateRpcTimeoutOrCanceledException>(() =>
            handle.GetUpdateHandle<int>(updateId).GetResultAsync(new() { Timeout = TimeSpan.FromSeconds(1) }));
        await handle.TerminateAsync("test done");
    }

    [DevServerOnlyFact]
    public async Task UpdateAndPollUpdate_CallerDeadlineBeforeLongPollEnds_AnswerDeadlineExceeded()
    {
        var handle = await StartListAsync(TestIds.New("tq"));
        var updateId = TestIds.New("update");
        var request = new UpdateWorkflowExecutionRequest
        {
            Namespace = "default",
            WorkflowExecution = new() { WorkflowId = handle.Id },
            Request = new()
            {
                Meta = new() { UpdateId = updateId, Identity = "test" },
                Input = new() { Name = "Add", Args = new() { Payloads_ = { Client.Options.DataConverter.PayloadConverter.ToPayload("never") } } },
            },
            WaitPolicy = new() { LifecycleStage = UpdateWorkflowExecutionLifecycleStage.Completed },
        };
        var rpc = new RpcOptions { Timeout = TimeSpan.FromSeconds(3), Retry = false };
        var update = await Assert.ThrowsAsync<RpcException>(() => Client.Connection.WorkflowService.UpdateWorkflowExecutionAsync(request, rpc));
        var poll = await Assert.ThrowsAsync<RpcException>(() => Client.Connection.WorkflowService.PollWorkflowExecutionUpdateAsync(new()
        {
            Namespace = "default",
            UpdateRef = new() { WorkflowExecution = new() { WorkflowId = handle.Id }, UpdateId = updateId },
            WaitPolicy = new() { LifecycleStage = UpdateWorkflowExecutionLifecycleStage.Completed },
        }, rpc));
        Assert.Equal((RpcException.StatusCode.DeadlineExceeded, RpcException.StatusCode.DeadlineExceeded), (update.Code, poll.Code));
        await handle.TerminateAsync("test done");
    }

    [Fact]
    public async Task ExecuteUpdate_ManyAtOnce_EachAppliedOnceInSomeOrder()
    {
        var (results, count, accepted) = await WithListAsync(async handle =>
        {
            // Most of these arrive while another update's workflow task is running and wait for the next task.
            var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => handle.ExecuteUpdateAsync(wf => wf.AddAsync($"item{i}"))));
            var count = await handle.QueryAsync(wf => wf.Count);
            await handle.TerminateAsync("test done");
            return (results, count, (await handle.EventTypesAsync()).Count(t => t == EventType.WorkflowExecutionUpdateAccepted));
        });
        Assert.Equal(Enumerable.Range(1, 20), results.Order());
        Assert.Equal((20, 20), (count, accepted));
    }

    [Fact]
    public async Task ExecuteUpdate_ValidatorRejects_ThrowsUpdateFailedAndLeavesHistoryUntouched()
    {
        var (error, before, after) = await WithListAsync(async handle =>
        {
            // A query is answered once the first workflow task completed: the update then needs a task of its own.
            await handle.QueryAsync(wf => wf.Count);
            var before = await handle.EventTypesAsync();
            var error = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => handle.ExecuteUpdateAsync(wf => wf.AddAsync("")));
            var after = await handle.EventTypesAsync();
            Assert.Equal(1, await handle.ExecuteUpdateAsync(wf => wf.AddAsync("accepted after a rejection")));
            await handle.TerminateAsync("test done");
            return (error, before, after);
        });
        var cause = Assert.IsType<ApplicationFailureException>(error.InnerException);
        Assert.Equal("an item must not be empty", cause.Message);
        // The task that carried only the rejected update was speculative: not even its Scheduled/Started/Completed stay.
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task ExecuteUpdate_RejectedWhileTimerIsPending_HistoryUntouchedAndWorkflowCarriesOn()
    {
        // The last task left a TimerStarted after its WorkflowTaskCompleted, so the speculative task carries it too.
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(Client, WorkerHelpers.AllTestWork(taskQueue));
        var (before, after, timerFired) = await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((SleepWorkflow wf) => wf.RunAsync(TimeSpan.FromSeconds(2)), new(TestIds.New("wf"), taskQueue));
            await handle.WaitForHistoryAsync(h => h.Any(e => e.EventType == EventType.TimerStarted), "the timer started");
            var before = await handle.EventTypesAsync();
            await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => handle.ExecuteUpdateAsync<int>("NoSuchUpdate", []));
            var after = await handle.EventTypesAsync();
            await handle.GetResultAsync();
            return (before, after, (await handle.EventTypesAsync()).Contains(EventType.TimerFired));
        });
        Assert.Equal(before, after);
        Assert.True(timerFired);
    }

    [Fact]
    public async Task ExecuteUpdate_RejectionsMixedWithSignalsAndAcceptedUpdates_WorkflowStateStaysConsistent()
    {
        var (results, rejected, result) = await WithListAsync(async handle =>
        {
            var calls = Enumerable.Range(0, 30).Select(async i =>
            {
                if (i % 10 == 5)
                {
                    await handle.SignalAsync(wf => wf.ReleaseAsync());
                }
                try
                {
                    return await handle.ExecuteUpdateAsync(wf => wf.AddAsync(i % 3 == 0 ? "" : $"item{i}"));
                }
                catch (WorkflowUpdateFailedException)
                {
                    return -1;
                }
            });
            var results = await Task.WhenAll(calls);
            await handle.SignalAsync(wf => wf.FinishAsync());
            return (results.Where(r => r > 0).Order().ToList(), results.Count(r => r < 0), await handle.GetResultAsync());
        });
        Assert.Equal(10, rejected);
        Assert.Equal(Enumerable.Range(1, 20), results);
        Assert.Equal(20, result.Split(',').Length);
    }

    [Fact]
    public async Task ExecuteUpdate_WorkerWithoutCache_RejectionAndAcceptanceReplayFullHistory()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue) { MaxCachedWorkflows = 0 }.AddWorkflow<ListWorkflow>());
        var (accepted, result) = await worker.ExecuteAsync(async () =>
        {
            var handle = await StartListAsync(taskQueue);
            await handle.QueryAsync(wf => wf.Count);
            await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => handle.ExecuteUpdateAsync(wf => wf.AddAsync("")));
            var accepted = await handle.ExecuteUpdateAsync(wf => wf.AddAsync("uncached"));
            await handle.SignalAsync(wf => wf.FinishAsync());
            return (accepted, await handle.GetResultAsync());
        });
        Assert.Equal((1, "uncached"), (accepted, result));
    }

    [Fact]
    public async Task ExecuteUpdate_UnknownUpdateName_RejectedByWorker()
    {
        var (error, events) = await WithListAsync(async handle =>
        {
            var error = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => handle.ExecuteUpdateAsync<int>("NoSuchUpdate", []));
            await handle.SignalAsync(wf => wf.FinishAsync());
            await handle.GetResultAsync();
            return (error, await handle.EventTypesAsync());
        });
        Assert.Contains("NoSuchUpdate", error.InnerException?.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(events, UpdateEvents.Contains);
    }

    [Fact]
    public async Task ExecuteUpdate_HandlerThrows_ThrowsUpdateFailedAndCompletedEventHoldsFailure()
    {
        var (error, events) = await WithListAsync(async handle =>
        {
            var error = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => handle.ExecuteUpdateAsync(wf => wf.BrokenAsync()));
            await handle.TerminateAsync("test done");
            return (error, await handle.HistoryAsync());
        });
        Assert.Equal("the update broke", Assert.IsType<ApplicationFailureException>(error.InnerException).Message);
        var completed = Assert.Single(events, e => e.EventType == EventType.WorkflowExecutionUpdateCompleted);
        Assert.Equal("the update broke", completed.WorkflowExecutionUpdateCompletedEventAttributes.Outcome.Failure.Message);
    }

    [Fact]
    public async Task ExecuteUpdate_SameUpdateIdTwice_HandlerRunsOnceAndBothGetItsResult()
    {
        var (first, second, events) = await WithListAsync(async handle =>
        {
            var options = new WorkflowUpdateOptions(TestIds.New("update"));
            var first = await handle.ExecuteUpdateAsync(wf => wf.AddAsync("once"), options);
            var second = await handle.ExecuteUpdateAsync(wf => wf.AddAsync("twice"), options);
            await handle.TerminateAsync("test done");
            return (first, second, await handle.EventTypesAsync());
        });
        Assert.Equal((1, 1), (first, second));
        Assert.Single(events, t => t == EventType.WorkflowExecutionUpdateAccepted);
    }

    [Fact]
    public async Task ExecuteUpdate_ClosedWorkflow_ThrowsNotFoundButKnownUpdateIdGetsItsOutcome()
    {
        var (error, again) = await WithListAsync(async handle =>
        {
            var options = new WorkflowUpdateOptions(TestIds.New("update"));
            await handle.ExecuteUpdateAsync(wf => wf.AddAsync("before close"), options);
            await handle.SignalAsync(wf => wf.FinishAsync());
            await handle.GetResultAsync();
            var error = await Assert.ThrowsAsync<RpcException>(() => handle.ExecuteUpdateAsync(wf => wf.AddAsync("after close")));
            var again = await handle.ExecuteUpdateAsync(wf => wf.AddAsync("after close"), options);
            return (error, again);
        });
        Assert.Equal(RpcException.StatusCode.NotFound, error.Code);
        Assert.Contains("workflow execution already completed", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, again);
    }

    [Fact]
    public async Task DescribeNamespace_Default_AdvertisesSyncAndAsyncUpdates()
    {
        var response = await Client.Connection.WorkflowService.DescribeNamespaceAsync(new() { Namespace = "default" });
        Assert.True(response.NamespaceInfo.Capabilities.SyncUpdate);
        Assert.True(response.NamespaceInfo.Capabilities.AsyncUpdate);
    }

    [Fact]
    public async Task ExecuteUpdate_UnknownWorkflow_ThrowsNotFound()
    {
        var handle = Client.GetWorkflowHandle<ListWorkflow>(TestIds.New("missing"));
        var error = await Assert.ThrowsAsync<RpcException>(() => handle.ExecuteUpdateAsync(wf => wf.AddAsync("x")));
        Assert.Equal(RpcException.StatusCode.NotFound, error.Code);
    }

    [Fact]
    public async Task StartUpdate_WorkflowCompletesBeforeAcceptedUpdate_UpdateFailsWithServerFailure()
    {
        var error = await WithListAsync(async handle =>
        {
            var update = await handle.StartUpdateAsync(wf => wf.AddAfterReleaseAsync("never"), new(WorkflowUpdateStage.Accepted));
            await handle.SignalAsync(wf => wf.FinishAsync());
            await handle.GetResultAsync();
            return await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => update.GetResultAsync());
        });
        Assert.Equal("AcceptedUpdateCompletedWorkflow", Assert.IsType<ApplicationFailureException>(error.InnerException).ErrorType);
    }

    [Fact]
    public async Task ExecuteUpdate_StickyWorker_UpdateTasksGoToStickyQueue()
    {
        var (results, events) = await WithListAsync(async handle =>
        {
            var results = new List<int>();
            for (var i = 0; i < 3; i++)
            {
                results.Add(await handle.ExecuteUpdateAsync(wf => wf.AddAsync($"item{i}")));
            }
            await handle.SignalAsync(wf => wf.FinishAsync());
            await handle.GetResultAsync();
            return (results, await handle.HistoryAsync());
        });
        Assert.Equal(Enumerable.Range(1, 3), results);
        var lastUpdateTask = events.Last(e => e.EventType == EventType.WorkflowExecutionUpdateAccepted).EventId;
        var scheduled = events.Last(e => e.EventType == EventType.WorkflowTaskScheduled && e.EventId < lastUpdateTask);
        Assert.Equal(TaskQueueKind.Sticky, scheduled.WorkflowTaskScheduledEventAttributes.TaskQueue.Kind);
    }

    [Fact]
    public async Task ExecuteUpdate_WorkerReplaced_NewWorkerReplaysUpdateEventsAndContinues()
    {
        var taskQueue = TestIds.New("tq");
        WorkflowHandle<ListWorkflow, string> handle;
        int first;
        using (var worker = new TemporalWorker(Client, ListWork(taskQueue)))
        {
            (handle, first) = await worker.ExecuteAsync(async () =>
            {
                var started = await StartListAsync(taskQueue);
                return (started, await started.ExecuteUpdateAsync(wf => wf.AddAsync("one")));
            });
        }
        using var replacement = new TemporalWorker(Client, ListWork(taskQueue));
        var (second, result) = await replacement.ExecuteAsync(async () =>
        {
            var second = await handle.ExecuteUpdateAsync(wf => wf.AddAsync("two"));
            await handle.SignalAsync(wf => wf.FinishAsync());
            return (second, await handle.GetResultAsync());
        });
        Assert.Equal((1, 2, "one,two"), (first, second, result));
    }

    [Fact]
    public async Task Replay_HistoryWithAcceptedRejectedAndFailedUpdates_ReplaysDeterministically()
    {
        var history = await WithListAsync(async handle =>
        {
            await handle.ExecuteUpdateAsync(wf => wf.AddAsync("kept"));
            await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => handle.ExecuteUpdateAsync(wf => wf.AddAsync("")));
            await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => handle.ExecuteUpdateAsync(wf => wf.BrokenAsync()));
            var waiting = await handle.StartUpdateAsync(wf => wf.AddAfterReleaseAsync("released"), new(WorkflowUpdateStage.Accepted));
            await handle.SignalAsync(wf => wf.ReleaseAsync());
            await waiting.GetResultAsync();
            await handle.SignalAsync(wf => wf.FinishAsync());
            await handle.GetResultAsync();
            return await handle.FetchHistoryAsync();
        });

        var replayer = new WorkflowReplayer(new WorkflowReplayerOptions().AddWorkflow<ListWorkflow>());
        var replay = await replayer.ReplayWorkflowAsync(history);

        Assert.Null(replay.ReplayFailure);
        Assert.Equal(3, history.Events.Count(e => e.EventType == EventType.WorkflowExecutionUpdateAccepted));
    }

    [Fact]
    public async Task ExecuteUpdateWithStart_NoWorkflow_StartsItAndDeliversUpdateOnFirstTask()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(Client, ListWork(taskQueue));
        var (first, second, result, events) = await worker.ExecuteAsync(async () =>
        {
            var workflowId = TestIds.New("wf");
            WithStartWorkflowOperation<WorkflowHandle<ListWorkflow, string>> StartOperation() =>
                WithStartWorkflowOperation.Create((ListWorkflow wf) => wf.RunAsync(), new(workflowId, taskQueue) { IdConflictPolicy = WorkflowIdConflictPolicy.UseExisting });
            var firstStart = StartOperation();
            var first = await Client.ExecuteUpdateWithStartWorkflowAsync((ListWorkflow wf) => wf.AddAsync("a"), new(firstStart));
            var secondStart = StartOperation();
            var second = await Client.ExecuteUpdateWithStartWorkflowAsync((ListWorkflow wf) => wf.AddAsync("b"), new(secondStart));
            var handle = await firstStart.GetHandleAsync();
            Assert.Equal(handle.ResultRunId, (await secondStart.GetHandleAsync()).ResultRunId);
            await handle.SignalAsync(wf => wf.FinishAsync());
            return (first, second, await handle.GetResultAsync(), await handle.EventTypesAsync());
        });
        Assert.Equal((1, 2, "a,b"), (first, second, result));
        // The update rode on the workflow's first task: accepted before any second task was scheduled.
        Assert.Equal(1, events.Take(events.IndexOf(EventType.WorkflowExecutionUpdateAccepted)).Count(t => t == EventType.WorkflowTaskScheduled));
    }

    [Fact]
    public async Task StartUpdateWithStart_RunningWorkflowAndConflictPolicyFail_ThrowsWorkflowAlreadyStarted()
    {
        var (error, running, count) = await WithListAsync(async handle =>
        {
            var start = WithStartWorkflowOperation.Create((ListWorkflow wf) => wf.RunAsync(),
                new(handle.Id, TestIds.New("other-tq")) { IdConflictPolicy = WorkflowIdConflictPolicy.Fail });
            var error = await Assert.ThrowsAsync<WorkflowAlreadyStartedException>(() =>
                Client.StartUpdateWithStartWorkflowAsync((ListWorkflow wf) => wf.AddAsync("x"), new(start, WorkflowUpdateStage.Accepted)));
            var count = await handle.QueryAsync(wf => wf.Count);
            await handle.TerminateAsync("test done");
            return (error, handle, count);
        });
        Assert.Equal((running.Id, running.ResultRunId), (error.WorkflowId, error.RunId));
        Assert.Equal(0, count);
    }

    [Fact]
    public async Task RespondWorkflowTaskCompleted_CloseWhileUpdateAwaitsDelivery_FailsTaskThenUnansweredUpdateIsRejected()
    {
        // A bare-protocol "worker", to see the messages on the wire and to misbehave in ways the SDK never does.
        var taskQueue = TestIds.New("tq");
        var handle = await StartListAsync(taskQueue);
        var service = Client.Connection.WorkflowService;
        var poll = new PollWorkflowTaskQueueRequest { Namespace = "default", TaskQueue = new() { Name = taskQueue }, Identity = "bare" };
        var first = await service.PollWorkflowTaskQueueAsync(poll);
        var updateId = TestIds.New("update");
        var admitted = await service.UpdateWorkflowExecutionAsync(new()
        {
            Namespace = "default",
            WorkflowExecution = new() { WorkflowId = handle.Id },
            Request = new() { Meta = new() { UpdateId = updateId }, Input = new() { Name = "Add" } },
            WaitPolicy = new() { LifecycleStage = UpdateWorkflowExecutionLifecycleStage.Admitted },
        });
        Assert.Empty(first.Messages);

        await service.RespondWorkflowTaskCompletedAsync(new()
        {
            Namespace = "default",
            TaskToken = first.TaskToken,
            Identity = "bare",
            Commands = { new Command { CommandType = CommandType.CompleteWorkflowExecution, CompleteWorkflowExecutionCommandAttributes = new() } },
        });
        var second = await service.PollWorkflowTaskQueueAsync(poll);
        var message = Assert.Single(second.Messages);
        Assert.Equal((updateId + "/request", updateId, second.StartedEventId - 1), (message.Id, message.ProtocolInstanceId, message.EventId));
        Assert.Equal("Add", message.Body.Unpack<Request>().Input.Name);

        await service.RespondWorkflowTaskCompletedAsync(new() { Namespace = "default", TaskToken = second.TaskToken, Identity = "bare" });
        var outcome = await service.PollWorkflowExecutionUpdateAsync(new()
        {
            Namespace = "default",
            UpdateRef = admitted.UpdateRef,
            WaitPolicy = new() { LifecycleStage = UpdateWorkflowExecutionLifecycleStage.Completed },
        });
        var events = await handle.HistoryAsync();
        await handle.TerminateAsync("test done");

        Assert.Equal(UpdateWorkflowExecutionLifecycleStage.Completed, outcome.Stage);
        Assert.Equal("UnprocessedUpdate", outcome.Outcome.Failure.ApplicationFailureInfo.Type);
        var failed = Assert.Single(events, e => e.EventType == EventType.WorkflowTaskFailed);
        Assert.Equal(WorkflowTaskFailedCause.UnhandledCommand, failed.WorkflowTaskFailedEventAttributes.Cause);
        Assert.DoesNotContain(events, e => UpdateEvents.Contains(e.EventType));
    }

    [Fact]
    public async Task RespondWorkflowTaskCompleted_OnlyRejection_DropsSpeculativeTaskAndRefusesItsTokenLater()
    {
        var taskQueue = TestIds.New("tq");
        var handle = await StartListAsync(taskQueue);
        var service = Client.Connection.WorkflowService;
        var poll = new PollWorkflowTaskQueueRequest { Namespace = "default", TaskQueue = new() { Name = taskQueue }, Identity = "bare" };
        var first = await service.PollWorkflowTaskQueueAsync(poll);
        await service.RespondWorkflowTaskCompletedAsync(new() { Namespace = "default", TaskToken = first.TaskToken, Identity = "bare" });
        var before = await handle.EventTypesAsync();

        async Task<PollWorkflowTaskQueueResponse> UpdateAndPollAsync(string updateId)
        {
            await service.UpdateWorkflowExecutionAsync(new()
            {
                Namespace = "default",
                WorkflowExecution = new() { WorkflowId = handle.Id },
                Request = new() { Meta = new() { UpdateId = updateId }, Input = new() { Name = "Add" } },
                WaitPolicy = new() { LifecycleStage = UpdateWorkflowExecutionLifecycleStage.Admitted },
            });
            return await service.PollWorkflowTaskQueueAsync(poll);
        }

        var speculative = await UpdateAndPollAsync(TestIds.New("update"));
        var message = Assert.Single(speculative.Messages);
        // The worker sees the held Scheduled/Started events after the completed task; the history does not have them.
        Assert.Equal(first.StartedEventId + 3, speculative.StartedEventId);
        Assert.Equal(EventType.WorkflowTaskStarted, speculative.History.Events[^1].EventType);
        var rejected = await service.RespondWorkflowTaskCompletedAsync(new()
        {
            Namespace = "default",
            TaskToken = speculative.TaskToken,
            Identity = "bare",
            Messages =
            {
                new Temporalio.Api.Protocol.V1.Message
                {
                    Id = message.Id + "/reject",
                    ProtocolInstanceId = message.ProtocolInstanceId,
                    Body = Google.Protobuf.WellKnownTypes.Any.Pack(new Rejection
                    {
                        RejectedRequestMessageId = message.Id,
                        RejectedRequest = message.Body.Unpack<Request>(),
                        Failure = new() { Message = "not now" },
                    }),
                },
            },
        });
        Assert.Equal(first.StartedEventId, rejected.ResetHistoryEventId);
        Assert.Equal(before, await handle.EventTypesAsync());

        // The next update's task gets the same scheduled event id; the dropped task's token must not complete it.
        var next = await UpdateAndPollAsync(TestIds.New("update"));
        Assert.Equal(speculative.StartedEventId, next.StartedEventId);
        var stale = await Assert.ThrowsAsync<RpcException>(() => service.RespondWorkflowTaskCompletedAsync(
            new() { Namespace = "default", TaskToken = speculative.TaskToken, Identity = "bare" }));
        Assert.Equal(RpcException.StatusCode.NotFound, stale.Code);
        await handle.TerminateAsync("test done");
    }

    [Fact]
    public async Task RespondWorkflowTaskCompleted_ProtocolMessageCommandWithoutItsMessage_FailsTaskAsBadUpdateMessage()
    {
        var taskQueue = TestIds.New("tq");
        var handle = await StartListAsync(taskQueue);
        var service = Client.Connection.WorkflowService;
        var task = await service.PollWorkflowTaskQueueAsync(new() { Namespace = "default", TaskQueue = new() { Name = taskQueue }, Identity = "bare" });

        var error = await Assert.ThrowsAsync<RpcException>(() => service.RespondWorkflowTaskCompletedAsync(new()
        {
            Namespace = "default",
            TaskToken = task.TaskToken,
            Identity = "bare",
            Commands = { new Command { CommandType = CommandType.ProtocolMessage, ProtocolMessageCommandAttributes = new() { MessageId = "missing/accept" } } },
        }));
        var events = await handle.HistoryAsync();
        await handle.TerminateAsync("test done");

        Assert.Equal(RpcException.StatusCode.InvalidArgument, error.Code);
        var failed = Assert.Single(events, e => e.EventType == EventType.WorkflowTaskFailed);
        Assert.Equal(WorkflowTaskFailedCause.BadUpdateWorkflowExecutionMessage, failed.WorkflowTaskFailedEventAttributes.Cause);
    }
}
