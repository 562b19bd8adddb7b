using Estuary.DevServer.Time;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Api.WorkflowService.V1;
using TaskQueueMessage = Temporalio.Api.TaskQueue.V1.TaskQueue;

namespace Estuary.DevServer.Runs.Lifecycles;

/// <summary>Where an activity is in its lifecycle.</summary>
internal enum ActivityStatus
{
    /// <summary>In a task queue, waiting for a poll.</summary>
    Scheduled,

    /// <summary>Handed to a worker.</summary>
    Started,

    /// <summary>Waiting for the retry backoff to elapse.</summary>
    Backoff,
}

/// <summary>
/// One scheduled activity of a run, across its attempts. Scheduled (ActivityTaskScheduled written) → Started by a
/// poll → on completion, a failure that is not retried, cancellation or a timeout: ActivityTaskStarted plus the
/// terminal event, and the workflow gets a task. A failure or start-to-close/heartbeat timeout that the retry policy
/// retries writes nothing: Backoff, then Scheduled again with the next attempt. Schedule-to-close bounds it all.
/// Attempts, heartbeats and the last failure are not in the history; the run's record keeps them.
/// </summary>
internal sealed class ActivityLifecycle
{
    private ActivityLifecycle(WorkflowRun run, long scheduledEventId, ActivityTaskScheduledEventAttributes attributes, DateTime scheduledTime)
    {
        Run = run;
        ScheduledEventId = scheduledEventId;
        Attributes = attributes;
        Options = attributes;
        ScheduledTime = scheduledTime;
        CurrentAttemptScheduledTime = scheduledTime;
    }

    public WorkflowRun Run { get; }

    public long ScheduledEventId { get; }

    public ActivityTaskScheduledEventAttributes Attributes { get; }

    /// <summary>
    /// The options in force: those of the scheduled event until an operator changes them (UpdateActivityOptions); the
    /// event itself never changes.
    /// </summary>
    public ActivityTaskScheduledEventAttributes Options { get; set; }

    public RetryPolicy RetryPolicy => Options.RetryPolicy;

    /// <summary>The priority the activity runs with: its command's, unset fields inherited from its workflow.</summary>
    public Priority? Priority => Priorities.Merge(Run.Started.Priority, Options.Priority);

    public DateTime ScheduledTime { get; }

    public ActivityStatus Status { get; set; } = ActivityStatus.Scheduled;

    public int Attempt { get; set; } = 1;

    /// <summary>Bumped on every dispatch so stale backlog entries and late timers are recognised.</summary>
    public int DispatchVersion { get; private set; }

    public DateTime CurrentAttemptScheduledTime { get; set; }

    public DateTime StartedTime { get; set; }

    public string StartedIdentity { get; set; } = "";

    public string StartedRequestId { get; set; } = "";

    public Payloads? HeartbeatDetails { get; set; }

    public DateTime? LastHeartbeatTime { get; set; }

    public Failure? LastFailure { get; set; }

    public string LastWorkerIdentity { get; set; } = "";

    /// <summary>When a retry backoff ends (Backoff only).</summary>
    public DateTime BackoffUntil { get; set; }

    public bool CancelRequested { get; set; }

    /// <summary>Paused by an operator (PauseActivity): no attempt is dispatched until it is unpaused.</summary>
    public bool Paused { get; set; }

    /// <summary>When and by whom it was paused, and why.</summary>
    public (DateTime Time, string Identity, string Reason) PauseInfo { get; set; }

    /// <summary>Reset by an operator while an attempt ran: the attempt learns it from its heartbeat, and its retry starts at attempt 1.</summary>
    public bool ResetRequested { get; set; }

    /// <summary>When the last attempt ended (a failure or timeout that is retried).</summary>
    public DateTime? LastAttemptCompleteTime { get; set; }

    /// <summary>The backoff before the next attempt, while it waits for it.</summary>
    public TimeSpan CurrentRetryInterval { get; set; }

    public long CancelRequestedEventId { get; set; }

    private ScheduledTimer? _scheduleToClose;

    /// <summary>The timer of the current phase: schedule-to-start, start-to-close or backoff.</summary>
    private ScheduledTimer? _phaseTimer;

    private ScheduledTimer? _heartbeatTimer;

    public bool IsOutstanding => Status is ActivityStatus.Scheduled or ActivityStatus.Started;

    /// <summary>
    /// A ScheduleActivityTask command: writes ActivityTaskScheduled with Temporal's default timeouts and retry policy
    /// and arms schedule-to-close. The caller dispatches it (queue, or eager in the completion response).
    /// </summary>
    public static ActivityLifecycle Schedule(WorkflowRun run, ScheduleActivityTaskCommandAttributes command, long completedEventId)
    {
        var runTimeout = run.Started.WorkflowRunTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
        var scheduleToClose = command.ScheduleToCloseTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
        if (scheduleToClose <= TimeSpan.Zero || (runTimeout > TimeSpan.Zero && scheduleToClose > runTimeout))
        {
            scheduleToClose = runTimeout;
        }
        var scheduleToStart = Bounded(command.ScheduleToStartTimeout?.ToTimeSpan() ?? TimeSpan.Zero, scheduleToClose);
        var startToClose = Bounded(command.StartToCloseTimeout?.ToTimeSpan() ?? TimeSpan.Zero, scheduleToClose);
        var heartbeat = Bounded(command.HeartbeatTimeout?.ToTimeSpan() ?? TimeSpan.Zero, startToClose);
        var attributes = new ActivityTaskScheduledEventAttributes
        {
            ActivityId = command.ActivityId,
            ActivityType = command.ActivityType,
            TaskQueue = string.IsNullOrEmpty(command.TaskQueue?.Name) ? run.Started.TaskQueue : new TaskQueueMessage { Name = command.TaskQueue.Name, Kind = TaskQueueKind.Normal },
            Header = command.Header,
            Input = command.Input,
            ScheduleToCloseTimeout = ToDuration(scheduleToClose),
            ScheduleToStartTimeout = ToDuration(scheduleToStart),
            StartToCloseTimeout = ToDuration(startToClose),
            HeartbeatTimeout = ToDuration(heartbeat),
            WorkflowTaskCompletedEventId = completedEventId,
            RetryPolicy = RetryPolicies.WithDefaults(command.RetryPolicy),
            Priority = command.Priority,
        };
        var scheduled = run.History.Append(new HistoryEvent { EventType = EventType.ActivityTaskScheduled, ActivityTaskScheduledEventAttributes = attributes }, run.Now);
        var activity = FromScheduled(run, scheduled);
        activity.ArmScheduleToClose();
        return activity;
    }

    /// <summary>The activity an ActivityTaskScheduled event stands for, at its first attempt (replay).</summary>
    public static ActivityLifecycle FromScheduled(WorkflowRun run, HistoryEvent scheduled) =>
        new(run, scheduled.EventId, scheduled.ActivityTaskScheduledEventAttributes, scheduled.EventTime.ToDateTime());

    /// <summary>A timeout unset (zero) means "as long as the enclosing one"; it never exceeds it.</summary>
    private static TimeSpan Bounded(TimeSpan value, TimeSpan bound) =>
        bound > TimeSpan.Zero && (value <= TimeSpan.Zero || value > bound) ? bound : value;

    private static Duration? ToDuration(TimeSpan value) => value > TimeSpan.Zero ? Duration.FromTimeSpan(value) : null;

    private static TimeSpan Timeout(Duration? value) => value?.ToTimeSpan() ?? TimeSpan.Zero;

    private void ArmScheduleToClose()
    {
        var scheduleToClose = Timeout(Options.ScheduleToCloseTimeout);
        if (scheduleToClose > TimeSpan.Zero)
        {
            _scheduleToClose = Run.Arm(ScheduledTime + scheduleToClose, () => OnTimeout(TimeoutType.ScheduleToClose));
        }
    }

    /// <summary>Eager dispatch: the worker that completed the workflow task runs the first attempt at once.</summary>
    public PollActivityTaskQueueResponse? StartEagerly(string identity)
    {
        DispatchVersion++;
        CurrentAttemptScheduledTime = Run.Now;
        return Start(identity);
    }

    /// <summary>→ Scheduled: arms schedule-to-start and queues the activity.</summary>
    public void Dispatch()
    {
        Status = ActivityStatus.Scheduled;
        DispatchVersion++;
        CurrentAttemptScheduledTime = Run.Now;
        _phaseTimer?.Cancel();
        _phaseTimer = null;
        ArmScheduleToStart();
        Run.Services.Enqueue(this);
    }

    private void ArmScheduleToStart()
    {
        var scheduleToStart = Timeout(Options.ScheduleToStartTimeout);
        var scheduleToClose = Timeout(Options.ScheduleToCloseTimeout);
        if (scheduleToStart > TimeSpan.Zero && (scheduleToClose <= TimeSpan.Zero || scheduleToStart < scheduleToClose))
        {
            var version = DispatchVersion;
            _phaseTimer = Run.Arm(CurrentAttemptScheduledTime + scheduleToStart, () =>
            {
                if (DispatchVersion == version && Status == ActivityStatus.Scheduled)
                {
                    OnTimeout(TimeoutType.ScheduleToStart);
                }
            });
        }
    }

    /// <summary>Whether this is still one of the run's pending activities.</summary>
    public bool IsLive => Run.IsRunning && Run.Activities.TryGetValue(ScheduledEventId, out var current) && current == this;

    /// <summary>Scheduled → Started for a poll: arms start-to-close and heartbeat and builds the worker's task; null when stale.</summary>
    public PollActivityTaskQueueResponse? Start(string identity)
    {
        if (Status != ActivityStatus.Scheduled || Paused || !IsLive)
        {
            return null;
        }
        Status = ActivityStatus.Started;
        StartedTime = Run.Now;
        StartedIdentity = identity;
        StartedRequestId = Guid.NewGuid().ToString();
        LastHeartbeatTime = null;
        _phaseTimer?.Cancel();
        ArmStartToClose();
        ArmHeartbeat();
        return new PollActivityTaskQueueResponse
        {
            TaskToken = Token.ToByteString(),
            WorkflowNamespace = Run.Namespace.Name,
            WorkflowType = Run.Started.WorkflowType,
            WorkflowExecution = Run.ToExecution(),
            ActivityType = Attributes.ActivityType,
            ActivityId = Attributes.ActivityId,
            Header = Attributes.Header,
            Input = Attributes.Input,
            HeartbeatDetails = HeartbeatDetails,
            ScheduledTime = Timestamp.FromDateTime(ScheduledTime),
            CurrentAttemptScheduledTime = Timestamp.FromDateTime(CurrentAttemptScheduledTime),
            StartedTime = Timestamp.FromDateTime(StartedTime),
            Attempt = Attempt,
            ScheduleToCloseTimeout = Options.ScheduleToCloseTimeout,
            StartToCloseTimeout = Options.StartToCloseTimeout,
            HeartbeatTimeout = Options.HeartbeatTimeout,
            RetryPolicy = RetryPolicy,
            Priority = Priority,
        };
    }

    public TaskToken Token => new(Run.Namespace.Name, Run.WorkflowId, Run.RunId, ScheduledEventId, Attempt);

    private void ArmStartToClose()
    {
        var startToClose = Timeout(Options.StartToCloseTimeout);
        if (startToClose > TimeSpan.Zero)
        {
            var version = DispatchVersion;
            _phaseTimer = Run.Arm(StartedTime + startToClose, () =>
            {
                if (DispatchVersion == version && Status == ActivityStatus.Started)
                {
                    OnTimeout(TimeoutType.StartToClose);
                }
            });
        }
    }

    private void ArmHeartbeat()
    {
        _heartbeatTimer?.Cancel();
        var heartbeat = Timeout(Options.HeartbeatTimeout);
        if (heartbeat <= TimeSpan.Zero)
        {
            return;
        }
        var version = DispatchVersion;
        _heartbeatTimer = Run.Arm((LastHeartbeatTime ?? StartedTime) + heartbeat, () =>
        {
            if (DispatchVersion == version && Status == ActivityStatus.Started)
            {
                OnTimeout(TimeoutType.Heartbeat);
            }
        });
    }

    /// <summary>Started, on a heartbeat: keeps the details for the next attempt and re-arms the heartbeat timeout.</summary>
    public void Heartbeat(Payloads? details)
    {
        if (details is not null)
        {
            HeartbeatDetails = details;
        }
        LastHeartbeatTime = Run.Now;
        ArmHeartbeat();
    }

    /// <summary>Started, on completion → ActivityTaskStarted + ActivityTaskCompleted.</summary>
    public void Complete(Payloads? result, string identity) =>
        Close(identity, true, new HistoryEvent
        {
            EventType = EventType.ActivityTaskCompleted,
            ActivityTaskCompletedEventAttributes = new ActivityTaskCompletedEventAttributes
            {
                Result = result,
                ScheduledEventId = ScheduledEventId,
                StartedEventId = -1,
                Identity = identity,
            },
        });

    /// <summary>Started, on failure → Backoff when the retry policy allows another attempt, else ActivityTaskFailed.</summary>
    public void Fail(Failure failure, Payloads? lastHeartbeatDetails, string identity)
    {
        if (lastHeartbeatDetails is not null)
        {
            HeartbeatDetails = lastHeartbeatDetails;
        }
        LastWorkerIdentity = identity;
        var decision = RetryPolicies.Decide(RetryPolicy, ResetRequested ? 1 : Attempt, failure, RemainingScheduleToClose());
        if (decision.Backoff is { } backoff)
        {
            Retry(failure, backoff);
            return;
        }
        Close(identity, true, new HistoryEvent
        {
            EventType = EventType.ActivityTaskFailed,
            ActivityTaskFailedEventAttributes = new ActivityTaskFailedEventAttributes
            {
                Failure = failure,
                ScheduledEventId = ScheduledEventId,
                StartedEventId = -1,
                Identity = identity,
                RetryState = decision.State,
            },
        });
    }

    /// <summary>Started (or, on a cancel request, not started yet) → ActivityTaskCanceled.</summary>
    public void Cancel(Payloads? details, string identity) =>
        Close(identity, Status == ActivityStatus.Started, new HistoryEvent
        {
            EventType = EventType.ActivityTaskCanceled,
            ActivityTaskCanceledEventAttributes = new ActivityTaskCanceledEventAttributes
            {
                Details = details,
                LatestCancelRequestedEventId = CancelRequestedEventId,
                ScheduledEventId = ScheduledEventId,
                StartedEventId = -1,
                Identity = identity,
            },
        });

    /// <summary>
    /// A RequestCancelActivityTask command: writes ActivityTaskCancelRequested; an activity not started is cancelled at
    /// once (returns true), a started one learns it from its next heartbeat response.
    /// </summary>
    public bool RequestCancel(long completedEventId)
    {
        var requested = Run.History.Append(new HistoryEvent
        {
            EventType = EventType.ActivityTaskCancelRequested,
            ActivityTaskCancelRequestedEventAttributes = new ActivityTaskCancelRequestedEventAttributes
            {
                ScheduledEventId = ScheduledEventId,
                WorkflowTaskCompletedEventId = completedEventId,
            },
        }, Run.Now);
        CancelRequested = true;
        CancelRequestedEventId = requested.EventId;
        if (Status == ActivityStatus.Started)
        {
            return false;
        }
        Cancel(null, "");
        return true;
    }

    private TimeSpan? RemainingScheduleToClose()
    {
        var scheduleToClose = Timeout(Options.ScheduleToCloseTimeout);
        return scheduleToClose > TimeSpan.Zero ? ScheduledTime + scheduleToClose - Run.Now : null;
    }

    /// <summary>→ Backoff: the next attempt is dispatched when the backoff ends.</summary>
    private void Retry(Failure failure, TimeSpan backoff)
    {
        var now = Run.Now;
        LastFailure = failure;
        LastAttemptCompleteTime = now;
        if (ResetRequested)
        {
            // A reset attempt is retried at once, counting from the first attempt again.
            ResetRequested = false;
            Attempt = 1;
            backoff = TimeSpan.Zero;
        }
        else
        {
            Attempt++;
        }
        Status = ActivityStatus.Backoff;
        DispatchVersion++;
        _heartbeatTimer?.Cancel();
        CurrentRetryInterval = backoff;
        BackoffUntil = now + backoff;
        ArmBackoff();
    }

    private void ArmBackoff()
    {
        _phaseTimer?.Cancel();
        if (Paused)
        {
            // A paused activity waits for UnpauseActivity (or ResetActivity) instead.
            return;
        }
        var version = DispatchVersion;
        _phaseTimer = Run.Arm(BackoffUntil, () =>
        {
            if (DispatchVersion == version && Status == ActivityStatus.Backoff && IsLive)
            {
                Dispatch();
            }
        });
    }

    /// <summary>A timeout fell due: start-to-close and heartbeat timeouts are retried under the policy; the others close the activity.</summary>
    public void OnTimeout(TimeoutType timeoutType)
    {
        if (!IsLive)
        {
            return;
        }
        var failure = new Failure
        {
            Message = $"activity {TimeoutName(timeoutType)} timeout",
            Source = "Server",
            TimeoutFailureInfo = new TimeoutFailureInfo { TimeoutType = timeoutType, LastHeartbeatDetails = HeartbeatDetails },
        };
        var retryable = timeoutType is TimeoutType.StartToClose or TimeoutType.Heartbeat;
        var decision = retryable
            ? RetryPolicies.Decide(RetryPolicy, ResetRequested ? 1 : Attempt, failure, RemainingScheduleToClose())
            : (RetryState.Timeout, null);
        if (decision.Backoff is { } backoff)
        {
            Retry(failure, backoff);
            return;
        }
        if (timeoutType == TimeoutType.ScheduleToClose && LastFailure is { } last && Status != ActivityStatus.Started)
        {
            failure.Cause = last;
        }
        Close(StartedIdentity, Status == ActivityStatus.Started, new HistoryEvent
        {
            EventType = EventType.ActivityTaskTimedOut,
            ActivityTaskTimedOutEventAttributes = new ActivityTaskTimedOutEventAttributes
            {
                Failure = failure,
                ScheduledEventId = ScheduledEventId,
                StartedEventId = -1,
                RetryState = decision.State == RetryState.InProgress ? RetryState.Timeout : decision.State,
            },
        });
    }

    private static string TimeoutName(TimeoutType type) => type switch
    {
        TimeoutType.StartToClose => "StartToClose",
        TimeoutType.ScheduleToStart => "ScheduleToStart",
        TimeoutType.ScheduleToClose => "ScheduleToClose",
        TimeoutType.Heartbeat => "Heartbeat",
        _ => type.ToString(),
    };

    /// <summary>
    /// Writes ActivityTaskStarted (when the activity ran; Temporal writes it only once the outcome is known) and the
    /// terminal event, then wakes the workflow. While a workflow task is running both are buffered.
    /// </summary>
    private void Close(string identity, bool wasStarted, HistoryEvent terminal)
    {
        CancelTimers();
        Run.Activities.Remove(ScheduledEventId);
        if (wasStarted)
        {
            Run.AddExternalEvent(new HistoryEvent
            {
                EventType = EventType.ActivityTaskStarted,
                ActivityTaskStartedEventAttributes = new ActivityTaskStartedEventAttributes
                {
                    ScheduledEventId = ScheduledEventId,
                    Identity = string.IsNullOrEmpty(StartedIdentity) ? identity : StartedIdentity,
                    RequestId = StartedRequestId,
                    Attempt = Attempt,
                    LastFailure = LastFailure,
                },
            });
        }
        if (Run.WorkflowTasks.Current is { IsStarted: true })
        {
            if (!wasStarted)
            {
                SetStartedEventId(terminal, 0);
            }
            Run.AddExternalEvent(terminal);
        }
        else
        {
            SetStartedEventId(terminal, wasStarted ? Run.History.LastEventId : 0);
            Run.History.Append(terminal, Run.Now);
        }
        Run.WorkflowTaskNeeded();
    }

    /// <summary>A buffered terminal event still waiting for its started event's id (-1) gets it as the buffer is written.</summary>
    public static void FillStartedEventId(HistoryEvent evt, long startedEventId)
    {
        var current = evt.EventType switch
        {
            EventType.ActivityTaskCompleted => evt.ActivityTaskCompletedEventAttributes.StartedEventId,
            EventType.ActivityTaskFailed => evt.ActivityTaskFailedEventAttributes.StartedEventId,
            EventType.ActivityTaskTimedOut => evt.ActivityTaskTimedOutEventAttributes.StartedEventId,
            EventType.ActivityTaskCanceled => evt.ActivityTaskCanceledEventAttributes.StartedEventId,
            _ => 0,
        };
        if (current < 0)
        {
            SetStartedEventId(evt, startedEventId);
        }
    }

    private static void SetStartedEventId(HistoryEvent evt, long startedEventId)
    {
        switch (evt.EventType)
        {
            case EventType.ActivityTaskCompleted:
                evt.ActivityTaskCompletedEventAttributes.StartedEventId = startedEventId;
                break;
            case EventType.ActivityTaskFailed:
                evt.ActivityTaskFailedEventAttributes.StartedEventId = startedEventId;
                break;
            case EventType.ActivityTaskTimedOut:
                evt.ActivityTaskTimedOutEventAttributes.StartedEventId = startedEventId;
                break;
            case EventType.ActivityTaskCanceled:
                evt.ActivityTaskCanceledEventAttributes.StartedEventId = startedEventId;
                break;
            default:
                break;
        }
    }

    public void CancelTimers()
    {
        _scheduleToClose?.Cancel();
        _phaseTimer?.Cancel();
        _heartbeatTimer?.Cancel();
    }

    /// <summary>
    /// After a restore: re-arms the attempt's deadlines (those that passed while the server was down fire at once)
    /// and queues it again if it waits for a worker. A started attempt stays started: its worker may still answer.
    /// </summary>
    public void Resume()
    {
        ArmScheduleToClose();
        switch (Status)
        {
            case ActivityStatus.Scheduled when !Paused:
                DispatchVersion++;
                ArmScheduleToStart();
                Run.Services.Enqueue(this);
                break;
            case ActivityStatus.Started:
                ArmStartToClose();
                ArmHeartbeat();
                break;
            case ActivityStatus.Backoff:
                ArmBackoff();
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// PauseActivity: no further attempt is dispatched until it is unpaused. A queued attempt is taken back (its backlog
    /// entry goes stale), a backoff stops; a running attempt goes on and learns it from its heartbeat response, and if it
    /// fails its retry waits. Schedule-to-close keeps counting.
    /// </summary>
    public void Pause(string identity, string reason)
    {
        if (Paused)
        {
            return;
        }
        Paused = true;
        PauseInfo = (Run.Now, identity, reason);
        if (Status is ActivityStatus.Scheduled or ActivityStatus.Backoff)
        {
            DispatchVersion++;
            _phaseTimer?.Cancel();
            _phaseTimer = null;
        }
    }

    /// <summary>
    /// UnpauseActivity: an activity waiting for its next attempt is dispatched (after a random part of
    /// <paramref name="jitter"/>); optionally from attempt 1 again and without its heartbeat details.
    /// </summary>
    public void Unpause(bool resetAttempts, bool resetHeartbeat, TimeSpan jitter)
    {
        if (!Paused)
        {
            return;
        }
        Paused = false;
        if (resetAttempts)
        {
            Attempt = 1;
        }
        if (resetHeartbeat)
        {
            HeartbeatDetails = null;
        }
        if (Status != ActivityStatus.Started)
        {
            DispatchAfter(jitter);
        }
    }

    /// <summary>
    /// ResetActivity: back to attempt 1 with its original options when asked. One waiting for an attempt is dispatched
    /// at once (after a random part of <paramref name="jitter"/>) and unpaused unless <paramref name="keepPaused"/>; a
    /// running attempt learns it from its heartbeat response and its retry starts at attempt 1 without backoff.
    /// </summary>
    public void Reset(bool resetHeartbeat, bool keepPaused, TimeSpan jitter, bool restoreOriginalOptions)
    {
        if (restoreOriginalOptions)
        {
            Options = Attributes;
        }
        if (resetHeartbeat)
        {
            HeartbeatDetails = null;
        }
        if (!keepPaused)
        {
            Paused = false;
        }
        if (Status == ActivityStatus.Started)
        {
            ResetRequested = true;
            return;
        }
        Attempt = 1;
        if (!Paused)
        {
            DispatchAfter(jitter);
        }
    }

    /// <summary>
    /// UpdateActivityOptions, first half: the options the activity would have with the fields named by
    /// <paramref name="paths"/> (the request's update mask) taken from <paramref name="update"/>, or the scheduled
    /// event's with <paramref name="restoreOriginal"/>; or the message for a bad request. Changes nothing.
    /// </summary>
    public (ActivityTaskScheduledEventAttributes? Options, string? Error) WithOptions(
        Temporalio.Api.Activity.V1.ActivityOptions? update, IReadOnlyCollection<string> paths, bool restoreOriginal)
    {
        var options = restoreOriginal ? Attributes.Clone() : Options.Clone();
        if (!restoreOriginal)
        {
            update ??= new Temporalio.Api.Activity.V1.ActivityOptions();
            foreach (var path in paths)
            {
                switch (path)
                {
                    case "schedule_to_close_timeout" or "scheduleToCloseTimeout":
                        options.ScheduleToCloseTimeout = update.ScheduleToCloseTimeout;
                        break;
                    case "schedule_to_start_timeout" or "scheduleToStartTimeout":
                        options.ScheduleToStartTimeout = update.ScheduleToStartTimeout;
                        break;
                    case "start_to_close_timeout" or "startToCloseTimeout":
                        options.StartToCloseTimeout = update.StartToCloseTimeout;
                        break;
                    case "heartbeat_timeout" or "heartbeatTimeout":
                        options.HeartbeatTimeout = update.HeartbeatTimeout;
                        break;
                    case "retry_policy" or "retryPolicy":
                        options.RetryPolicy = RetryPolicies.WithDefaults(update.RetryPolicy);
                        break;
                    case "retry_policy.initial_interval" or "retryPolicy.initialInterval":
                        options.RetryPolicy.InitialInterval = update.RetryPolicy?.InitialInterval ?? options.RetryPolicy.InitialInterval;
                        break;
                    case "retry_policy.backoff_coefficient" or "retryPolicy.backoffCoefficient":
                        options.RetryPolicy.BackoffCoefficient = update.RetryPolicy?.BackoffCoefficient ?? options.RetryPolicy.BackoffCoefficient;
                        break;
                    case "retry_policy.maximum_interval" or "retryPolicy.maximumInterval":
                        options.RetryPolicy.MaximumInterval = update.RetryPolicy?.MaximumInterval ?? options.RetryPolicy.MaximumInterval;
                        break;
                    case "retry_policy.maximum_attempts" or "retryPolicy.maximumAttempts":
                        options.RetryPolicy.MaximumAttempts = update.RetryPolicy?.MaximumAttempts ?? 0;
                        break;
                    case "priority":
                        options.Priority = update.Priority;
                        break;
                    default:
                        return (null, $"invalid update mask path '{path}': supported are schedule_to_close_timeout, schedule_to_start_timeout, "
                            + "start_to_close_timeout, heartbeat_timeout, retry_policy (and its fields) and priority.");
                }
            }
            if (RunChain.IsUnset(options.ScheduleToCloseTimeout) && RunChain.IsUnset(options.StartToCloseTimeout))
            {
                return (null, "A valid StartToClose or ScheduleToCloseTimeout is not set on the activity options.");
            }
        }
        return (options, null);
    }

    /// <summary>UpdateActivityOptions, second half: the options take effect and the running phase's deadlines are armed again under them.</summary>
    public void ApplyOptions(ActivityTaskScheduledEventAttributes options)
    {
        Options = options;
        _scheduleToClose?.Cancel();
        ArmScheduleToClose();
        switch (Status)
        {
            case ActivityStatus.Scheduled when !Paused:
                _phaseTimer?.Cancel();
                ArmScheduleToStart();
                break;
            case ActivityStatus.Started:
                _phaseTimer?.Cancel();
                ArmStartToClose();
                ArmHeartbeat();
                break;
            default:
                break;
        }
    }

    /// <summary>The options in force as the API reports them (UpdateActivityOptions, pending activity info).</summary>
    public Temporalio.Api.Activity.V1.ActivityOptions CurrentOptions() => new()
    {
        ScheduleToCloseTimeout = Options.ScheduleToCloseTimeout,
        ScheduleToStartTimeout = Options.ScheduleToStartTimeout,
        StartToCloseTimeout = Options.StartToCloseTimeout,
        HeartbeatTimeout = Options.HeartbeatTimeout,
        RetryPolicy = Options.RetryPolicy,
        Priority = Options.Priority,
    };

    /// <summary>Dispatches the next attempt now, or after a random part of <paramref name="jitter"/> (a backoff that long).</summary>
    private void DispatchAfter(TimeSpan jitter)
    {
        if (jitter <= TimeSpan.Zero)
        {
            Dispatch();
            return;
        }
        Status = ActivityStatus.Backoff;
        DispatchVersion++;
        CurrentRetryInterval = TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * jitter.Ticks));
        BackoffUntil = Run.Now + CurrentRetryInterval;
        ArmBackoff();
    }

    /// <summary>What DescribeWorkflowExecution reports about the activity.</summary>
    public PendingActivityInfo Describe()
    {
        var info = new PendingActivityInfo
        {
            ActivityId = Attributes.ActivityId,
            ActivityType = Attributes.ActivityType,
            State = Status switch
            {
                ActivityStatus.Started when CancelRequested => PendingActivityState.CancelRequested,
                ActivityStatus.Started => Paused ? PendingActivityState.PauseRequested : PendingActivityState.Started,
                _ => Paused ? PendingActivityState.Paused : PendingActivityState.Scheduled,
            },
            Paused = Paused,
            ActivityOptions = CurrentOptions(),
            HeartbeatDetails = HeartbeatDetails,
            Attempt = Attempt,
            MaximumAttempts = RetryPolicy.MaximumAttempts,
            ScheduledTime = Timestamp.FromDateTime(CurrentAttemptScheduledTime),
            LastFailure = LastFailure,
            LastWorkerIdentity = LastWorkerIdentity,
            Priority = Priority,
        };
        if (LastHeartbeatTime is { } heartbeat)
        {
            info.LastHeartbeatTime = Timestamp.FromDateTime(heartbeat);
        }
        if (Status == ActivityStatus.Started)
        {
            info.LastStartedTime = Timestamp.FromDateTime(StartedTime);
        }
        if (Status == ActivityStatus.Backoff)
        {
            info.CurrentRetryInterval = Duration.FromTimeSpan(CurrentRetryInterval);
            if (!Paused)
            {
                info.NextAttemptScheduleTime = Timestamp.FromDateTime(BackoffUntil);
            }
        }
        if (LastAttemptCompleteTime is { } ended)
        {
            info.LastAttemptCompleteTime = Timestamp.FromDateTime(ended);
        }
        if (Paused)
        {
            info.PauseInfo = new PendingActivityInfo.Types.PauseInfo
            {
                PauseTime = Timestamp.FromDateTime(PauseInfo.Time),
                Manual = new PendingActivityInfo.Types.PauseInfo.Types.Manual { Identity = PauseInfo.Identity, Reason = PauseInfo.Reason },
            };
        }
        return info;
    }
}
