using Estuary.DevServer.Grpc;
using Estuary.DevServer.State;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.ErrorDetails.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine;

internal sealed partial class DevServerEngine
{
    private static readonly TimeSpan DefaultWorkflowTaskTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxWorkflowTaskTimeout = TimeSpan.FromSeconds(120);

    public StartWorkflowExecutionResponse StartWorkflowExecution(StartWorkflowExecutionRequest request)
    {
        if (string.IsNullOrEmpty(request.WorkflowId))
        {
            throw RpcErrors.InvalidArgument("WorkflowId is not set on request.");
        }
        if (string.IsNullOrEmpty(request.WorkflowType?.Name))
        {
            throw RpcErrors.InvalidArgument("WorkflowType is not set on request.");
        }
        if (string.IsNullOrEmpty(request.TaskQueue?.Name))
        {
            throw RpcErrors.InvalidArgument("TaskQueue is not set on request.");
        }
        var cron = string.IsNullOrEmpty(request.CronSchedule) ? null : ParseCron(request.CronSchedule);
        if (cron is not null && request.WorkflowStartDelay?.ToTimeSpan() > TimeSpan.Zero)
        {
            throw RpcErrors.InvalidArgument("CronSchedule and WorkflowStartDelay may not be used together.");
        }
        ValidateTimeout(request.WorkflowExecutionTimeout, "WorkflowExecutionTimeout");
        ValidateTimeout(request.WorkflowRunTimeout, "WorkflowRunTimeout");
        ValidateTimeout(request.WorkflowTaskTimeout, "WorkflowTaskTimeout");
        ValidateTimeout(request.WorkflowStartDelay, "WorkflowStartDelay");
        ValidateRetryPolicy(request.RetryPolicy);

        lock (_gate)
        {
            var ns = GetNamespace(request.Namespace);
            ValidateSearchAttributes(request.SearchAttributes);
            var now = Clock.UtcNow;
            var firstTaskBackoff = cron is null ? request.WorkflowStartDelay?.ToTimeSpan() ?? TimeSpan.Zero : CronBackoff(cron, now);

            // As in Temporal, a first workflow task that waits (start delay, cron) is never eager.
            var eager = EagerStartRequested(request) && firstTaskBackoff <= TimeSpan.Zero;
            if (ns.LatestRuns.TryGetValue(request.WorkflowId, out var existing))
            {
                if (!string.IsNullOrEmpty(request.RequestId) && existing.RequestId == request.RequestId)
                {
                    return new StartWorkflowExecutionResponse
                    {
                        RunId = existing.RunId,
                        Started = true,
                        Status = existing.Status,
                        EagerWorkflowTask = eager ? RepeatEagerWorkflowTask(existing) : null,
                    };
                }
                if (existing.IsRunning)
                {
#pragma warning disable CS0612 // Deprecated, but older clients still send it: it means conflict policy TERMINATE_EXISTING.
                    var conflict = request.WorkflowIdReusePolicy == WorkflowIdReusePolicy.TerminateIfRunning
                        ? WorkflowIdConflictPolicy.TerminateExisting
                        : request.WorkflowIdConflictPolicy;
#pragma warning restore CS0612
                    switch (conflict)
                    {
                        case WorkflowIdConflictPolicy.UseExisting:
                            return new StartWorkflowExecutionResponse { RunId = existing.RunId, Started = false, Status = existing.Status };
                        case WorkflowIdConflictPolicy.TerminateExisting:
                            using (Track(existing))
                            {
                                Terminate(existing, "terminated by a new start (WorkflowIdConflictPolicy TERMINATE_EXISTING)", null, request.Identity);
                            }
                            break;
                        default:
                            throw AlreadyStarted(existing, $"Workflow execution is already running. WorkflowId: {existing.WorkflowId}, RunId: {existing.RunId}.");
                    }
                }
                else
                {
                    switch (request.WorkflowIdReusePolicy)
                    {
                        case WorkflowIdReusePolicy.RejectDuplicate:
                            throw AlreadyStarted(existing, $"Workflow execution already finished and WorkflowIdReusePolicy is REJECT_DUPLICATE. WorkflowId: {existing.WorkflowId}, RunId: {existing.RunId}.");
                        case WorkflowIdReusePolicy.AllowDuplicateFailedOnly when existing.Status == WorkflowExecutionStatus.Completed:
                            throw AlreadyStarted(existing, $"Workflow execution already finished successfully and WorkflowIdReusePolicy is ALLOW_DUPLICATE_FAILED_ONLY. WorkflowId: {existing.WorkflowId}, RunId: {existing.RunId}.");
                        default:
                            break;
                    }
                }
            }

            var started = new WorkflowExecutionStartedEventAttributes
            {
                WorkflowType = request.WorkflowType,
                TaskQueue = new Temporalio.Api.TaskQueue.V1.TaskQueue { Name = request.TaskQueue!.Name, Kind = TaskQueueKind.Normal },
                Input = request.Input,
                WorkflowExecutionTimeout = request.WorkflowExecutionTimeout,
                WorkflowRunTimeout = request.WorkflowRunTimeout,
                WorkflowTaskTimeout = request.WorkflowTaskTimeout,
                Identity = request.Identity,
                RetryPolicy = request.RetryPolicy is null ? null : WithRetryDefaults(request.RetryPolicy),
                Attempt = 1,
                Memo = request.Memo,
                SearchAttributes = request.SearchAttributes,
                Header = request.Header,
                ContinuedFailure = request.ContinuedFailure,
                LastCompletionResult = request.LastCompletionResult,
                FirstWorkflowTaskBackoff = Duration.FromTimeSpan(firstTaskBackoff),
                CronSchedule = request.CronSchedule,
                Initiator = ContinueAsNewInitiator.Unspecified,
            };
            if (request.WorkflowExecutionTimeout?.ToTimeSpan() is { } executionTimeout && executionTimeout > TimeSpan.Zero)
            {
                // The execution timeout counts from the first run's first workflow task (cron waits for its first time).
                var cronBackoff = cron is null ? TimeSpan.Zero : firstTaskBackoff;
                started.WorkflowExecutionExpirationTime = Timestamp.FromDateTime(now + cronBackoff + executionTimeout);
            }
            var run = CreateRun(ns, request.WorkflowId, Guid.NewGuid().ToString(), request.RequestId, started, null, dispatchFirstTask: !eager);
            var response = new StartWorkflowExecutionResponse { RunId = run.RunId, Started = true, Status = WorkflowExecutionStatus.Running };
            if (eager)
            {
                using (Track(run))
                {
                    response.EagerWorkflowTask = StartEagerWorkflowTask(run, request);
                }
            }
            return response;
        }
    }

    private static RpcException AlreadyStarted(WorkflowRun existing, string message) =>
        RpcErrors.WithDetail(StatusCode.AlreadyExists, message,
            new WorkflowExecutionAlreadyStartedFailure { RunId = existing.RunId, StartRequestId = existing.RequestId });

    private static void ValidateTimeout(Duration? timeout, string name)
    {
        if (timeout is not null && timeout.ToTimeSpan() < TimeSpan.Zero)
        {
            throw RpcErrors.InvalidArgument($"Invalid {name}: it must not be negative.");
        }
    }

    private static void ValidateRetryPolicy(RetryPolicy? policy)
    {
        if (policy is null)
        {
            return;
        }
        if (policy.MaximumAttempts < 0)
        {
            throw RpcErrors.InvalidArgument("MaximumAttempts cannot be negative on retry policy.");
        }
        if (policy.BackoffCoefficient != 0 && policy.BackoffCoefficient < 1)
        {
            throw RpcErrors.InvalidArgument("BackoffCoefficient cannot be less than 1 on retry policy.");
        }
        if (policy.InitialInterval?.ToTimeSpan() < TimeSpan.Zero)
        {
            throw RpcErrors.InvalidArgument("InitialInterval cannot be negative on retry policy.");
        }
        if (policy.MaximumInterval?.ToTimeSpan() < TimeSpan.Zero)
        {
            throw RpcErrors.InvalidArgument("MaximumInterval cannot be negative on retry policy.");
        }
        if (policy.MaximumInterval is not null && policy.InitialInterval is not null
            && policy.MaximumInterval.ToTimeSpan() > TimeSpan.Zero
            && policy.MaximumInterval.ToTimeSpan() < policy.InitialInterval.ToTimeSpan())
        {
            throw RpcErrors.InvalidArgument("MaximumInterval cannot be less than InitialInterval on retry policy.");
        }
    }

    /// <summary>Temporal's defaults: 1 s initial interval, coefficient 2, maximum interval 100 × initial, unlimited attempts.</summary>
    private static RetryPolicy WithRetryDefaults(RetryPolicy? given)
    {
        var policy = given?.Clone() ?? new RetryPolicy();
        if (policy.InitialInterval is null || policy.InitialInterval.ToTimeSpan() <= TimeSpan.Zero)
        {
            policy.InitialInterval = Duration.FromTimeSpan(TimeSpan.FromSeconds(1));
        }
        if (policy.BackoffCoefficient < 1)
        {
            policy.BackoffCoefficient = 2.0;
        }
        if (policy.MaximumInterval is null || policy.MaximumInterval.ToTimeSpan() <= TimeSpan.Zero)
        {
            policy.MaximumInterval = Duration.FromTimeSpan(policy.InitialInterval.ToTimeSpan() * 100);
        }
        return policy;
    }

    /// <summary>
    /// Creates a run, writes WorkflowExecutionStarted and schedules the first workflow task (after any backoff); with
    /// <paramref name="dispatchFirstTask"/> false (an eager start, never with a backoff) the task is not queued: the
    /// caller starts it.
    /// </summary>
    private WorkflowRun CreateRun(NamespaceEntry ns, string workflowId, string runId, string requestId,
        WorkflowExecutionStartedEventAttributes started, WorkflowRun? previous, ChildWorkflowState? child = null, bool dispatchFirstTask = true)
    {
        var parentLink = child ?? previous?.ParentLink;
        if (parentLink is not null)
        {
            started.ParentWorkflowNamespace = parentLink.Parent.Namespace.Name;
            started.ParentWorkflowNamespaceId = parentLink.Parent.Namespace.Id;
            started.ParentWorkflowExecution = parentLink.Parent.ToExecution();
            started.ParentInitiatedEventId = parentLink.InitiatedEventId;
        }
        var now = Clock.UtcNow;
        var taskTimeout = started.WorkflowTaskTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
        if (taskTimeout <= TimeSpan.Zero)
        {
            taskTimeout = DefaultWorkflowTaskTimeout;
        }
        started.WorkflowTaskTimeout = Duration.FromTimeSpan(taskTimeout > MaxWorkflowTaskTimeout ? MaxWorkflowTaskTimeout : taskTimeout);
        var runTimeout = started.WorkflowRunTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
        var executionTimeout = started.WorkflowExecutionTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
        if (runTimeout <= TimeSpan.Zero && executionTimeout > TimeSpan.Zero)
        {
            runTimeout = executionTimeout;
        }
        started.WorkflowRunTimeout = runTimeout > TimeSpan.Zero ? Duration.FromTimeSpan(runTimeout) : null;
        started.WorkflowExecutionTimeout = executionTimeout > TimeSpan.Zero ? Duration.FromTimeSpan(executionTimeout) : null;
        started.OriginalExecutionRunId = runId;
        started.FirstExecutionRunId = previous?.FirstRunId ?? runId;
        started.ContinuedExecutionRunId = previous?.RunId ?? "";
        started.WorkflowId = workflowId;
        var backoff = started.FirstWorkflowTaskBackoff?.ToTimeSpan() ?? TimeSpan.Zero;
        if (backoff <= TimeSpan.Zero)
        {
            started.FirstWorkflowTaskBackoff = null;
            backoff = TimeSpan.Zero;
        }

        var run = new WorkflowRun
        {
            Namespace = ns,
            WorkflowId = workflowId,
            RunId = runId,
            FirstRunId = started.FirstExecutionRunId,
            Started = started,
            RequestId = requestId,
            StartTime = now,
            ExecutionTime = now + backoff,
            Memo = started.Memo?.Clone() ?? new Memo(),
            SearchAttributes = started.SearchAttributes?.Clone() ?? new SearchAttributes(),
            ParentLink = parentLink,
        };
        if (parentLink is not null)
        {
            parentLink.CurrentRun = run;
        }
        ns.Runs[runId] = run;
        ns.LatestRuns[workflowId] = run;
        run.History.Append(new HistoryEvent { EventType = EventType.WorkflowExecutionStarted, WorkflowExecutionStartedEventAttributes = started }, now);

        // The run timeout counts from the first workflow task, after any backoff (cron, retry, start delay), as in Temporal.
        var deadline = runTimeout > TimeSpan.Zero ? now + backoff + runTimeout : DateTime.MaxValue;
        if (started.WorkflowExecutionExpirationTime?.ToDateTime() is { } expiration && expiration < deadline)
        {
            deadline = expiration;
        }
        if (deadline != DateTime.MaxValue)
        {
            run.RunTimeout = Clock.Schedule(deadline, () =>
            {
                using (Track(run))
                {
                    TimeOutRun(run);
                }
            });
        }
        using (Track(run))
        {
            if (backoff > TimeSpan.Zero)
            {
                run.StartBackoff = Clock.After(backoff, () =>
                {
                    using (Track(run))
                    {
                        ScheduleWorkflowTask(run, 1);
                    }
                });
            }
            else
            {
                ScheduleWorkflowTask(run, 1, dispatch: dispatchFirstTask);
            }
        }
        return run;
    }

    /// <summary>Marks a run closed (its close event is already written) and cancels everything pending.</summary>
    private void CloseRun(WorkflowRun run, WorkflowExecutionStatus status)
    {
        run.Status = status;
        run.CloseTime = Clock.UtcNow;
        run.RunTimeout?.Cancel();
        run.StartBackoff?.Cancel();
        run.WorkflowTask?.Timeout?.Cancel();
        run.WorkflowTask = null;
        run.History.BeforeAppend = null;
        foreach (var activity in run.Activities.Values)
        {
            activity.CancelTimers();
        }
        run.Activities.Clear();
        foreach (var timer in run.Timers.Values)
        {
            timer.Fire.Cancel();
        }
        run.Timers.Clear();
        run.History.ReleaseWaiters();
        AbortUpdates(run);
        run.Namespace.ClosedRuns.Enqueue(run);
        _closedRunCount++;
        NotifyParent(run);
        ApplyParentClosePolicies(run);
        DispatchQueries(run);
        EvictClosedRuns();
    }

    private void Terminate(WorkflowRun run, string reason, Payloads? details, string identity)
    {
        run.FlushBuffer(Clock.UtcNow);
        run.History.Append(new HistoryEvent
        {
            EventType = EventType.WorkflowExecutionTerminated,
            WorkflowExecutionTerminatedEventAttributes = new WorkflowExecutionTerminatedEventAttributes
            {
                Reason = reason,
                Details = details,
                Identity = identity,
            },
        }, Clock.UtcNow);
        CloseRun(run, WorkflowExecutionStatus.Terminated);
    }

    private void TimeOutRun(WorkflowRun run)
    {
        if (!run.IsRunning)
        {
            return;
        }
        var now = Clock.UtcNow;
        run.FlushBuffer(now);
        var retry = NextWorkflowRetry(run, null, isTimeout: true);
        var evt = new WorkflowExecutionTimedOutEventAttributes { RetryState = retry.State };
        var cronRunId = retry.Backoff is null ? NextCronRunId(run) : null;
        string? newRunId = retry.Backoff is null ? cronRunId : Guid.NewGuid().ToString();
        if (newRunId is not null)
        {
            evt.NewExecutionRunId = newRunId;
        }
        run.History.Append(new HistoryEvent { EventType = EventType.WorkflowExecutionTimedOut, WorkflowExecutionTimedOutEventAttributes = evt }, now);
        CloseRun(run, WorkflowExecutionStatus.TimedOut);
        if (retry.Backoff is { } retryBackoff)
        {
            StartRetryRun(run, newRunId!, retryBackoff, null);
        }
        StartCronRun(run, cronRunId, null, new Failure { Message = "workflow timeout", TimeoutFailureInfo = new TimeoutFailureInfo { TimeoutType = TimeoutType.StartToClose } });
    }

    public TerminateWorkflowExecutionResponse TerminateWorkflowExecution(TerminateWorkflowExecutionRequest request)
    {
        lock (_gate)
        {
            var ns = GetNamespace(request.Namespace);
            var run = GetRun(ns, request.WorkflowExecution?.WorkflowId ?? "", request.WorkflowExecution?.RunId);
            if (!string.IsNullOrEmpty(request.FirstExecutionRunId) && run.FirstRunId != request.FirstExecutionRunId)
            {
                throw RpcErrors.NotFound("workflow execution not found for the given first execution run ID");
            }
            if (!run.IsRunning)
            {
                throw RpcErrors.NotFound("workflow execution already completed");
            }
            using (Track(run))
            {
                Terminate(run, request.Reason, request.Details, request.Identity);
            }
            return new TerminateWorkflowExecutionResponse();
        }
    }

    public RequestCancelWorkflowExecutionResponse RequestCancelWorkflowExecution(RequestCancelWorkflowExecutionRequest request)
    {
        lock (_gate)
        {
            var ns = GetNamespace(request.Namespace);
            var run = GetRun(ns, request.WorkflowExecution?.WorkflowId ?? "", request.WorkflowExecution?.RunId);
            if (!run.IsRunning)
            {
                throw RpcErrors.NotFound("workflow execution already completed");
            }
            using (Track(run))
            {
                RequestCancel(run, request.Reason, request.Identity);
            }
            return new RequestCancelWorkflowExecutionResponse();
        }
    }

    /// <summary>Writes WorkflowExecutionCancelRequested once and lets the workflow see it.</summary>
    private void RequestCancel(WorkflowRun run, string reason, string identity, WorkflowRun? requester = null, long requesterInitiatedEventId = 0)
    {
        if (run.CancelRequested)
        {
            return;
        }
        run.CancelRequested = true;
        run.AddExternalEvent(new HistoryEvent
        {
            EventType = EventType.WorkflowExecutionCancelRequested,
            WorkflowExecutionCancelRequestedEventAttributes = new WorkflowExecutionCancelRequestedEventAttributes
            {
                Cause = reason,
                Identity = identity,
                ExternalWorkflowExecution = requester?.ToExecution(),
                ExternalInitiatedEventId = requesterInitiatedEventId,
            },
        }, Clock.UtcNow);
        ScheduleWorkflowTaskIfIdle(run);
    }

    public SignalWorkflowExecutionResponse SignalWorkflowExecution(SignalWorkflowExecutionRequest request)
    {
        if (string.IsNullOrEmpty(request.SignalName))
        {
            throw RpcErrors.InvalidArgument("SignalName is not set on request.");
        }
        lock (_gate)
        {
            var ns = GetNamespace(request.Namespace);
            var run = GetRun(ns, request.WorkflowExecution?.WorkflowId ?? "", request.WorkflowExecution?.RunId);
            if (!run.IsRunning)
            {
                throw RpcErrors.NotFound("workflow execution already completed");
            }
            using (Track(run))
            {
                run.AddExternalEvent(new HistoryEvent
                {
                    EventType = EventType.WorkflowExecutionSignaled,
                    WorkflowExecutionSignaledEventAttributes = new WorkflowExecutionSignaledEventAttributes
                    {
                        SignalName = request.SignalName,
                        Input = request.Input,
                        Identity = request.Identity,
                        Header = request.Header,
                    },
                }, Clock.UtcNow);
                ScheduleWorkflowTaskIfIdle(run);
            }
            return new SignalWorkflowExecutionResponse();
        }
    }

    public DescribeWorkflowExecutionResponse DescribeWorkflowExecution(DescribeWorkflowExecutionRequest request)
    {
        lock (_gate)
        {
            var ns = GetNamespace(request.Namespace);
            var run = GetRun(ns, request.Execution?.WorkflowId ?? "", request.Execution?.RunId);
            var info = ExecutionInfo(run);
            var response = new DescribeWorkflowExecutionResponse
            {
                ExecutionConfig = new Temporalio.Api.Workflow.V1.WorkflowExecutionConfig
                {
                    TaskQueue = run.Started.TaskQueue,
                    WorkflowExecutionTimeout = run.Started.WorkflowExecutionTimeout,
                    WorkflowRunTimeout = run.Started.WorkflowRunTimeout,
                    DefaultWorkflowTaskTimeout = run.Started.WorkflowTaskTimeout,
                },
                WorkflowExecutionInfo = info,
            };
            foreach (var activity in run.Activities.Values)
            {
                response.PendingActivities.Add(DescribeActivity(activity));
            }
            foreach (var child in run.Children.Values)
            {
                response.PendingChildren.Add(new Temporalio.Api.Workflow.V1.PendingChildExecutionInfo
                {
                    WorkflowId = child.Initiated.WorkflowId,
                    RunId = child.FirstRun?.RunId ?? "",
                    WorkflowTypeName = child.Initiated.WorkflowType.Name,
                    InitiatedId = child.InitiatedEventId,
                    ParentClosePolicy = child.Initiated.ParentClosePolicy,
                });
            }
            if (run.WorkflowTask is { } task)
            {
                response.PendingWorkflowTask = new Temporalio.Api.Workflow.V1.PendingWorkflowTaskInfo
                {
                    State = task.IsStarted ? PendingWorkflowTaskState.Started : PendingWorkflowTaskState.Scheduled,
                    ScheduledTime = Timestamp.FromDateTime(task.ScheduledTime),
                    OriginalScheduledTime = Timestamp.FromDateTime(task.ScheduledTime),
                    StartedTime = task.IsStarted ? Timestamp.FromDateTime(task.StartedTime) : null,
                    Attempt = task.Attempt,
                };
            }
            return response;
        }
    }

    /// <summary>
    /// Reads history pages; with <c>wait_new_event</c> holds the call until there is something new
    /// (or, with the CLOSE_EVENT filter, until the run closes), answering empty before the caller's deadline.
    /// </summary>
    public async Task<GetWorkflowExecutionHistoryResponse> GetWorkflowExecutionHistoryAsync(
        GetWorkflowExecutionHistoryRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        var hold = HoldTime(deadline);
        var giveUp = DateTime.UtcNow + hold;
        while (true)
        {
            Task changed;
            ByteString waitToken;
            lock (_gate)
            {
                var ns = GetNamespace(request.Namespace);
                var (run, nextEventId) = ResolveHistoryPosition(ns, request);
                var closeOnly = request.HistoryEventFilterType == HistoryEventFilterType.CloseEvent;
                var response = new GetWorkflowExecutionHistoryResponse { History = new Temporalio.Api.History.V1.History() };
                if (closeOnly)
                {
                    if (!run.IsRunning && run.History.LastEvent is { } close)
                    {
                        response.History.Events.Add(close);
                        return response;
                    }
                }
                else
                {
                    var events = run.History.Events;
                    var pageSize = request.MaximumPageSize > 0 ? request.MaximumPageSize : 1000;
                    var first = (int)nextEventId - 1;
                    var count = Math.Min(pageSize, events.Count - first);
                    if (count > 0)
                    {
                        for (var i = first; i < first + count; i++)
                        {
                            response.History.Events.Add(events[i]);
                        }
                        var next = first + count + 1;
                        if (next <= events.Count || (request.WaitNewEvent && run.IsRunning))
                        {
                            response.NextPageToken = HistoryToken(run.RunId, next);
                        }
                        return response;
                    }
                }
                if (!request.WaitNewEvent || !run.IsRunning)
                {
                    return response;
                }
                waitToken = HistoryToken(run.RunId, nextEventId);
                changed = closeOnly ? run.History.WaitForClose() : run.History.WaitForChange();
            }
            var remaining = giveUp - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                return new GetWorkflowExecutionHistoryResponse { History = new Temporalio.Api.History.V1.History(), NextPageToken = waitToken };
            }
            using var linked = LinkToStopping(cancellationToken);
            try
            {
                await changed.WaitAsync(remaining, linked.Token);
            }
            catch (Exception e) when (e is TimeoutException || (e is OperationCanceledException && _stopping.IsCancellationRequested))
            {
                return new GetWorkflowExecutionHistoryResponse { History = new Temporalio.Api.History.V1.History(), NextPageToken = waitToken };
            }
            request = request.Clone();
            request.NextPageToken = waitToken;
        }
    }

    private static (WorkflowRun Run, long NextEventId) ResolveHistoryPosition(NamespaceEntry ns, GetWorkflowExecutionHistoryRequest request)
    {
        var workflowId = request.Execution?.WorkflowId ?? "";
        if (request.NextPageToken.IsEmpty)
        {
            return (GetRun(ns, workflowId, request.Execution?.RunId), 1);
        }
        var text = request.NextPageToken.ToStringUtf8();
        var separator = text.LastIndexOf(':');
        if (separator < 0 || !long.TryParse(text.AsSpan(separator + 1), out var next) || next < 1)
        {
            throw RpcErrors.InvalidArgument("Invalid NextPageToken.");
        }
        var run = GetRun(ns, workflowId, text[..separator]);
        return (run, Math.Min(next, run.History.NextEventId));
    }

    private static ByteString HistoryToken(string runId, long nextEventId) => ByteString.CopyFromUtf8($"{runId}:{nextEventId}");

    /// <summary>Decides whether a failed or timed-out run is retried under its workflow retry policy.</summary>
    private (RetryState State, TimeSpan? Backoff) NextWorkflowRetry(WorkflowRun run, Failure? failure, bool isTimeout)
    {
        var policy = run.Started.RetryPolicy;
        if (policy is null)
        {
            return (isTimeout ? RetryState.Timeout : RetryState.RetryPolicyNotSet, null);
        }
        var decision = RetryDecision(policy, run.Started.Attempt, failure, null);
        if (decision.Backoff is { } backoff && run.Started.WorkflowExecutionExpirationTime?.ToDateTime() is { } expiration
            && Clock.UtcNow + backoff >= expiration)
        {
            return (RetryState.Timeout, null);
        }
        return decision;
    }

    /// <summary>Shared activity/workflow retry arithmetic: non-retryable types, attempt limit, exponential backoff.</summary>
    private static (RetryState State, TimeSpan? Backoff) RetryDecision(RetryPolicy policy, int attempt, Failure? failure, TimeSpan? remaining)
    {
        var application = failure?.ApplicationFailureInfo;
        if (application is not null && (application.NonRetryable || policy.NonRetryableErrorTypes.Contains(application.Type)))
        {
            return (RetryState.NonRetryableFailure, null);
        }
        if (policy.MaximumAttempts > 0 && attempt >= policy.MaximumAttempts)
        {
            return (RetryState.MaximumAttemptsReached, null);
        }
        TimeSpan backoff;
        if (application?.NextRetryDelay?.ToTimeSpan() is { } explicitDelay && explicitDelay > TimeSpan.Zero)
        {
            backoff = explicitDelay;
        }
        else
        {
            var initial = policy.InitialInterval.ToTimeSpan();
            var maximum = policy.MaximumInterval.ToTimeSpan();
            var seconds = initial.TotalSeconds * Math.Pow(policy.BackoffCoefficient, attempt - 1);
            backoff = seconds >= maximum.TotalSeconds ? maximum : TimeSpan.FromSeconds(seconds);
        }
        if (remaining is { } left && backoff >= left)
        {
            return (RetryState.Timeout, null);
        }
        return (RetryState.InProgress, backoff);
    }

    /// <summary>Starts the next attempt of a run that failed or timed out under its retry policy.</summary>
    private void StartRetryRun(WorkflowRun previous, string runId, TimeSpan backoff, Failure? failure) =>
        StartNextRun(previous, runId, ContinueAsNewInitiator.Retry, previous.Started.Attempt + 1, backoff, previous.Started.LastCompletionResult, failure);

    /// <summary>
    /// Starts the run that follows <paramref name="previous"/> on the server's own initiative (a retry or the next cron
    /// run): the same workflow with the same input, options, memo and search attributes, chained to it.
    /// </summary>
    private void StartNextRun(
        WorkflowRun previous, string runId, ContinueAsNewInitiator initiator, int attempt, TimeSpan backoff, Payloads? lastCompletionResult, Failure? failure)
    {
        var old = previous.Started;
        var started = new WorkflowExecutionStartedEventAttributes
        {
            WorkflowType = old.WorkflowType,
            TaskQueue = old.TaskQueue,
            Input = old.Input,
            WorkflowExecutionTimeout = old.WorkflowExecutionTimeout,
            WorkflowRunTimeout = old.WorkflowRunTimeout,
            WorkflowTaskTimeout = old.WorkflowTaskTimeout,
            Identity = old.Identity,
            RetryPolicy = old.RetryPolicy,
            Attempt = attempt,
            WorkflowExecutionExpirationTime = old.WorkflowExecutionExpirationTime,
            CronSchedule = old.CronSchedule,
            Memo = previous.Memo,
            SearchAttributes = previous.SearchAttributes,
            Header = old.Header,
            LastCompletionResult = lastCompletionResult,
            ContinuedFailure = failure,
            Initiator = initiator,
            FirstWorkflowTaskBackoff = Duration.FromTimeSpan(backoff),
        };
        var run = CreateRun(previous.Namespace, previous.WorkflowId, runId, Guid.NewGuid().ToString(), started, previous);
        previous.NextRunId = run.RunId;
    }
}
