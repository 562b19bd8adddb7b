using Estuary.DevServer.Grpc;
using Estuary.DevServer.State;
using Estuary.DevServer.TaskQueues;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Api.WorkflowService.V1;
using TaskQueueMessage = Temporalio.Api.TaskQueue.V1.TaskQueue;

namespace Estuary.DevServer.Engine;

internal sealed partial class DevServerEngine
{
    /// <summary>
    /// Writes ActivityTaskScheduled and dispatches the activity: through its task queue, or — when the worker asked
    /// for eager execution on the workflow's own queue — straight into <paramref name="eager"/> for the completion response.
    /// </summary>
    private void ScheduleActivity(WorkflowRun run, ScheduleActivityTaskCommandAttributes command, long completedEventId,
        string identity, List<PollActivityTaskQueueResponse> eager)
    {
        var now = Clock.UtcNow;
        var runTimeout = run.Started.WorkflowRunTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
        var scheduleToClose = command.ScheduleToCloseTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
        if (scheduleToClose <= TimeSpan.Zero || (runTimeout > TimeSpan.Zero && scheduleToClose > runTimeout))
        {
            scheduleToClose = runTimeout;
        }
        var scheduleToStart = Bounded(command.ScheduleToStartTimeout?.ToTimeSpan() ?? TimeSpan.Zero, scheduleToClose);
        var startToClose = Bounded(command.StartToCloseTimeout?.ToTimeSpan() ?? TimeSpan.Zero, scheduleToClose);
        var heartbeat = Bounded(command.HeartbeatTimeout?.ToTimeSpan() ?? TimeSpan.Zero, startToClose);
        var retryPolicy = WithRetryDefaults(command.RetryPolicy);
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
            RetryPolicy = retryPolicy,
        };
        var scheduled = run.History.Append(new HistoryEvent { EventType = EventType.ActivityTaskScheduled, ActivityTaskScheduledEventAttributes = attributes }, now);
        var activity = new ActivityState
        {
            Run = run,
            ScheduledEventId = scheduled.EventId,
            Attributes = attributes,
            RetryPolicy = retryPolicy,
            ScheduledTime = now,
        };
        run.Activities[activity.ScheduledEventId] = activity;
        if (scheduleToClose > TimeSpan.Zero)
        {
            activity.ScheduleToClose = Clock.After(scheduleToClose, () => OnActivityTimeout(activity, TimeoutType.ScheduleToClose));
        }
        if (command.RequestEagerExecution && attributes.TaskQueue.Name == run.TaskQueue)
        {
            activity.DispatchVersion++;
            activity.CurrentAttemptScheduledTime = now;
            if (StartActivityTask(activity, identity) is { } started)
            {
                eager.Add(started);
                return;
            }
        }
        DispatchActivity(activity);
    }

    /// <summary>A timeout unset (zero) means "as long as the enclosing one"; it never exceeds it.</summary>
    private static TimeSpan Bounded(TimeSpan value, TimeSpan bound) =>
        bound > TimeSpan.Zero && (value <= TimeSpan.Zero || value > bound) ? bound : value;

    private static Duration? ToDuration(TimeSpan value) => value > TimeSpan.Zero ? Duration.FromTimeSpan(value) : null;

    private void DispatchActivity(ActivityState activity)
    {
        activity.Status = ActivityStatus.Scheduled;
        activity.DispatchVersion++;
        activity.CurrentAttemptScheduledTime = Clock.UtcNow;
        activity.PhaseTimer?.Cancel();
        activity.PhaseTimer = null;
        var scheduleToStart = activity.Attributes.ScheduleToStartTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
        var scheduleToClose = activity.Attributes.ScheduleToCloseTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
        if (scheduleToStart > TimeSpan.Zero && (scheduleToClose <= TimeSpan.Zero || scheduleToStart < scheduleToClose))
        {
            var version = activity.DispatchVersion;
            activity.PhaseTimer = Clock.After(scheduleToStart, () =>
            {
                if (activity.DispatchVersion == version && activity.Status == ActivityStatus.Scheduled)
                {
                    OnActivityTimeout(activity, TimeoutType.ScheduleToStart);
                }
            });
        }
        ActivityQueue(activity.Run.Namespace.Name, activity.Attributes.TaskQueue.Name).Add(activity);
    }

    private static bool IsLive(ActivityState activity) =>
        activity.Run.IsRunning && activity.Run.Activities.TryGetValue(activity.ScheduledEventId, out var current) && current == activity;

    private PollActivityTaskQueueResponse? StartActivityTask(ActivityState activity, string identity)
    {
        if (activity.Status != ActivityStatus.Scheduled || !IsLive(activity))
        {
            return null;
        }
        var run = activity.Run;
        using (Track(run))
        {
            var now = Clock.UtcNow;
            activity.Status = ActivityStatus.Started;
            activity.StartedTime = now;
            activity.StartedIdentity = identity;
            activity.StartedRequestId = Guid.NewGuid().ToString();
            activity.LastHeartbeatTime = null;
            activity.PhaseTimer?.Cancel();
            var version = activity.DispatchVersion;
            var startToClose = activity.Attributes.StartToCloseTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
            if (startToClose > TimeSpan.Zero)
            {
                activity.PhaseTimer = Clock.After(startToClose, () =>
                {
                    if (activity.DispatchVersion == version && activity.Status == ActivityStatus.Started)
                    {
                        OnActivityTimeout(activity, TimeoutType.StartToClose);
                    }
                });
            }
            ArmHeartbeatTimer(activity);
        }
        var attributes = activity.Attributes;
        return new PollActivityTaskQueueResponse
        {
            TaskToken = ActivityToken(activity).ToByteString(),
            WorkflowNamespace = run.Namespace.Name,
            WorkflowType = run.Started.WorkflowType,
            WorkflowExecution = run.ToExecution(),
            ActivityType = attributes.ActivityType,
            ActivityId = attributes.ActivityId,
            Header = attributes.Header,
            Input = attributes.Input,
            HeartbeatDetails = activity.HeartbeatDetails,
            ScheduledTime = Timestamp.FromDateTime(activity.ScheduledTime),
            CurrentAttemptScheduledTime = Timestamp.FromDateTime(activity.CurrentAttemptScheduledTime),
            StartedTime = Timestamp.FromDateTime(activity.StartedTime),
            Attempt = activity.Attempt,
            ScheduleToCloseTimeout = attributes.ScheduleToCloseTimeout,
            StartToCloseTimeout = attributes.StartToCloseTimeout,
            HeartbeatTimeout = attributes.HeartbeatTimeout,
            RetryPolicy = activity.RetryPolicy,
        };
    }

    private static TaskToken ActivityToken(ActivityState activity) =>
        new(activity.Run.Namespace.Name, activity.Run.WorkflowId, activity.Run.RunId, activity.ScheduledEventId, activity.Attempt);

    private void ArmHeartbeatTimer(ActivityState activity)
    {
        activity.HeartbeatTimer?.Cancel();
        var heartbeat = activity.Attributes.HeartbeatTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
        if (heartbeat <= TimeSpan.Zero)
        {
            return;
        }
        var version = activity.DispatchVersion;
        activity.HeartbeatTimer = Clock.After(heartbeat, () =>
        {
            if (activity.DispatchVersion == version && activity.Status == ActivityStatus.Started)
            {
                OnActivityTimeout(activity, TimeoutType.Heartbeat);
            }
        });
    }

    public async Task<PollActivityTaskQueueResponse> PollActivityTaskQueueAsync(PollActivityTaskQueueRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.TaskQueue?.Name))
        {
            throw RpcErrors.InvalidArgument("TaskQueue is not set on request.");
        }
        TaskQueue<ActivityState, PollActivityTaskQueueResponse>.Poller? poller;
        lock (_gate)
        {
            var ns = GetNamespace(request.Namespace);
            var response = ActivityQueue(ns.Name, request.TaskQueue.Name).TakeOrWait(request.Identity, Clock.UtcNow, out poller);
            if (response is not null)
            {
                return response;
            }
        }
        return await WaitForTaskAsync(poller!, _activityQueues, (request.Namespace, request.TaskQueue.Name), deadline, cancellationToken)
            ?? new PollActivityTaskQueueResponse();
    }

    private ActivityState GetStartedActivity(ByteString tokenBytes, string requestNamespace)
    {
        var token = TaskToken.Parse(tokenBytes);
        var ns = GetNamespace(string.IsNullOrEmpty(requestNamespace) ? token.Namespace : requestNamespace);
        if (!ns.Runs.TryGetValue(token.RunId, out var run) || !run.IsRunning
            || !run.Activities.TryGetValue(token.ScheduledEventId, out var activity)
            || activity.Attempt != token.Attempt || activity.Status != ActivityStatus.Started)
        {
            throw RpcErrors.NotFound("Activity task not found.");
        }
        return activity;
    }

    private ActivityState GetStartedActivityById(string ns, string workflowId, string runId, string activityId)
    {
        if (string.IsNullOrEmpty(activityId))
        {
            throw RpcErrors.InvalidArgument("ActivityId is not set on request.");
        }
        var run = GetRun(GetNamespace(ns), workflowId, runId);
        var activity = run.IsRunning ? run.Activities.Values.FirstOrDefault(a => a.Attributes.ActivityId == activityId) : null;
        if (activity is null || activity.Status != ActivityStatus.Started)
        {
            throw RpcErrors.NotFound("Activity task not found.");
        }
        return activity;
    }

    public RespondActivityTaskCompletedResponse RespondActivityTaskCompleted(RespondActivityTaskCompletedRequest request)
    {
        lock (_gate)
        {
            CompleteActivity(GetStartedActivity(request.TaskToken, request.Namespace), request.Result, request.Identity);
            return new RespondActivityTaskCompletedResponse();
        }
    }

    public RespondActivityTaskCompletedByIdResponse RespondActivityTaskCompletedById(RespondActivityTaskCompletedByIdRequest request)
    {
        lock (_gate)
        {
            CompleteActivity(GetStartedActivityById(request.Namespace, request.WorkflowId, request.RunId, request.ActivityId), request.Result, request.Identity);
            return new RespondActivityTaskCompletedByIdResponse();
        }
    }

    public RespondActivityTaskFailedResponse RespondActivityTaskFailed(RespondActivityTaskFailedRequest request)
    {
        lock (_gate)
        {
            var activity = GetStartedActivity(request.TaskToken, request.Namespace);
            FailActivity(activity, request.Failure ?? new Failure { Message = "activity failed" }, request.LastHeartbeatDetails, request.Identity);
            return new RespondActivityTaskFailedResponse();
        }
    }

    public RespondActivityTaskFailedByIdResponse RespondActivityTaskFailedById(RespondActivityTaskFailedByIdRequest request)
    {
        lock (_gate)
        {
            var activity = GetStartedActivityById(request.Namespace, request.WorkflowId, request.RunId, request.ActivityId);
            FailActivity(activity, request.Failure ?? new Failure { Message = "activity failed" }, request.LastHeartbeatDetails, request.Identity);
            return new RespondActivityTaskFailedByIdResponse();
        }
    }

    public RespondActivityTaskCanceledResponse RespondActivityTaskCanceled(RespondActivityTaskCanceledRequest request)
    {
        lock (_gate)
        {
            CancelActivity(GetStartedActivity(request.TaskToken, request.Namespace), request.Details, request.Identity);
            return new RespondActivityTaskCanceledResponse();
        }
    }

    public RespondActivityTaskCanceledByIdResponse RespondActivityTaskCanceledById(RespondActivityTaskCanceledByIdRequest request)
    {
        lock (_gate)
        {
            CancelActivity(GetStartedActivityById(request.Namespace, request.WorkflowId, request.RunId, request.ActivityId), request.Details, request.Identity);
            return new RespondActivityTaskCanceledByIdResponse();
        }
    }

    public RecordActivityTaskHeartbeatResponse RecordActivityTaskHeartbeat(RecordActivityTaskHeartbeatRequest request)
    {
        lock (_gate)
        {
            var activity = GetStartedActivity(request.TaskToken, request.Namespace);
            Heartbeat(activity, request.Details);
            return new RecordActivityTaskHeartbeatResponse { CancelRequested = activity.CancelRequested };
        }
    }

    public RecordActivityTaskHeartbeatByIdResponse RecordActivityTaskHeartbeatById(RecordActivityTaskHeartbeatByIdRequest request)
    {
        lock (_gate)
        {
            var activity = GetStartedActivityById(request.Namespace, request.WorkflowId, request.RunId, request.ActivityId);
            Heartbeat(activity, request.Details);
            return new RecordActivityTaskHeartbeatByIdResponse { CancelRequested = activity.CancelRequested };
        }
    }

    private void Heartbeat(ActivityState activity, Payloads? details)
    {
        if (details is not null)
        {
            activity.HeartbeatDetails = details;
        }
        activity.LastHeartbeatTime = Clock.UtcNow;
        ArmHeartbeatTimer(activity);
    }

    private void CompleteActivity(ActivityState activity, Payloads? result, string identity)
    {
        var run = activity.Run;
        using (Track(run))
        {
            WriteActivityOutcome(activity, identity, true, new HistoryEvent
            {
                EventType = EventType.ActivityTaskCompleted,
                ActivityTaskCompletedEventAttributes = new ActivityTaskCompletedEventAttributes
                {
                    Result = result,
                    ScheduledEventId = activity.ScheduledEventId,
                    StartedEventId = -1,
                    Identity = identity,
                },
            });
        }
    }

    private void FailActivity(ActivityState activity, Failure failure, Payloads? lastHeartbeatDetails, string identity)
    {
        var run = activity.Run;
        using (Track(run))
        {
            if (lastHeartbeatDetails is not null)
            {
                activity.HeartbeatDetails = lastHeartbeatDetails;
            }
            activity.LastWorkerIdentity = identity;
            var decision = RetryDecision(activity.RetryPolicy, activity.Attempt, failure, RemainingScheduleToClose(activity));
            if (decision.Backoff is { } backoff)
            {
                RetryActivity(activity, failure, backoff);
                return;
            }
            WriteActivityOutcome(activity, identity, true, new HistoryEvent
            {
                EventType = EventType.ActivityTaskFailed,
                ActivityTaskFailedEventAttributes = new ActivityTaskFailedEventAttributes
                {
                    Failure = failure,
                    ScheduledEventId = activity.ScheduledEventId,
                    StartedEventId = -1,
                    Identity = identity,
                    RetryState = decision.State,
                },
            });
        }
    }

    private void CancelActivity(ActivityState activity, Payloads? details, string identity)
    {
        var run = activity.Run;
        using (Track(run))
        {
            WriteActivityOutcome(activity, identity, activity.Status == ActivityStatus.Started, new HistoryEvent
            {
                EventType = EventType.ActivityTaskCanceled,
                ActivityTaskCanceledEventAttributes = new ActivityTaskCanceledEventAttributes
                {
                    Details = details,
                    LatestCancelRequestedEventId = activity.CancelRequestedEventId,
                    ScheduledEventId = activity.ScheduledEventId,
                    StartedEventId = -1,
                    Identity = identity,
                },
            });
        }
    }

    private TimeSpan? RemainingScheduleToClose(ActivityState activity)
    {
        var scheduleToClose = activity.Attributes.ScheduleToCloseTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
        return scheduleToClose > TimeSpan.Zero ? activity.ScheduledTime + scheduleToClose - Clock.UtcNow : null;
    }

    private void RetryActivity(ActivityState activity, Failure failure, TimeSpan backoff)
    {
        activity.LastFailure = failure;
        activity.Attempt++;
        activity.Status = ActivityStatus.Backoff;
        activity.DispatchVersion++;
        activity.PhaseTimer?.Cancel();
        activity.HeartbeatTimer?.Cancel();
        var version = activity.DispatchVersion;
        activity.PhaseTimer = Clock.After(backoff, () =>
        {
            if (activity.DispatchVersion == version && activity.Status == ActivityStatus.Backoff && IsLive(activity))
            {
                using (Track(activity.Run))
                {
                    DispatchActivity(activity);
                }
            }
        });
    }

    private void OnActivityTimeout(ActivityState activity, TimeoutType timeoutType)
    {
        if (!IsLive(activity))
        {
            return;
        }
        var run = activity.Run;
        using (Track(run))
        {
            var failure = new Failure
            {
                Message = $"activity {TimeoutName(timeoutType)} timeout",
                Source = "Server",
                TimeoutFailureInfo = new TimeoutFailureInfo { TimeoutType = timeoutType, LastHeartbeatDetails = activity.HeartbeatDetails },
            };
            var retryable = timeoutType is TimeoutType.StartToClose or TimeoutType.Heartbeat;
            var decision = retryable
                ? RetryDecision(activity.RetryPolicy, activity.Attempt, failure, RemainingScheduleToClose(activity))
                : (RetryState.Timeout, null);
            if (decision.Backoff is { } backoff)
            {
                RetryActivity(activity, failure, backoff);
                return;
            }
            if (timeoutType == TimeoutType.ScheduleToClose && activity.LastFailure is { } last && activity.Status != ActivityStatus.Started)
            {
                failure.Cause = last;
            }
            WriteActivityOutcome(activity, activity.StartedIdentity, activity.Status == ActivityStatus.Started, new HistoryEvent
            {
                EventType = EventType.ActivityTaskTimedOut,
                ActivityTaskTimedOutEventAttributes = new ActivityTaskTimedOutEventAttributes
                {
                    Failure = failure,
                    ScheduledEventId = activity.ScheduledEventId,
                    StartedEventId = -1,
                    RetryState = decision.State == RetryState.InProgress ? RetryState.Timeout : decision.State,
                },
            });
        }
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
    /// Writes ActivityTaskStarted (when the activity ran; Temporal writes it only once the outcome is known)
    /// and the terminal event, then wakes the workflow. While a workflow task is running both are buffered.
    /// </summary>
    private void WriteActivityOutcome(ActivityState activity, string identity, bool wasStarted, HistoryEvent terminal)
    {
        var run = activity.Run;
        var now = Clock.UtcNow;
        activity.CancelTimers();
        run.Activities.Remove(activity.ScheduledEventId);
        if (wasStarted)
        {
            run.AddExternalEvent(new HistoryEvent
            {
                EventType = EventType.ActivityTaskStarted,
                ActivityTaskStartedEventAttributes = new ActivityTaskStartedEventAttributes
                {
                    ScheduledEventId = activity.ScheduledEventId,
                    Identity = string.IsNullOrEmpty(activity.StartedIdentity) ? identity : activity.StartedIdentity,
                    RequestId = activity.StartedRequestId,
                    Attempt = activity.Attempt,
                    LastFailure = activity.LastFailure,
                },
            }, now);
        }
        if (run.WorkflowTask is { IsStarted: true })
        {
            if (!wasStarted)
            {
                SetStartedEventId(terminal, 0);
            }
            run.AddExternalEvent(terminal, now);
        }
        else
        {
            SetStartedEventId(terminal, wasStarted ? run.History.LastEventId : 0);
            run.History.Append(terminal, now);
        }
        ScheduleWorkflowTaskIfIdle(run);
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

    /// <summary>Handles a RequestCancelActivityTask command; returns true when the activity was cancelled at once.</summary>
    private bool RequestCancelActivity(WorkflowRun run, long scheduledEventId, long completedEventId)
    {
        var activity = run.Activities[scheduledEventId];
        var requested = run.History.Append(new HistoryEvent
        {
            EventType = EventType.ActivityTaskCancelRequested,
            ActivityTaskCancelRequestedEventAttributes = new ActivityTaskCancelRequestedEventAttributes
            {
                ScheduledEventId = scheduledEventId,
                WorkflowTaskCompletedEventId = completedEventId,
            },
        }, Clock.UtcNow);
        activity.CancelRequested = true;
        activity.CancelRequestedEventId = requested.EventId;
        if (activity.Status == ActivityStatus.Started)
        {
            return false;
        }
        CancelActivity(activity, null, "");
        return true;
    }

    private void StartTimer(WorkflowRun run, StartTimerCommandAttributes command, long completedEventId)
    {
        var started = run.History.Append(new HistoryEvent
        {
            EventType = EventType.TimerStarted,
            TimerStartedEventAttributes = new TimerStartedEventAttributes
            {
                TimerId = command.TimerId,
                StartToFireTimeout = command.StartToFireTimeout,
                WorkflowTaskCompletedEventId = completedEventId,
            },
        }, Clock.UtcNow);
        var timerId = command.TimerId;
        var fire = Clock.After(command.StartToFireTimeout.ToTimeSpan(), () =>
        {
            if (!run.IsRunning || !run.Timers.Remove(timerId))
            {
                return;
            }
            using (Track(run))
            {
                run.AddExternalEvent(new HistoryEvent
                {
                    EventType = EventType.TimerFired,
                    TimerFiredEventAttributes = new TimerFiredEventAttributes { TimerId = timerId, StartedEventId = started.EventId },
                }, Clock.UtcNow);
                ScheduleWorkflowTaskIfIdle(run);
            }
        });
        run.Timers[timerId] = new TimerState { TimerId = timerId, StartedEventId = started.EventId, Fire = fire };
    }

    private static PendingActivityInfo DescribeActivity(ActivityState activity)
    {
        var info = new PendingActivityInfo
        {
            ActivityId = activity.Attributes.ActivityId,
            ActivityType = activity.Attributes.ActivityType,
            State = activity.Status switch
            {
                ActivityStatus.Started => activity.CancelRequested ? PendingActivityState.CancelRequested : PendingActivityState.Started,
                _ => PendingActivityState.Scheduled,
            },
            HeartbeatDetails = activity.HeartbeatDetails,
            Attempt = activity.Attempt,
            MaximumAttempts = activity.RetryPolicy.MaximumAttempts,
            ScheduledTime = Timestamp.FromDateTime(activity.CurrentAttemptScheduledTime),
            LastFailure = activity.LastFailure,
            LastWorkerIdentity = activity.LastWorkerIdentity,
        };
        if (activity.LastHeartbeatTime is { } heartbeat)
        {
            info.LastHeartbeatTime = Timestamp.FromDateTime(heartbeat);
        }
        if (activity.Status == ActivityStatus.Started)
        {
            info.LastStartedTime = Timestamp.FromDateTime(activity.StartedTime);
        }
        return info;
    }
}
