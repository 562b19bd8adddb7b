using Estuary.DevServer.Grpc;
using Estuary.DevServer.State;
using Estuary.DevServer.TaskQueues;
using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;
using TaskQueueMessage = Temporalio.Api.TaskQueue.V1.TaskQueue;

namespace Estuary.DevServer.Engine;

internal sealed partial class DevServerEngine
{
    private static readonly TimeSpan DefaultStickyScheduleToStartTimeout = TimeSpan.FromSeconds(5);
    private const int WorkflowTaskRetryBackoffMinAttempts = 3;
    private const int FailFastWorkflowTaskAttempt = 3;
    private static readonly TimeSpan WorkflowTaskRetryInitialInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan WorkflowTaskRetryMaxInterval = TimeSpan.FromMinutes(10);

    /// <summary>Schedules a workflow task unless one is already pending (its history will include the new events).</summary>
    private void ScheduleWorkflowTaskIfIdle(WorkflowRun run, bool speculative = false)
    {
        // A cron run waits for its scheduled time whatever arrives meanwhile (Temporal buffers such signals too).
        var waitsForCron = run.StartBackoff is { IsCancelled: false } && !string.IsNullOrEmpty(run.Started.CronSchedule);
        if (run.IsRunning && run.WorkflowTask is null && !run.ApplyingCommands && !waitsForCron)
        {
            run.StartBackoff?.Cancel();
            ScheduleWorkflowTask(run, 1, speculative);
        }
    }

    /// <summary>
    /// Schedules a workflow task. Attempt 2 and later (a retry of a failed or timed-out task) is transient, as in
    /// Temporal: its events are held back from the history until it completes, so a task that keeps failing does
    /// not grow the history.
    /// </summary>
    /// <param name="run">The run.</param>
    /// <param name="attempt">1, or the attempt of a retry.</param>
    /// <param name="speculative">A task scheduled only to deliver updates.</param>
    /// <param name="dispatch">False for an eager start's first task, which is started at once instead of queued.</param>
    private void ScheduleWorkflowTask(WorkflowRun run, int attempt, bool speculative = false, bool dispatch = true)
    {
        if (!run.IsRunning || run.WorkflowTask is not null)
        {
            return;
        }
        var now = Clock.UtcNow;
        var ns = run.Namespace.Name;
        if (run.StickyQueue is { } sticky && _shutDownStickyQueues.Contains((ns, sticky)))
        {
            run.StickyQueue = null;
        }
        var isSticky = run.StickyQueue is not null;
        var queueName = run.StickyQueue ?? run.TaskQueue;
        var transient = attempt > 1 && !speculative;
        var timeout = WorkflowTaskStartToCloseTimeout(run, attempt);
        var scheduled = NewWorkflowTaskScheduledEvent(run, queueName, isSticky, attempt, timeout);
        if (speculative || transient)
        {
            HoldEvent(scheduled, run.History.NextEventId, now);
        }
        else
        {
            run.History.Append(scheduled, now);
        }
        var task = new WorkflowTaskState
        {
            ScheduledEventId = scheduled.EventId,
            Attempt = attempt,
            StartToCloseTimeout = timeout,
            QueueName = queueName,
            IsSticky = isSticky,
            ScheduledTime = now,
            IsSpeculative = speculative,
            IsTransient = transient,
        };
        run.WorkflowTask = task;
        if (speculative || transient)
        {
            task.HeldEvents.Add(scheduled);
        }
        if (speculative)
        {
            run.History.BeforeAppend = () => PersistHeldEvents(run, task);
        }
        if (isSticky)
        {
            task.Timeout = Clock.After(run.StickyScheduleToStartTimeout, () =>
            {
                using (Track(run))
                {
                    StickyTaskNotPickedUp(run, task);
                }
            });
        }
        if (dispatch)
        {
            WorkflowQueue(ns, queueName).Add(run);
        }
    }

    private static HistoryEvent NewWorkflowTaskScheduledEvent(WorkflowRun run, string queueName, bool isSticky, int attempt, TimeSpan timeout) => new()
    {
        EventType = EventType.WorkflowTaskScheduled,
        WorkflowTaskScheduledEventAttributes = new WorkflowTaskScheduledEventAttributes
        {
            TaskQueue = isSticky
                ? new TaskQueueMessage { Name = queueName, Kind = TaskQueueKind.Sticky, NormalName = run.TaskQueue }
                : run.Started.TaskQueue,
            StartToCloseTimeout = Duration.FromTimeSpan(timeout),
            Attempt = attempt,
        },
    };

    /// <summary>
    /// Temporal's start-to-close timeout for an attempt: the run's workflow task timeout, plus from the fourth attempt
    /// on a backoff of 5 s doubling per attempt (at most 10 minutes) — the only pause between attempts of a failing task.
    /// </summary>
    private static TimeSpan WorkflowTaskStartToCloseTimeout(WorkflowRun run, int attempt)
    {
        if (attempt <= WorkflowTaskRetryBackoffMinAttempts)
        {
            return run.WorkflowTaskTimeout;
        }
        var backoff = WorkflowTaskRetryInitialInterval.TotalSeconds * Math.Pow(2, Math.Min(attempt - WorkflowTaskRetryBackoffMinAttempts - 1, 30));
        return run.WorkflowTaskTimeout + TimeSpan.FromSeconds(Math.Min(backoff, WorkflowTaskRetryMaxInterval.TotalSeconds));
    }

    /// <summary>
    /// Temporal fails queries and updates fast once a run's workflow task has failed twice in a row (attempt 3 on): the
    /// worker would not answer them before the task is fixed.
    /// </summary>
    private static void ThrowIfWorkflowTaskFailing(WorkflowRun run, string message)
    {
        if (run.IsRunning && run.WorkflowTask is { Attempt: >= FailFastWorkflowTaskAttempt })
        {
            throw RpcErrors.WithDetail(global::Grpc.Core.StatusCode.FailedPrecondition, message, new Temporalio.Api.ErrorDetails.V1.WorkflowNotReadyFailure());
        }
    }

    /// <summary>A sticky task nobody picked up in time (or whose worker shut down) moves to the normal queue.</summary>
    private void StickyTaskNotPickedUp(WorkflowRun run, WorkflowTaskState task)
    {
        if (run.WorkflowTask != task || task.IsStarted)
        {
            return;
        }
        task.Timeout?.Cancel();
        run.History.Append(new HistoryEvent
        {
            EventType = EventType.WorkflowTaskTimedOut,
            WorkflowTaskTimedOutEventAttributes = new WorkflowTaskTimedOutEventAttributes
            {
                ScheduledEventId = task.ScheduledEventId,
                TimeoutType = TimeoutType.ScheduleToStart,
            },
        }, Clock.UtcNow);
        run.WorkflowTask = null;
        run.StickyQueue = null;
        ScheduleWorkflowTask(run, task.Attempt);
    }

    private PollWorkflowTaskQueueResponse? StartWorkflowTask(WorkflowRun run, string queueName, string identity)
    {
        if (StartQueryTask(run, queueName) is { } queryTask)
        {
            return queryTask;
        }
        var task = run.WorkflowTask;
        if (!run.IsRunning || task is null || task.IsStarted || task.QueueName != queueName)
        {
            return null;
        }
        return BeginWorkflowTask(run, task, identity, Guid.NewGuid().ToString());
    }

    /// <summary>
    /// Starts a scheduled workflow task for a worker (a poll, or the starter of an eager start): writes (or holds)
    /// WorkflowTaskStarted, arms the start-to-close timeout and builds what the worker gets.
    /// </summary>
    private PollWorkflowTaskQueueResponse BeginWorkflowTask(WorkflowRun run, WorkflowTaskState task, string identity, string requestId)
    {
        var now = Clock.UtcNow;
        task.Timeout?.Cancel();
        if (task.IsTransient && task.ScheduledEventId != run.History.NextEventId)
        {
            // Events arrived since the retry was scheduled: like Temporal, it becomes a normal first attempt written after them.
            task.IsTransient = false;
            task.Attempt = 1;
            task.HeldEvents.Clear();
            task.ScheduledEventId = run.History.Append(
                NewWorkflowTaskScheduledEvent(run, task.QueueName, task.IsSticky, 1, task.StartToCloseTimeout), now).EventId;
        }
        task.RequestId = requestId;
        var started = new HistoryEvent
        {
            EventType = EventType.WorkflowTaskStarted,
            WorkflowTaskStartedEventAttributes = new WorkflowTaskStartedEventAttributes
            {
                ScheduledEventId = task.ScheduledEventId,
                Identity = identity,
                RequestId = task.RequestId,
                HistorySizeBytes = run.History.SizeBytes,
            },
        };
        if (task.IsSpeculative || task.IsTransient)
        {
            HoldEvent(started, task.ScheduledEventId + 1, now);
            task.HeldEvents.Add(started);
        }
        else
        {
            run.History.Append(started, now);
        }
        task.StartedEventId = started.EventId;
        task.StartedTime = now;
        task.Timeout = Clock.After(task.StartToCloseTimeout, () =>
        {
            using (Track(run))
            {
                WorkflowTaskTimedOut(run, task);
            }
        });

        var history = new Temporalio.Api.History.V1.History();
        var events = run.History.Events;
        var from = task.IsSticky ? (int)run.PreviousStartedEventId : 0;
        for (var i = from; i < events.Count; i++)
        {
            history.Events.Add(events[i]);
        }
        history.Events.AddRange(task.HeldEvents);
        var response = WorkflowTaskResponse(run, task, history);
        AttachUpdates(run, task.StartedEventId, response);
        return response;
    }

    /// <summary>What a worker gets for a started workflow task.</summary>
    private static PollWorkflowTaskQueueResponse WorkflowTaskResponse(WorkflowRun run, WorkflowTaskState task, Temporalio.Api.History.V1.History history) => new()
    {
        TaskToken = new TaskToken(run.Namespace.Name, run.WorkflowId, run.RunId, task.ScheduledEventId, task.Attempt, task.RequestId!).ToByteString(),
        WorkflowExecution = run.ToExecution(),
        WorkflowType = run.Started.WorkflowType,
        PreviousStartedEventId = run.PreviousStartedEventId,
        StartedEventId = task.StartedEventId,
        Attempt = task.Attempt,
        History = history,
        WorkflowExecutionTaskQueue = run.Started.TaskQueue,
        ScheduledTime = Timestamp.FromDateTime(task.ScheduledTime),
        StartedTime = Timestamp.FromDateTime(task.StartedTime),
    };

    public async Task<PollWorkflowTaskQueueResponse> PollWorkflowTaskQueueAsync(PollWorkflowTaskQueueRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.TaskQueue?.Name))
        {
            throw RpcErrors.InvalidArgument("TaskQueue is not set on request.");
        }
        TaskQueue<WorkflowRun, PollWorkflowTaskQueueResponse>.Poller? poller;
        lock (_gate)
        {
            var ns = GetNamespace(request.Namespace);
            var queue = WorkflowQueue(ns.Name, request.TaskQueue.Name);
            var response = queue.TakeOrWait(request.Identity, Clock.UtcNow, out poller);
            if (response is not null)
            {
                return response;
            }
        }
        var queueName = request.TaskQueue.Name;
        return await WaitForTaskAsync(poller!, _workflowQueues, (request.Namespace, queueName),
                () => WorkflowQueue(request.Namespace, queueName), deadline, cancellationToken)
            ?? new PollWorkflowTaskQueueResponse();
    }

    private async Task<TResponse?> WaitForTaskAsync<TTask, TResponse>(TaskQueue<TTask, TResponse>.Poller poller,
        Dictionary<(string Namespace, string Queue), TaskQueue<TTask, TResponse>> registry, (string Namespace, string Queue) key,
        Func<TaskQueue<TTask, TResponse>> currentQueue, DateTime deadline, CancellationToken cancellationToken)
        where TTask : class
        where TResponse : class
    {
        using var linked = LinkToStopping(cancellationToken);
        TTask? task;
        try
        {
            task = await poller.Completion.Task.WaitAsync(HoldTime(deadline), linked.Token);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            lock (_gate)
            {
                if (poller.Queue.Remove(poller))
                {
                    // Queues nobody uses any more (a vanished worker's sticky queue, a test's queue) do not pile up.
                    if (poller.Queue.IsIdle && registry.TryGetValue(key, out var current) && current == poller.Queue)
                    {
                        registry.Remove(key);
                    }
                    return null;
                }
            }
            // A task was handed to this poll just as it gave up.
            task = await poller.Completion.Task;
        }
        if (task is null)
        {
            return null;
        }
        lock (_gate)
        {
            if (linked.IsCancellationRequested)
            {
                // The caller is gone: the next poll gets the task instead of it being lost with this call.
                currentQueue().Add(task);
                return null;
            }
            return poller.Queue.Start(task, poller.Identity);
        }
    }

    private (WorkflowRun Run, WorkflowTaskState Task) GetStartedWorkflowTask(Google.Protobuf.ByteString tokenBytes, string requestNamespace)
    {
        var token = TaskToken.Parse(tokenBytes);
        var ns = GetNamespace(string.IsNullOrEmpty(requestNamespace) ? token.Namespace : requestNamespace);
        if (!ns.Runs.TryGetValue(token.RunId, out var run) || !run.IsRunning
            || run.WorkflowTask is not { IsStarted: true } task || task.ScheduledEventId != token.ScheduledEventId || task.RequestId != token.RequestId)
        {
            throw RpcErrors.NotFound("Workflow task not found.");
        }
        return (run, task);
    }

    public RespondWorkflowTaskCompletedResponse RespondWorkflowTaskCompleted(RespondWorkflowTaskCompletedRequest request)
    {
        lock (_gate)
        {
            var (run, task) = GetStartedWorkflowTask(request.TaskToken, request.Namespace);
            using (Track(run))
            {
                var response = new RespondWorkflowTaskCompletedResponse();
                CompleteWorkflowTask(run, task, request, response);
                return response;
            }
        }
    }

    private void CompleteWorkflowTask(WorkflowRun run, WorkflowTaskState task, RespondWorkflowTaskCompletedRequest request, RespondWorkflowTaskCompletedResponse response)
    {
        var now = Clock.UtcNow;
        if (ValidateCommands(run, request) is { } invalid)
        {
            FailWorkflowTask(run, task, invalid.Cause, new Failure { Message = invalid.Message }, request.Identity);
            throw invalid.Cause == WorkflowTaskFailedCause.Unspecified
                ? RpcErrors.Unimplemented(invalid.Message)
                : RpcErrors.InvalidArgument(invalid.Message);
        }
        if (InvalidSearchAttributesInCommands(request.Commands) is { } badAttributes)
        {
            FailWorkflowTask(run, task, WorkflowTaskFailedCause.BadSearchAttributes, new Failure { Message = badAttributes }, request.Identity);
            throw RpcErrors.InvalidArgument(badAttributes);
        }
        var closes = request.Commands.Any(c => c.CommandType is CommandType.CompleteWorkflowExecution or CommandType.FailWorkflowExecution
            or CommandType.CancelWorkflowExecution or CommandType.ContinueAsNewWorkflowExecution);
        if (closes && (run.HasBufferedEvents || run.PendingUpdates.Any(u => !u.IsSent)))
        {
            // New events or updates arrived while the worker decided to close: it must see them first (Temporal's UnhandledCommand).
            FailWorkflowTask(run, task, WorkflowTaskFailedCause.UnhandledCommand,
                new Failure { Message = "UnhandledCommand: new events arrived while the workflow task was running." }, request.Identity);
            return;
        }

        if (task.IsSpeculative && CanDiscard(run, request))
        {
            DiscardSpeculativeTask(run, task, request, response);
            return;
        }

        task.Timeout?.Cancel();
        if (task.IsTransient)
        {
            PersistHeldEvents(run, task);
        }
        var completed = run.History.Append(new HistoryEvent
        {
            EventType = EventType.WorkflowTaskCompleted,
            WorkflowTaskCompletedEventAttributes = new WorkflowTaskCompletedEventAttributes
            {
                ScheduledEventId = task.ScheduledEventId,
                StartedEventId = task.StartedEventId,
                Identity = request.Identity,
                SdkMetadata = request.SdkMetadata,
                MeteringMetadata = request.MeteringMetadata,
            },
        }, now);
        run.WorkflowTask = null;
        run.PreviousStartedEventId = task.StartedEventId;
        run.CompletedWorkflowTasks++;
        ApplyStickiness(run, request);

        var needsTask = request.ForceCreateNewWorkflowTask;
        var eager = new List<PollActivityTaskQueueResponse>();
        // A ProtocolMessage command places its message's event among the commands' events; rejections write nothing.
        var placed = request.Commands.Where(c => c.CommandType == CommandType.ProtocolMessage)
            .ToDictionary(c => c.ProtocolMessageCommandAttributes.MessageId, c => request.Messages.First(m => m.Id == c.ProtocolMessageCommandAttributes.MessageId));
        foreach (var rejection in request.Messages.Where(m => !placed.ContainsKey(m.Id) && m.Body.Is(Temporalio.Api.Update.V1.Rejection.Descriptor)))
        {
            ApplyUpdateMessage(run, rejection);
        }
        run.ApplyingCommands = true;
        try
        {
            foreach (var command in request.Commands)
            {
                if (command.CommandType == CommandType.ProtocolMessage)
                {
                    ApplyUpdateMessage(run, placed[command.ProtocolMessageCommandAttributes.MessageId]);
                    continue;
                }
                needsTask |= ApplyCommand(run, command, completed.EventId, request.Identity, eager);
                if (!run.IsRunning)
                {
                    return;
                }
            }
        }
        finally
        {
            run.ApplyingCommands = false;
        }
        ApplyUnplacedUpdateMessages(run, request.Messages.Where(m => !placed.ContainsKey(m.Id) && !m.Body.Is(Temporalio.Api.Update.V1.Rejection.Descriptor)));
        response.ActivityTasks.AddRange(eager);
        needsTask |= run.HasBufferedEvents || run.PendingUpdates.Count > 0;
        run.FlushBuffer(Clock.UtcNow);
        if (needsTask)
        {
            ScheduleWorkflowTask(run, 1);
        }
        DispatchQueries(run);
    }

    private void ApplyStickiness(WorkflowRun run, RespondWorkflowTaskCompletedRequest request)
    {
        if (request.StickyAttributes?.WorkerTaskQueue?.Name is { Length: > 0 } sticky
            && !_shutDownStickyQueues.Contains((run.Namespace.Name, sticky)))
        {
            run.StickyQueue = sticky;
            var timeout = request.StickyAttributes.ScheduleToStartTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
            run.StickyScheduleToStartTimeout = timeout > TimeSpan.Zero ? timeout : DefaultStickyScheduleToStartTimeout;
        }
        else
        {
            run.StickyQueue = null;
        }
    }

    private static (WorkflowTaskFailedCause Cause, string Message)? ValidateCommands(WorkflowRun run, RespondWorkflowTaskCompletedRequest request)
    {
        if (ValidateMessages(run, request) is { } badMessage)
        {
            return badMessage;
        }
        var activityIds = new HashSet<string>(run.Activities.Values.Select(a => a.Attributes.ActivityId), StringComparer.Ordinal);
        var timerIds = new HashSet<string>(run.Timers.Keys, StringComparer.Ordinal);
        foreach (var command in request.Commands)
        {
            switch (command.CommandType)
            {
                case CommandType.ScheduleActivityTask:
                    var activity = command.ScheduleActivityTaskCommandAttributes;
                    if (activity is null || string.IsNullOrEmpty(activity.ActivityId) || string.IsNullOrEmpty(activity.ActivityType?.Name))
                    {
                        return (WorkflowTaskFailedCause.BadScheduleActivityAttributes, "ScheduleActivityTask needs an ActivityId and an ActivityType.");
                    }
                    if (!activityIds.Add(activity.ActivityId))
                    {
                        return (WorkflowTaskFailedCause.BadScheduleActivityAttributes, $"Activity ID {activity.ActivityId} is already in use.");
                    }
                    if (IsUnset(activity.ScheduleToCloseTimeout) && IsUnset(activity.StartToCloseTimeout))
                    {
                        return (WorkflowTaskFailedCause.BadScheduleActivityAttributes, "A valid StartToClose or ScheduleToCloseTimeout is not set on ScheduleActivityTask.");
                    }
                    break;
                case CommandType.StartTimer:
                    var timer = command.StartTimerCommandAttributes;
                    if (timer is null || string.IsNullOrEmpty(timer.TimerId) || timer.StartToFireTimeout is null || timer.StartToFireTimeout.ToTimeSpan() <= TimeSpan.Zero)
                    {
                        return (WorkflowTaskFailedCause.BadStartTimerAttributes, "StartTimer needs a TimerId and a positive StartToFireTimeout.");
                    }
                    if (!timerIds.Add(timer.TimerId))
                    {
                        return (WorkflowTaskFailedCause.StartTimerDuplicateId, $"Timer ID {timer.TimerId} is already in use.");
                    }
                    break;
                case CommandType.CancelTimer:
                    if (!timerIds.Remove(command.CancelTimerCommandAttributes?.TimerId ?? ""))
                    {
                        return (WorkflowTaskFailedCause.BadCancelTimerAttributes, $"Timer ID {command.CancelTimerCommandAttributes?.TimerId} is not pending.");
                    }
                    break;
                case CommandType.RequestCancelActivityTask:
                    if (!run.Activities.ContainsKey(command.RequestCancelActivityTaskCommandAttributes?.ScheduledEventId ?? 0))
                    {
                        return (WorkflowTaskFailedCause.BadRequestCancelActivityAttributes, $"Activity with scheduled event ID {command.RequestCancelActivityTaskCommandAttributes?.ScheduledEventId} is not pending.");
                    }
                    break;
                case CommandType.CompleteWorkflowExecution:
                case CommandType.FailWorkflowExecution:
                case CommandType.CancelWorkflowExecution:
                case CommandType.RecordMarker:
                case CommandType.UpsertWorkflowSearchAttributes:
                case CommandType.ModifyWorkflowProperties:
                case CommandType.ProtocolMessage:
                    break;
                case CommandType.SignalExternalWorkflowExecution:
                    if (ValidateSignalExternal(command.SignalExternalWorkflowExecutionCommandAttributes) is { } badSignal)
                    {
                        return badSignal;
                    }
                    break;
                case CommandType.RequestCancelExternalWorkflowExecution:
                    if (ValidateRequestCancelExternal(run, command.RequestCancelExternalWorkflowExecutionCommandAttributes) is { } badCancel)
                    {
                        return badCancel;
                    }
                    break;
                case CommandType.StartChildWorkflowExecution:
                    if (ValidateStartChild(command.StartChildWorkflowExecutionCommandAttributes) is { } badChild)
                    {
                        return badChild;
                    }
                    break;
                case CommandType.ContinueAsNewWorkflowExecution:
                    // Temporal itself does not check it here (a bad schedule silently ends the chain); failing the task says why.
                    if (InvalidCronSchedule(command.ContinueAsNewWorkflowExecutionCommandAttributes?.CronSchedule ?? "") is { } badCron)
                    {
                        return (WorkflowTaskFailedCause.BadContinueAsNewAttributes, badCron);
                    }
                    break;
                default:
                    return (WorkflowTaskFailedCause.Unspecified, $"Command {command.CommandType} is not supported by the Estuary dev server.");
            }
        }
        return null;
    }

    private static bool IsUnset(Duration? duration) => duration is null || duration.ToTimeSpan() <= TimeSpan.Zero;

    /// <summary>Applies one command; returns true when it produced an event the workflow must see in a new task.</summary>
    private bool ApplyCommand(WorkflowRun run, Command command, long completedEventId, string identity, List<PollActivityTaskQueueResponse> eager)
    {
        var now = Clock.UtcNow;
        switch (command.CommandType)
        {
            case CommandType.ScheduleActivityTask:
                ScheduleActivity(run, command.ScheduleActivityTaskCommandAttributes, completedEventId, identity, eager);
                return false;
            case CommandType.RequestCancelActivityTask:
                return RequestCancelActivity(run, command.RequestCancelActivityTaskCommandAttributes.ScheduledEventId, completedEventId);
            case CommandType.StartTimer:
                StartTimer(run, command.StartTimerCommandAttributes, completedEventId);
                return false;
            case CommandType.CancelTimer:
                var timer = run.Timers[command.CancelTimerCommandAttributes.TimerId];
                timer.Fire.Cancel();
                run.Timers.Remove(timer.TimerId);
                run.History.Append(new HistoryEvent
                {
                    EventType = EventType.TimerCanceled,
                    TimerCanceledEventAttributes = new TimerCanceledEventAttributes
                    {
                        TimerId = timer.TimerId,
                        StartedEventId = timer.StartedEventId,
                        WorkflowTaskCompletedEventId = completedEventId,
                        Identity = identity,
                    },
                }, now);
                return false;
            case CommandType.CompleteWorkflowExecution:
                var cronRunId = NextCronRunId(run);
                run.History.Append(new HistoryEvent
                {
                    EventType = EventType.WorkflowExecutionCompleted,
                    WorkflowExecutionCompletedEventAttributes = new WorkflowExecutionCompletedEventAttributes
                    {
                        Result = command.CompleteWorkflowExecutionCommandAttributes.Result,
                        WorkflowTaskCompletedEventId = completedEventId,
                        NewExecutionRunId = cronRunId ?? "",
                    },
                }, now);
                CloseRun(run, WorkflowExecutionStatus.Completed);
                StartCronRun(run, cronRunId, command.CompleteWorkflowExecutionCommandAttributes.Result, null);
                return false;
            case CommandType.FailWorkflowExecution:
                FailRun(run, command.FailWorkflowExecutionCommandAttributes.Failure, completedEventId);
                return false;
            case CommandType.CancelWorkflowExecution:
                run.History.Append(new HistoryEvent
                {
                    EventType = EventType.WorkflowExecutionCanceled,
                    WorkflowExecutionCanceledEventAttributes = new WorkflowExecutionCanceledEventAttributes
                    {
                        Details = command.CancelWorkflowExecutionCommandAttributes.Details,
                        WorkflowTaskCompletedEventId = completedEventId,
                    },
                }, now);
                CloseRun(run, WorkflowExecutionStatus.Canceled);
                return false;
            case CommandType.ContinueAsNewWorkflowExecution:
                ContinueAsNew(run, command.ContinueAsNewWorkflowExecutionCommandAttributes, completedEventId);
                return false;
            case CommandType.SignalExternalWorkflowExecution:
                SignalExternalWorkflow(run, command.SignalExternalWorkflowExecutionCommandAttributes, completedEventId);
                return false;
            case CommandType.RequestCancelExternalWorkflowExecution:
                RequestCancelExternalWorkflow(run, command.RequestCancelExternalWorkflowExecutionCommandAttributes, completedEventId, identity);
                return false;
            case CommandType.StartChildWorkflowExecution:
                StartChildWorkflow(run, command.StartChildWorkflowExecutionCommandAttributes, completedEventId, identity);
                return false;
            case CommandType.RecordMarker:
                var marker = command.RecordMarkerCommandAttributes;
                run.History.Append(new HistoryEvent
                {
                    EventType = EventType.MarkerRecorded,
                    MarkerRecordedEventAttributes = new MarkerRecordedEventAttributes
                    {
                        MarkerName = marker.MarkerName,
                        Details = { marker.Details },
                        Header = marker.Header,
                        Failure = marker.Failure,
                        WorkflowTaskCompletedEventId = completedEventId,
                    },
                }, now);
                return false;
            case CommandType.UpsertWorkflowSearchAttributes:
                var upsert = command.UpsertWorkflowSearchAttributesCommandAttributes.SearchAttributes ?? new SearchAttributes();
                Upsert(run.SearchAttributes.IndexedFields, upsert.IndexedFields);
                run.History.Append(new HistoryEvent
                {
                    EventType = EventType.UpsertWorkflowSearchAttributes,
                    UpsertWorkflowSearchAttributesEventAttributes = new UpsertWorkflowSearchAttributesEventAttributes
                    {
                        SearchAttributes = upsert,
                        WorkflowTaskCompletedEventId = completedEventId,
                    },
                }, now);
                return false;
            case CommandType.ModifyWorkflowProperties:
                var memo = command.ModifyWorkflowPropertiesCommandAttributes.UpsertedMemo ?? new Memo();
                Upsert(run.Memo.Fields, memo.Fields);
                run.History.Append(new HistoryEvent
                {
                    EventType = EventType.WorkflowPropertiesModified,
                    WorkflowPropertiesModifiedEventAttributes = new WorkflowPropertiesModifiedEventAttributes
                    {
                        UpsertedMemo = memo,
                        WorkflowTaskCompletedEventId = completedEventId,
                    },
                }, now);
                return false;
            default:
                throw RpcErrors.Internal($"Command {command.CommandType} passed validation but has no handler.");
        }
    }

    private void FailRun(WorkflowRun run, Failure failure, long completedEventId)
    {
        var retry = NextWorkflowRetry(run, failure, isTimeout: false);
        var attributes = new WorkflowExecutionFailedEventAttributes
        {
            Failure = failure,
            RetryState = retry.State,
            WorkflowTaskCompletedEventId = completedEventId,
        };
        var cronRunId = retry.Backoff is null ? NextCronRunId(run) : null;
        string? newRunId = retry.Backoff is null ? cronRunId : Guid.NewGuid().ToString();
        if (newRunId is not null)
        {
            attributes.NewExecutionRunId = newRunId;
        }
        run.History.Append(new HistoryEvent { EventType = EventType.WorkflowExecutionFailed, WorkflowExecutionFailedEventAttributes = attributes }, Clock.UtcNow);
        CloseRun(run, WorkflowExecutionStatus.Failed);
        if (retry.Backoff is not null)
        {
            StartRetryRun(run, newRunId!, retry.Backoff!.Value, failure);
        }
        StartCronRun(run, cronRunId, null, failure);
    }

    private void ContinueAsNew(WorkflowRun run, ContinueAsNewWorkflowExecutionCommandAttributes command, long completedEventId)
    {
        var old = run.Started;
        var newRunId = Guid.NewGuid().ToString();
        var workflowType = string.IsNullOrEmpty(command.WorkflowType?.Name) ? old.WorkflowType : command.WorkflowType;
        var taskQueue = string.IsNullOrEmpty(command.TaskQueue?.Name) ? old.TaskQueue : new TaskQueueMessage { Name = command.TaskQueue.Name, Kind = TaskQueueKind.Normal };
        var runTimeout = IsUnset(command.WorkflowRunTimeout) ? old.WorkflowRunTimeout : command.WorkflowRunTimeout;
        var taskTimeout = IsUnset(command.WorkflowTaskTimeout) ? old.WorkflowTaskTimeout : command.WorkflowTaskTimeout;
        var memo = command.Memo ?? run.Memo;
        var searchAttributes = command.SearchAttributes ?? run.SearchAttributes;
        var initiator = command.Initiator == ContinueAsNewInitiator.Unspecified ? ContinueAsNewInitiator.Workflow : command.Initiator;
        run.History.Append(new HistoryEvent
        {
            EventType = EventType.WorkflowExecutionContinuedAsNew,
            WorkflowExecutionContinuedAsNewEventAttributes = new WorkflowExecutionContinuedAsNewEventAttributes
            {
                NewExecutionRunId = newRunId,
                WorkflowType = workflowType,
                TaskQueue = taskQueue,
                Input = command.Input,
                WorkflowRunTimeout = runTimeout,
                WorkflowTaskTimeout = taskTimeout,
                WorkflowTaskCompletedEventId = completedEventId,
                BackoffStartInterval = command.BackoffStartInterval,
                Initiator = initiator,
                LastCompletionResult = command.LastCompletionResult,
                Header = command.Header,
                Memo = memo,
                SearchAttributes = searchAttributes,
            },
        }, Clock.UtcNow);
        CloseRun(run, WorkflowExecutionStatus.ContinuedAsNew);
        var started = new WorkflowExecutionStartedEventAttributes
        {
            WorkflowType = workflowType,
            TaskQueue = taskQueue,
            Input = command.Input,
            WorkflowExecutionTimeout = old.WorkflowExecutionTimeout,
            WorkflowRunTimeout = runTimeout,
            WorkflowTaskTimeout = taskTimeout,
            Identity = old.Identity,
            RetryPolicy = command.RetryPolicy is null ? old.RetryPolicy : WithRetryDefaults(command.RetryPolicy),
            Attempt = 1,
            WorkflowExecutionExpirationTime = old.WorkflowExecutionExpirationTime,
            Memo = memo,
            SearchAttributes = searchAttributes,
            Header = command.Header,
            ContinuedFailure = command.Failure,
            LastCompletionResult = command.LastCompletionResult,
            Initiator = initiator,
            FirstWorkflowTaskBackoff = command.BackoffStartInterval,

            // As in Temporal, the new run's schedule comes from the command only, and its first task waits only for the
            // command's backoff; the schedule applies when the new run closes.
            CronSchedule = command.CronSchedule,
        };
        var next = CreateRun(run.Namespace, run.WorkflowId, newRunId, Guid.NewGuid().ToString(), started, run);
        run.NextRunId = next.RunId;
    }

    public RespondWorkflowTaskFailedResponse RespondWorkflowTaskFailed(RespondWorkflowTaskFailedRequest request)
    {
        lock (_gate)
        {
            var (run, task) = GetStartedWorkflowTask(request.TaskToken, request.Namespace);
            using (Track(run))
            {
                FailWorkflowTask(run, task, request.Cause, request.Failure, request.Identity);
            }
            return new RespondWorkflowTaskFailedResponse();
        }
    }

    /// <summary>
    /// Writes WorkflowTaskFailed (not for a transient attempt: Temporal records only the first failure) and schedules
    /// the next attempt on the normal queue.
    /// </summary>
    private void FailWorkflowTask(WorkflowRun run, WorkflowTaskState task, WorkflowTaskFailedCause cause, Failure? failure, string identity)
    {
        task.Timeout?.Cancel();
        if (!task.IsTransient)
        {
            run.History.Append(new HistoryEvent
            {
                EventType = EventType.WorkflowTaskFailed,
                WorkflowTaskFailedEventAttributes = new WorkflowTaskFailedEventAttributes
                {
                    ScheduledEventId = task.ScheduledEventId,
                    StartedEventId = task.StartedEventId,
                    Cause = cause,
                    Failure = failure,
                    Identity = identity,
                },
            }, Clock.UtcNow);
        }
        RetryWorkflowTask(run, task);
    }

    private void WorkflowTaskTimedOut(WorkflowRun run, WorkflowTaskState task)
    {
        if (run.WorkflowTask != task || !task.IsStarted)
        {
            return;
        }
        if (!task.IsTransient)
        {
            run.History.Append(new HistoryEvent
            {
                EventType = EventType.WorkflowTaskTimedOut,
                WorkflowTaskTimedOutEventAttributes = new WorkflowTaskTimedOutEventAttributes
                {
                    ScheduledEventId = task.ScheduledEventId,
                    StartedEventId = task.StartedEventId,
                    TimeoutType = TimeoutType.StartToClose,
                },
            }, Clock.UtcNow);
        }
        RetryWorkflowTask(run, task);
    }

    /// <summary>
    /// Schedules the next attempt at once. As in Temporal, it is a normal first attempt again when the run was sticky
    /// (stickiness is cleared and the task tried once more on the normal queue) or when events arrived meanwhile
    /// (they are written first); otherwise the attempt count grows and the attempt is transient.
    /// </summary>
    private void RetryWorkflowTask(WorkflowRun run, WorkflowTaskState task)
    {
        var wasSticky = run.StickyQueue is not null;
        var newEvents = run.HasBufferedEvents;
        run.WorkflowTask = null;
        run.StickyQueue = null;
        run.FlushBuffer(Clock.UtcNow);
        foreach (var update in run.PendingUpdates)
        {
            // The failed task's updates go out again with the next attempt.
            update.IsSent = false;
        }
        ScheduleWorkflowTask(run, wasSticky || newEvents ? 1 : task.Attempt + 1);
    }

    public ShutdownWorkerResponse ShutdownWorker(ShutdownWorkerRequest request)
    {
        lock (_gate)
        {
            var ns = GetNamespace(request.Namespace);
            if (string.IsNullOrEmpty(request.StickyTaskQueue))
            {
                return new ShutdownWorkerResponse();
            }
            _shutDownStickyQueues.Add((ns.Name, request.StickyTaskQueue));
            if (_workflowQueues.Remove((ns.Name, request.StickyTaskQueue), out var queue))
            {
                foreach (var run in queue.Drain())
                {
                    if (run.WorkflowTask is { } task)
                    {
                        using (Track(run))
                        {
                            StickyTaskNotPickedUp(run, task);
                        }
                    }
                }
            }
            return new ShutdownWorkerResponse();
        }
    }

    public ResetStickyTaskQueueResponse ResetStickyTaskQueue(ResetStickyTaskQueueRequest request)
    {
        lock (_gate)
        {
            var ns = GetNamespace(request.Namespace);
            var run = GetRun(ns, request.Execution?.WorkflowId ?? "", request.Execution?.RunId);
            run.StickyQueue = null;
            return new ResetStickyTaskQueueResponse();
        }
    }

    // Search attributes and memo are upserted the same way: an empty payload removes the key.
    private static void Upsert(MapField<string, Payload> target, MapField<string, Payload> changes)
    {
        foreach (var (key, value) in changes)
        {
            if (value.Data.IsEmpty)
            {
                target.Remove(key);
            }
            else
            {
                target[key] = value;
            }
        }
    }
}
