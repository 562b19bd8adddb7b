using Estuary.DevServer.Grpc;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;
using TaskQueueMessage = Temporalio.Api.TaskQueue.V1.TaskQueue;

namespace Estuary.DevServer.Runs.Lifecycles;

/// <summary>
/// The workflow task of a run: at most one at a time, Scheduled on the normal or the run's sticky queue, then
/// Started by a poll, then Completed, Failed or TimedOut — after which the next attempt is scheduled at once.
/// <list type="bullet">
/// <item>Scheduled, on a poll → WorkflowTaskStarted, start-to-close timeout armed; a sticky task not picked up in
/// time → WorkflowTaskTimedOut (schedule-to-start), scheduled again on the normal queue.</item>
/// <item>Started, on completion → WorkflowTaskCompleted (the run then applies the commands); on failure or timeout →
/// WorkflowTaskFailed / WorkflowTaskTimedOut and a retry.</item>
/// <item>A retry (attempt 2 and later) is transient and a task scheduled only for updates is speculative, as in
/// Temporal: their Scheduled/Started events go to the worker but not to the history until something makes them
/// stay, so a task that keeps failing does not grow the history and a task that only rejects updates leaves no trace.</item>
/// </list>
/// </summary>
internal sealed class WorkflowTaskLifecycle(WorkflowRun run)
{
    private static readonly TimeSpan DefaultStickyScheduleToStartTimeout = TimeSpan.FromSeconds(5);
    private const int RetryBackoffMinAttempts = 3;
    private const int FailFastAttempt = 3;
    private static readonly TimeSpan RetryInitialInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryMaxInterval = TimeSpan.FromMinutes(10);

    /// <summary>The scheduled or started task, or null.</summary>
    public WorkflowTask? Current { get; private set; }

    /// <summary>Started event id of the last completed task; sticky tasks carry history after it.</summary>
    public long PreviousStartedEventId { get; private set; }

    /// <summary>How many tasks completed (the first one carries SDK metadata; queries need at least one).</summary>
    public int CompletedCount { get; private set; }

    /// <summary>The sticky queue of the worker that completed the last task, or null.</summary>
    public string? StickyQueue { get; set; }

    public TimeSpan StickyScheduleToStartTimeout { get; set; } = DefaultStickyScheduleToStartTimeout;

    /// <summary>After a restore: a transient or speculative task that was pending but is not in the history.</summary>
    public (int Attempt, bool Speculative)? HeldTask { get; set; }

    public bool HasHeldTask => HeldTask is not null;

    /// <summary>Schedules a task unless one is already pending (its history will include the new events).</summary>
    public void ScheduleIfIdle(bool speculative = false)
    {
        // A cron run waits for its scheduled time whatever arrives meanwhile (Temporal buffers such signals too).
        var waitsForCron = run.WaitsForFirstTask && !string.IsNullOrEmpty(run.Started.CronSchedule);
        if (run.IsRunning && Current is null && !run.ApplyingCommands && !waitsForCron)
        {
            run.EndStartBackoff();
            Schedule(1, speculative);
        }
    }

    /// <summary>
    /// Schedules a task. Attempt 2 and later (a retry of a failed or timed-out task) is transient.
    /// </summary>
    /// <param name="attempt">1, or the attempt of a retry.</param>
    /// <param name="speculative">A task scheduled only to deliver updates.</param>
    /// <param name="dispatch">False when the caller starts the task itself (eager start) or queues it later.</param>
    public void Schedule(int attempt, bool speculative = false, bool dispatch = true)
    {
        if (!run.IsRunning || Current is not null)
        {
            return;
        }
        var now = run.Now;
        if (StickyQueue is { } sticky && (run.Services.IsShutDown(run.Namespace.Name, sticky) || !run.Services.MayStaySticky(run)))
        {
            StickyQueue = null;
        }
        var isSticky = StickyQueue is not null;
        var queueName = StickyQueue ?? run.TaskQueue;
        var transient = attempt > 1 && !speculative;
        var timeout = StartToCloseTimeout(attempt);
        var scheduled = ScheduledEvent(queueName, isSticky, attempt, timeout);
        if (speculative || transient)
        {
            Hold(scheduled, run.History.NextEventId, now);
        }
        else
        {
            run.History.Append(scheduled, now);
        }
        var task = new WorkflowTask
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
        Current = task;
        if (speculative || transient)
        {
            task.HeldEvents.Add(scheduled);
        }
        if (speculative)
        {
            run.History.BeforeAppend = () => PersistHeldEvents(task);
        }
        if (isSticky)
        {
            task.Timeout = run.Arm(now + StickyScheduleToStartTimeout, () => StickyNotPickedUp(task));
        }
        if (dispatch)
        {
            run.Services.Enqueue(run, queueName);
        }
    }

    /// <summary>Queues the scheduled task a caller held back (see <see cref="Schedule"/>'s dispatch).</summary>
    public void Dispatch()
    {
        if (run.IsRunning && Current is { IsStarted: false } task)
        {
            run.Services.Enqueue(run, task.QueueName);
        }
    }

    private HistoryEvent ScheduledEvent(string queueName, bool isSticky, int attempt, TimeSpan timeout) => new()
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
    private TimeSpan StartToCloseTimeout(int attempt)
    {
        if (attempt <= RetryBackoffMinAttempts)
        {
            return run.WorkflowTaskTimeout;
        }
        var backoff = RetryInitialInterval.TotalSeconds * Math.Pow(2, Math.Min(attempt - RetryBackoffMinAttempts - 1, 30));
        return run.WorkflowTaskTimeout + TimeSpan.FromSeconds(Math.Min(backoff, RetryMaxInterval.TotalSeconds));
    }

    /// <summary>
    /// Temporal fails queries and updates fast once a run's workflow task has failed twice in a row (attempt 3 on): the
    /// worker would not answer them before the task is fixed.
    /// </summary>
    public void ThrowIfFailing(string message)
    {
        if (run.IsRunning && Current is { Attempt: >= FailFastAttempt })
        {
            throw RpcErrors.WithDetail(global::Grpc.Core.StatusCode.FailedPrecondition, message, new Temporalio.Api.ErrorDetails.V1.WorkflowNotReadyFailure());
        }
    }

    /// <summary>A sticky task nobody picked up in time (or whose worker shut down) moves to the normal queue.</summary>
    public void StickyNotPickedUp(WorkflowTask task)
    {
        if (Current != task || task.IsStarted)
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
        }, run.Now);
        Current = null;
        StickyQueue = null;
        Schedule(task.Attempt);
    }

    /// <summary>Starts the task scheduled on <paramref name="queueName"/> for a poll; null when there is none (stale queue entry).</summary>
    public PollWorkflowTaskQueueResponse? StartFromQueue(string queueName, string identity)
    {
        if (!run.IsRunning || Current is not { IsStarted: false } task || task.QueueName != queueName)
        {
            return null;
        }
        return Start(task, identity, Guid.NewGuid().ToString());
    }

    /// <summary>
    /// Starts a scheduled task for a worker (a poll, or the starter of an eager start): writes (or holds)
    /// WorkflowTaskStarted, arms the start-to-close timeout and builds what the worker gets.
    /// </summary>
    public PollWorkflowTaskQueueResponse Start(WorkflowTask task, string identity, string requestId)
    {
        var now = run.Now;
        task.Timeout?.Cancel();
        if (task.IsTransient && task.ScheduledEventId != run.History.NextEventId)
        {
            // Events arrived since the retry was scheduled: like Temporal, it becomes a normal first attempt written after them.
            task.IsTransient = false;
            task.Attempt = 1;
            task.HeldEvents.Clear();
            task.ScheduledEventId = run.History.Append(ScheduledEvent(task.QueueName, task.IsSticky, 1, task.StartToCloseTimeout), now).EventId;
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
            Hold(started, task.ScheduledEventId + 1, now);
            task.HeldEvents.Add(started);
        }
        else
        {
            run.History.Append(started, now);
        }
        task.StartedEventId = started.EventId;
        task.StartedTime = now;
        ArmStartToClose(task);

        var history = new Temporalio.Api.History.V1.History();
        var events = run.History.Events;
        var from = task.IsSticky ? (int)PreviousStartedEventId : 0;
        for (var i = from; i < events.Count; i++)
        {
            history.Events.Add(events[i]);
        }
        history.Events.AddRange(task.HeldEvents);
        var response = Response(task, history);
        UpdateLifecycle.Attach(run, task.StartedEventId, response);
        return response;
    }

    private void ArmStartToClose(WorkflowTask task) =>
        task.Timeout = run.Arm(task.StartedTime + task.StartToCloseTimeout, () => TimedOut(task));

    /// <summary>What a worker gets for a started task.</summary>
    public PollWorkflowTaskQueueResponse Response(WorkflowTask task, Temporalio.Api.History.V1.History history) => new()
    {
        TaskToken = new TaskToken(run.Namespace.Name, run.WorkflowId, run.RunId, task.ScheduledEventId, task.Attempt, task.RequestId!).ToByteString(),
        WorkflowExecution = run.ToExecution(),
        WorkflowType = run.Started.WorkflowType,
        PreviousStartedEventId = PreviousStartedEventId,
        StartedEventId = task.StartedEventId,
        Attempt = task.Attempt,
        History = history,
        WorkflowExecutionTaskQueue = run.Started.TaskQueue,
        ScheduledTime = Timestamp.FromDateTime(task.ScheduledTime),
        StartedTime = Timestamp.FromDateTime(task.StartedTime),
    };

    /// <summary>The started task a worker's token names, or null when it is not (or no longer) in the worker's hands.</summary>
    public WorkflowTask? Find(TaskToken token) =>
        run.IsRunning && Current is { IsStarted: true } task && task.ScheduledEventId == token.ScheduledEventId && task.RequestId == token.RequestId
            ? task
            : null;

    /// <summary>Started → completed: writes WorkflowTaskCompleted (after a transient task's held events) and takes the worker's stickiness.</summary>
    public HistoryEvent Complete(WorkflowTask task, RespondWorkflowTaskCompletedRequest request)
    {
        task.Timeout?.Cancel();
        if (task.IsTransient)
        {
            PersistHeldEvents(task);
        }
        var attributes = new WorkflowTaskCompletedEventAttributes
        {
            ScheduledEventId = task.ScheduledEventId,
            StartedEventId = task.StartedEventId,
            Identity = request.Identity,
            SdkMetadata = request.SdkMetadata,
            MeteringMetadata = request.MeteringMetadata,
        };
        WorkerVersioning.Stamp(attributes, request);
        var completed = run.History.Append(new HistoryEvent
        {
            EventType = EventType.WorkflowTaskCompleted,
            WorkflowTaskCompletedEventAttributes = attributes,
        }, run.Now);
        run.ApplyVersioning(completed);
        Current = null;
        PreviousStartedEventId = task.StartedEventId;
        CompletedCount++;
        ApplyStickiness(request);
        return completed;
    }

    /// <summary>A speculative task that only rejected updates is dropped: nothing is written.</summary>
    public void Discard(WorkflowTask task, RespondWorkflowTaskCompletedRequest request)
    {
        task.Timeout?.Cancel();
        run.History.BeforeAppend = null;
        Current = null;
        ApplyStickiness(request);
    }

    private void ApplyStickiness(RespondWorkflowTaskCompletedRequest request)
    {
        if (request.StickyAttributes?.WorkerTaskQueue?.Name is { Length: > 0 } sticky
            && !run.Services.IsShutDown(run.Namespace.Name, sticky))
        {
            StickyQueue = sticky;
            var timeout = request.StickyAttributes.ScheduleToStartTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
            StickyScheduleToStartTimeout = timeout > TimeSpan.Zero ? timeout : DefaultStickyScheduleToStartTimeout;
        }
        else
        {
            StickyQueue = null;
        }
    }

    /// <summary>
    /// Started → failed: writes WorkflowTaskFailed (not for a transient attempt: Temporal records only the first
    /// failure) and schedules the next attempt.
    /// </summary>
    public void Fail(WorkflowTask task, WorkflowTaskFailedCause cause, Failure? failure, string identity)
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
            }, run.Now);
        }
        Retry(task);
    }

    /// <summary>Started, past its start-to-close timeout → WorkflowTaskTimedOut (not for a transient attempt) and a retry.</summary>
    public void TimedOut(WorkflowTask task)
    {
        if (Current != task || !task.IsStarted)
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
            }, run.Now);
        }
        Retry(task);
    }

    /// <summary>
    /// Schedules the next attempt at once. As in Temporal, it is a normal first attempt again when the run was sticky
    /// (stickiness is cleared and the task tried once more on the normal queue) or when events arrived meanwhile
    /// (they are written first); otherwise the attempt count grows and the attempt is transient.
    /// </summary>
    private void Retry(WorkflowTask task)
    {
        var wasSticky = StickyQueue is not null;
        var newEvents = run.HasBufferedEvents;
        Current = null;
        StickyQueue = null;
        run.FlushBuffer();
        UpdateLifecycle.Resend(run);
        Schedule(wasSticky || newEvents ? 1 : task.Attempt + 1);
    }

    /// <summary>The run closed: nothing is pending any more.</summary>
    public void Clear()
    {
        Current?.Timeout?.Cancel();
        Current = null;
        run.History.BeforeAppend = null;
    }

    /// <summary>Gives an event of a speculative or transient task the id and time it will have if it is written.</summary>
    private static void Hold(HistoryEvent evt, long eventId, DateTime now)
    {
        evt.EventId = eventId;
        evt.TaskId = eventId;
        evt.EventTime = Timestamp.FromDateTime(now);
    }

    /// <summary>Writes a speculative or transient task's events (with the ids and times the worker saw): the task is a normal one from now on.</summary>
    public void PersistHeldEvents(WorkflowTask task)
    {
        if (Current != task || !(task.IsSpeculative || task.IsTransient))
        {
            return;
        }
        task.IsSpeculative = false;
        task.IsTransient = false;
        foreach (var evt in task.HeldEvents)
        {
            run.History.Append(evt, evt.EventTime.ToDateTime());
        }
        task.HeldEvents.Clear();
    }

    /// <summary>The state change a workflow task event stands for (replay).</summary>
    public void Apply(HistoryEvent evt)
    {
        var time = evt.EventTime.ToDateTime();
        switch (evt.EventType)
        {
            case EventType.WorkflowTaskScheduled:
                var scheduled = evt.WorkflowTaskScheduledEventAttributes;
                var isSticky = scheduled.TaskQueue?.Kind == TaskQueueKind.Sticky;
                Current = new WorkflowTask
                {
                    ScheduledEventId = evt.EventId,
                    Attempt = scheduled.Attempt,
                    StartToCloseTimeout = scheduled.StartToCloseTimeout?.ToTimeSpan() ?? run.WorkflowTaskTimeout,
                    QueueName = scheduled.TaskQueue?.Name ?? run.TaskQueue,
                    IsSticky = isSticky,
                    ScheduledTime = time,
                };
                StickyQueue = isSticky ? scheduled.TaskQueue!.Name : null;
                break;
            case EventType.WorkflowTaskStarted when Current is { } task:
                task.StartedEventId = evt.EventId;
                task.StartedTime = time;
                task.RequestId = evt.WorkflowTaskStartedEventAttributes.RequestId;
                break;
            case EventType.WorkflowTaskCompleted:
                Current = null;
                PreviousStartedEventId = evt.WorkflowTaskCompletedEventAttributes.StartedEventId;
                CompletedCount++;
                break;
            case EventType.WorkflowTaskFailed:
            case EventType.WorkflowTaskTimedOut:
                Current = null;
                StickyQueue = null;
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// After a restore: arms the pending task's timeout and queues it, or schedules the retry or speculative task that
    /// was pending outside the history, or a task for events and updates that wait for one.
    /// </summary>
    public void Resume(bool firstTaskPending)
    {
        if (Current is { } task)
        {
            if (task.IsStarted)
            {
                ArmStartToClose(task);
                return;
            }
            if (task.IsSticky)
            {
                task.Timeout = run.Arm(task.ScheduledTime + StickyScheduleToStartTimeout, () => StickyNotPickedUp(task));
            }
            run.Services.Enqueue(run, task.QueueName);
            return;
        }
        // No task in a worker's hands: what was buffered behind one goes into the history now.
        var newEvents = run.HasBufferedEvents;
        run.FlushBuffer();
        if (HeldTask is { } held)
        {
            HeldTask = null;
            if (held.Speculative && !newEvents)
            {
                Schedule(1, speculative: true);
            }
            else
            {
                Schedule(newEvents ? 1 : held.Attempt);
            }
            return;
        }
        if (!firstTaskPending && (newEvents || run.PendingUpdates.Count > 0))
        {
            Schedule(1, speculative: !newEvents && CompletedCount > 0);
        }
    }
}

/// <summary>One scheduled (and maybe started) workflow task.</summary>
internal sealed class WorkflowTask
{
    /// <summary>For a transient or speculative task not written yet: the id its scheduled event will get.</summary>
    public required long ScheduledEventId { get; set; }

    public required int Attempt { get; set; }

    /// <summary>Start-to-close timeout of this attempt (Temporal lengthens it after repeated failures).</summary>
    public required TimeSpan StartToCloseTimeout { get; init; }

    /// <summary>Queue the task was scheduled on (the sticky queue name when sticky).</summary>
    public required string QueueName { get; init; }

    public required bool IsSticky { get; init; }

    public required DateTime ScheduledTime { get; init; }

    public bool IsStarted => StartedEventId > 0;

    public long StartedEventId { get; set; }

    public DateTime StartedTime { get; set; }

    public string? RequestId { get; set; }

    /// <summary>Scheduled only to deliver updates (see <see cref="WorkflowTaskLifecycle"/>).</summary>
    public bool IsSpeculative { get; set; }

    /// <summary>A retry (attempt 2 and later) of a failed or timed-out task (see <see cref="WorkflowTaskLifecycle"/>).</summary>
    public bool IsTransient { get; set; }

    /// <summary>The Scheduled (and, once started, Started) event of a speculative or transient task, not yet in the history.</summary>
    public List<HistoryEvent> HeldEvents { get; } = [];

    /// <summary>Sticky schedule-to-start timeout, or start-to-close once started.</summary>
    public Time.ScheduledTimer? Timeout { get; set; }
}
