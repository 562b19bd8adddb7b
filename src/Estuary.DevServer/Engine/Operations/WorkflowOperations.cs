using Estuary.DevServer.Grpc;
using Estuary.DevServer.Namespaces;
using Estuary.DevServer.Runs;
using Estuary.DevServer.Runs.Lifecycles;
using Estuary.DevServer.Time;
using Estuary.DevServer.Visibility;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.ErrorDetails.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine.Operations;

/// <summary>Client calls on workflows: start (and signal-with-start), signal, cancel, terminate, describe, history.</summary>
internal sealed class WorkflowOperations(DevServerEngine engine)
{
    public Task<StartWorkflowExecutionResponse> StartWorkflowExecutionAsync(StartWorkflowExecutionRequest request) =>
        engine.ChangeAsync(() => Start(request));

    /// <summary>Checks a start request and starts it under its workflow id's lock; in a unit.</summary>
    public StartWorkflowExecutionResponse Start(StartWorkflowExecutionRequest request)
    {
        var cron = Validate(request);
        var ns = engine.Namespaces.Get(request.Namespace);
        engine.Namespaces.ValidateSearchAttributes(request.SearchAttributes);
        return DevServerEngine.WithWorkflowId(ns, request.WorkflowId, entry => StartOn(entry, request, cron));
    }

    private static CronSchedule? Validate(StartWorkflowExecutionRequest request)
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
        var cron = string.IsNullOrEmpty(request.CronSchedule) ? null : RunChain.ParseCron(request.CronSchedule);
        if (cron is not null && request.WorkflowStartDelay?.ToTimeSpan() > TimeSpan.Zero)
        {
            throw RpcErrors.InvalidArgument("CronSchedule and WorkflowStartDelay may not be used together.");
        }
        ValidateTimeout(request.WorkflowExecutionTimeout, "WorkflowExecutionTimeout");
        ValidateTimeout(request.WorkflowRunTimeout, "WorkflowRunTimeout");
        ValidateTimeout(request.WorkflowTaskTimeout, "WorkflowTaskTimeout");
        ValidateTimeout(request.WorkflowStartDelay, "WorkflowStartDelay");
        RetryPolicies.Validate(request.RetryPolicy);
        return cron;
    }

    /// <summary>The start itself, with the id's lock held: request-id de-duplication, conflict and reuse policies, the new run.</summary>
    private StartWorkflowExecutionResponse StartOn(WorkflowIdEntry entry, StartWorkflowExecutionRequest request, CronSchedule? cron)
    {
        var now = engine.Now;
        var firstTaskBackoff = cron is null ? request.WorkflowStartDelay?.ToTimeSpan() ?? TimeSpan.Zero : RunChain.CronBackoff(cron, now);

        // As in Temporal, a first workflow task that waits (start delay, cron) is never eager.
        var eager = request.RequestEagerExecution && engine.Options.EnableEagerWorkflowStart && firstTaskBackoff <= TimeSpan.Zero;
        if (entry.Latest is { } existing)
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
                        using (engine.Track(existing))
                        {
                            existing.Terminate("terminated by a new start (WorkflowIdConflictPolicy TERMINATE_EXISTING)", null, request.Identity);
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
            RetryPolicy = request.RetryPolicy is null ? null : RetryPolicies.WithDefaults(request.RetryPolicy),
            Attempt = 1,
            Memo = request.Memo,
            SearchAttributes = request.SearchAttributes,
            Header = request.Header,
            ContinuedFailure = request.ContinuedFailure,
            LastCompletionResult = request.LastCompletionResult,
            FirstWorkflowTaskBackoff = Duration.FromTimeSpan(firstTaskBackoff),
            CronSchedule = request.CronSchedule,
            Initiator = ContinueAsNewInitiator.Unspecified,
            Priority = request.Priority,
            VersioningOverride = DeploymentOperations.ValidOverride(request.VersioningOverride),
        };
        if (request.WorkflowExecutionTimeout?.ToTimeSpan() is { } executionTimeout && executionTimeout > TimeSpan.Zero)
        {
            // The execution timeout counts from the first run's first workflow task (cron waits for its first time).
            var cronBackoff = cron is null ? TimeSpan.Zero : firstTaskBackoff;
            started.WorkflowExecutionExpirationTime = Timestamp.FromDateTime(now + cronBackoff + executionTimeout);
        }
        var run = engine.CreateRun(entry, Guid.NewGuid().ToString(), request.RequestId, started, null, dispatchFirstTask: !eager, userMetadata: request.UserMetadata);
        var response = new StartWorkflowExecutionResponse { RunId = run.RunId, Started = true, Status = WorkflowExecutionStatus.Running };
        if (eager)
        {
            using (engine.Track(run))
            {
                // Temporal records the start's request id on the WorkflowTaskStarted event.
                var requestId = string.IsNullOrEmpty(request.RequestId) ? Guid.NewGuid().ToString() : request.RequestId;
                response.EagerWorkflowTask = run.WorkflowTasks.Start(run.WorkflowTasks.Current!, request.Identity, requestId);
            }
        }
        return response;
    }

    /// <summary>
    /// A retried eager start (same request id) gets the run's first workflow task again, as in Temporal, but only while
    /// that task is still the started first attempt of the first task; once it completed, failed or timed out the
    /// task went (or goes) through the queue and the answer carries no task.
    /// </summary>
    private static PollWorkflowTaskQueueResponse? RepeatEagerWorkflowTask(WorkflowRun run)
    {
        const long FirstWorkflowTaskStartedEventId = 3;
        if (!run.IsRunning || run.WorkflowTasks.Current is not { IsStarted: true, StartedEventId: FirstWorkflowTaskStartedEventId, Attempt: 1 } task)
        {
            return null;
        }
        var history = new Temporalio.Api.History.V1.History();
        history.Events.Add(run.History.Events.Take((int)FirstWorkflowTaskStartedEventId));
        return run.WorkflowTasks.Response(task, history);
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

    /// <summary>Signals the running workflow with this id, or starts it (with the start request's options) and then signals it.</summary>
    public Task<SignalWithStartWorkflowExecutionResponse> SignalWithStartWorkflowExecutionAsync(SignalWithStartWorkflowExecutionRequest request)
    {
        if (string.IsNullOrEmpty(request.SignalName))
        {
            throw RpcErrors.InvalidArgument("SignalName is not set on request.");
        }
        var start = new StartWorkflowExecutionRequest
        {
            Namespace = request.Namespace,
            WorkflowId = request.WorkflowId,
            WorkflowType = request.WorkflowType,
            TaskQueue = request.TaskQueue,
            Input = request.Input,
            WorkflowExecutionTimeout = request.WorkflowExecutionTimeout,
            WorkflowRunTimeout = request.WorkflowRunTimeout,
            WorkflowTaskTimeout = request.WorkflowTaskTimeout,
            Identity = request.Identity,
            RequestId = request.RequestId,
            WorkflowIdReusePolicy = request.WorkflowIdReusePolicy,
            RetryPolicy = request.RetryPolicy,
            CronSchedule = request.CronSchedule,
            Memo = request.Memo,
            SearchAttributes = request.SearchAttributes,
            Header = request.Header,
            WorkflowStartDelay = request.WorkflowStartDelay,
            UserMetadata = request.UserMetadata,
            Priority = request.Priority,
            VersioningOverride = request.VersioningOverride,
        };
        return engine.ChangeAsync(() =>
        {
            var ns = engine.Namespaces.Get(request.Namespace);
            // Checked even when the signal goes to a running workflow, as Temporal checks the whole request.
            engine.Namespaces.ValidateSearchAttributes(request.SearchAttributes);
            return DevServerEngine.WithWorkflowId(ns, request.WorkflowId ?? "", entry =>
            {
                var started = false;
                if (entry.Latest is not { IsRunning: true } run)
                {
                    var cron = Validate(start);
                    var response = StartOn(entry, start, cron);
                    run = ns.Runs[response.RunId];
                    started = response.Started;
                }
                using (engine.Track(run))
                {
                    run.Signal(request.SignalName, request.SignalInput, request.Identity, request.Header, requestId: request.RequestId);
                }
                return new SignalWithStartWorkflowExecutionResponse { RunId = run.RunId, Started = started };
            });
        });
    }

    public Task<SignalWorkflowExecutionResponse> SignalWorkflowExecutionAsync(SignalWorkflowExecutionRequest request)
    {
        if (string.IsNullOrEmpty(request.SignalName))
        {
            throw RpcErrors.InvalidArgument("SignalName is not set on request.");
        }
        return engine.ChangeAsync(() =>
        {
            var run = RunningRun(request.Namespace, request.WorkflowExecution);
            return engine.Change(run, () =>
            {
                ThrowIfClosed(run);
                run.Signal(request.SignalName, request.Input, request.Identity, request.Header, requestId: request.RequestId);
                return new SignalWorkflowExecutionResponse();
            });
        });
    }

    public Task<TerminateWorkflowExecutionResponse> TerminateWorkflowExecutionAsync(TerminateWorkflowExecutionRequest request) =>
        engine.ChangeAsync(() =>
        {
            var run = RunningRun(request.Namespace, request.WorkflowExecution);
            if (!string.IsNullOrEmpty(request.FirstExecutionRunId) && run.FirstRunId != request.FirstExecutionRunId)
            {
                throw RpcErrors.NotFound("workflow execution not found for the given first execution run ID");
            }
            return engine.Change(run, () =>
            {
                ThrowIfClosed(run);
                run.Terminate(request.Reason, request.Details, request.Identity);
                return new TerminateWorkflowExecutionResponse();
            });
        });

    public Task<RequestCancelWorkflowExecutionResponse> RequestCancelWorkflowExecutionAsync(RequestCancelWorkflowExecutionRequest request) =>
        engine.ChangeAsync(() =>
        {
            var run = RunningRun(request.Namespace, request.WorkflowExecution);
            return engine.Change(run, () =>
            {
                ThrowIfClosed(run);
                run.RequestCancel(request.Reason, request.Identity);
                return new RequestCancelWorkflowExecutionResponse();
            });
        });

    /// <summary>
    /// Sets or removes a run's versioning override (the only option of the mask served here), recorded as a
    /// WorkflowExecutionOptionsUpdated event; its waiting tasks go where the override now sends them.
    /// </summary>
    public Task<UpdateWorkflowExecutionOptionsResponse> UpdateWorkflowExecutionOptionsAsync(UpdateWorkflowExecutionOptionsRequest request) =>
        engine.ChangeAsync(() =>
        {
            var paths = request.UpdateMask?.Paths ?? [];
            if (paths.Count == 0)
            {
                throw RpcErrors.InvalidArgument("update_mask is empty: name the options to change (versioning_override).");
            }
            if (paths.FirstOrDefault(path => path is not ("versioning_override" or "versioningOverride")) is { } unknown)
            {
                throw RpcErrors.InvalidArgument($"update_mask path {unknown} is not an option this server can change (versioning_override).");
            }
            var given = DeploymentOperations.ValidOverride(request.WorkflowExecutionOptions?.VersioningOverride);
            var run = RunningRun(request.Namespace, request.WorkflowExecution);
            var options = engine.Change(run, () =>
            {
                ThrowIfClosed(run);
                run.ChangeVersioningOverride(given?.Clone(), request.Identity);
                return new Temporalio.Api.Workflow.V1.WorkflowExecutionOptions { VersioningOverride = given };
            });
            engine.Rematch(run.Namespace.Name, [run.TaskQueue]);
            return new UpdateWorkflowExecutionOptionsResponse { WorkflowExecutionOptions = options };
        });

    private WorkflowRun RunningRun(string namespaceName, Temporalio.Api.Common.V1.WorkflowExecution? execution)
    {
        var ns = engine.Namespaces.Get(namespaceName);
        return DevServerEngine.GetRun(ns, execution?.WorkflowId ?? "", execution?.RunId);
    }

    private static void ThrowIfClosed(WorkflowRun run)
    {
        if (!run.IsRunning)
        {
            throw RpcErrors.NotFound("workflow execution already completed");
        }
    }

    public Task<ResetStickyTaskQueueResponse> ResetStickyTaskQueueAsync(ResetStickyTaskQueueRequest request) =>
        engine.ChangeAsync(() =>
        {
            var run = RunningRun(request.Namespace, request.Execution);
            return engine.Change(run, () =>
            {
                run.WorkflowTasks.StickyQueue = null;
                return new ResetStickyTaskQueueResponse();
            });
        });

    public DescribeWorkflowExecutionResponse DescribeWorkflowExecution(DescribeWorkflowExecutionRequest request)
    {
        var run = RunningRun(request.Namespace, request.Execution);
        var info = RunVisibilityRecord.Of(run).ToInfo();
        return DevServerEngine.Read(run, () =>
        {
            var response = new DescribeWorkflowExecutionResponse
            {
                ExecutionConfig = new Temporalio.Api.Workflow.V1.WorkflowExecutionConfig
                {
                    TaskQueue = run.Started.TaskQueue,
                    WorkflowExecutionTimeout = run.Started.WorkflowExecutionTimeout,
                    WorkflowRunTimeout = run.Started.WorkflowRunTimeout,
                    DefaultWorkflowTaskTimeout = run.Started.WorkflowTaskTimeout,
                    UserMetadata = run.UserMetadata,
                },
                WorkflowExecutionInfo = info,
            };
            foreach (var activity in run.Activities.Values)
            {
                response.PendingActivities.Add(activity.Describe());
            }
            foreach (var child in run.Children.Values)
            {
                response.PendingChildren.Add(new Temporalio.Api.Workflow.V1.PendingChildExecutionInfo
                {
                    WorkflowId = child.WorkflowId,
                    RunId = child.FirstRunId ?? "",
                    WorkflowTypeName = child.Initiated.WorkflowType.Name,
                    InitiatedId = child.InitiatedEventId,
                    ParentClosePolicy = child.Initiated.ParentClosePolicy,
                });
            }
            if (run.WorkflowTasks.Current is { } task)
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
        });
    }

    /// <summary>
    /// Reads history pages; with <c>wait_new_event</c> holds the call until there is something new
    /// (or, with the CLOSE_EVENT filter, until the run closes), answering empty before the caller's deadline.
    /// </summary>
    public async Task<GetWorkflowExecutionHistoryResponse> GetWorkflowExecutionHistoryAsync(
        GetWorkflowExecutionHistoryRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        var hold = engine.HoldTime(deadline);
        var giveUp = DateTime.UtcNow + hold;
        var ns = engine.Namespaces.Get(request.Namespace);
        while (true)
        {
            Task changed;
            ByteString waitToken;
            var (run, nextEventId) = ResolveHistoryPosition(ns, request);
            lock (run.Gate)
            {
                nextEventId = Math.Min(nextEventId, run.History.NextEventId);
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
            using var linked = engine.LinkToStopping(cancellationToken);
            try
            {
                await changed.WaitAsync(remaining, linked.Token);
            }
            catch (Exception e) when (e is TimeoutException || (e is OperationCanceledException && engine.Stopping.IsCancellationRequested))
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
            return (DevServerEngine.GetRun(ns, workflowId, request.Execution?.RunId), 1);
        }
        var text = request.NextPageToken.ToStringUtf8();
        var separator = text.LastIndexOf(':');
        if (separator < 0 || !long.TryParse(text.AsSpan(separator + 1), out var next) || next < 1)
        {
            throw RpcErrors.InvalidArgument("Invalid NextPageToken.");
        }
        return (DevServerEngine.GetRun(ns, workflowId, text[..separator]), next);
    }

    private static ByteString HistoryToken(string runId, long nextEventId) => ByteString.CopyFromUtf8($"{runId}:{nextEventId}");
}
