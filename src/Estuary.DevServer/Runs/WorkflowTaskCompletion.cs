using Estuary.DevServer.Grpc;
using Estuary.DevServer.Runs.Lifecycles;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Update.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Runs;

/// <summary>
/// A worker's RespondWorkflowTaskCompleted applied to its run: the commands and protocol messages are checked (a bad
/// one fails the task, as Temporal does), WorkflowTaskCompleted is written, and each command goes to the lifecycle it
/// starts or changes, in order.
/// </summary>
internal static class WorkflowTaskCompletion
{
    public static void Apply(WorkflowRun run, WorkflowTask task, RespondWorkflowTaskCompletedRequest request, RespondWorkflowTaskCompletedResponse response)
    {
        var tasks = run.WorkflowTasks;
        if (Validate(run, request) is { } invalid)
        {
            tasks.Fail(task, invalid.Cause, new Failure { Message = invalid.Message }, request.Identity);
            throw invalid.Cause == WorkflowTaskFailedCause.Unspecified
                ? RpcErrors.Unimplemented(invalid.Message)
                : RpcErrors.InvalidArgument(invalid.Message);
        }
        if (InvalidSearchAttributes(run, request.Commands) is { } badAttributes)
        {
            tasks.Fail(task, WorkflowTaskFailedCause.BadSearchAttributes, new Failure { Message = badAttributes }, request.Identity);
            throw RpcErrors.InvalidArgument(badAttributes);
        }
        var closes = request.Commands.Any(c => c.CommandType is CommandType.CompleteWorkflowExecution or CommandType.FailWorkflowExecution
            or CommandType.CancelWorkflowExecution or CommandType.ContinueAsNewWorkflowExecution);
        if (closes && (run.HasBufferedEvents || run.PendingUpdates.Any(u => !u.IsSent)))
        {
            // New events or updates arrived while the worker decided to close: it must see them first (Temporal's UnhandledCommand).
            tasks.Fail(task, WorkflowTaskFailedCause.UnhandledCommand,
                new Failure { Message = "UnhandledCommand: new events arrived while the workflow task was running." }, request.Identity);
            return;
        }

        if (task.IsSpeculative && CanDiscard(run, request))
        {
            Discard(run, task, request, response);
            return;
        }

        var completed = tasks.Complete(task, request);
        var needsTask = request.ForceCreateNewWorkflowTask;
        var eager = new List<PollActivityTaskQueueResponse>();
        // A ProtocolMessage command places its message's event among the commands' events; rejections write nothing.
        var placed = request.Commands.Where(c => c.CommandType == CommandType.ProtocolMessage)
            .ToDictionary(c => c.ProtocolMessageCommandAttributes.MessageId, c => request.Messages.First(m => m.Id == c.ProtocolMessageCommandAttributes.MessageId));
        foreach (var rejection in request.Messages.Where(m => !placed.ContainsKey(m.Id) && m.Body.Is(Rejection.Descriptor)))
        {
            UpdateLifecycle.ApplyMessage(run, rejection);
        }
        run.ApplyingCommands = true;
        try
        {
            foreach (var command in request.Commands)
            {
                if (command.CommandType == CommandType.ProtocolMessage)
                {
                    UpdateLifecycle.ApplyMessage(run, placed[command.ProtocolMessageCommandAttributes.MessageId]);
                    continue;
                }
                var firstEventId = run.History.NextEventId;
                needsTask |= ApplyCommand(run, command, completed.EventId, request.Identity, eager);
                if (command.UserMetadata is { } metadata && CarriesUserMetadata(command.CommandType))
                {
                    run.History.AttachUserMetadata(firstEventId, metadata);
                }
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
        UpdateLifecycle.ApplyUnplacedMessages(run, request.Messages.Where(m => !placed.ContainsKey(m.Id) && !m.Body.Is(Rejection.Descriptor)));
        response.ActivityTasks.AddRange(eager);
        needsTask |= run.HasBufferedEvents || run.PendingUpdates.Count > 0;
        run.FlushBuffer();
        if (needsTask)
        {
            tasks.Schedule(1);
        }
        run.Services.DispatchQueries(run);
    }

    /// <summary>
    /// Temporal's rule for dropping a speculative task: no commands, only rejections, nothing new arrived, and the
    /// task carried no events besides its own unless the worker can take them again.
    /// </summary>
    private static bool CanDiscard(WorkflowRun run, RespondWorkflowTaskCompletedRequest request) =>
        request.Commands.Count == 0
        && !request.ForceCreateNewWorkflowTask
        && !run.HasBufferedEvents
        && request.Messages.All(m => m.Body.Is(Rejection.Descriptor))
        && (run.History.LastEventId == run.WorkflowTasks.PreviousStartedEventId + 1 || request.Capabilities?.DiscardSpeculativeWorkflowTaskWithEvents == true);

    /// <summary>
    /// Drops a speculative task that only rejected updates: nothing is written, and the worker is told to roll its
    /// history back to the last completed task (<c>reset_history_event_id</c>).
    /// </summary>
    private static void Discard(WorkflowRun run, WorkflowTask task, RespondWorkflowTaskCompletedRequest request, RespondWorkflowTaskCompletedResponse response)
    {
        run.WorkflowTasks.Discard(task, request);
        foreach (var rejection in request.Messages)
        {
            UpdateLifecycle.ApplyMessage(run, rejection);
        }
        UpdateLifecycle.ApplyUnplacedMessages(run, []);
        response.ResetHistoryEventId = run.WorkflowTasks.PreviousStartedEventId;
        if (run.PendingUpdates.Count > 0)
        {
            run.WorkflowTasks.Schedule(1, speculative: true);
        }
        run.Services.DispatchQueries(run);
    }

    private static (WorkflowTaskFailedCause Cause, string Message)? Validate(WorkflowRun run, RespondWorkflowTaskCompletedRequest request)
    {
        if (UpdateLifecycle.ValidateMessages(run, request) is { } badMessage)
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
                    if (RunChain.IsUnset(activity.ScheduleToCloseTimeout) && RunChain.IsUnset(activity.StartToCloseTimeout))
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
                    var signal = command.SignalExternalWorkflowExecutionCommandAttributes;
                    if (signal is null || string.IsNullOrEmpty(signal.Execution?.WorkflowId) || string.IsNullOrEmpty(signal.SignalName))
                    {
                        return (WorkflowTaskFailedCause.BadSignalWorkflowExecutionAttributes, "SignalExternalWorkflowExecution needs a WorkflowId and a SignalName.");
                    }
                    break;
                case CommandType.RequestCancelExternalWorkflowExecution:
                    var cancel = command.RequestCancelExternalWorkflowExecutionCommandAttributes;
                    if (cancel is null || string.IsNullOrEmpty(cancel.WorkflowId))
                    {
                        return (WorkflowTaskFailedCause.BadRequestCancelExternalWorkflowExecutionAttributes, "RequestCancelExternalWorkflowExecution needs a WorkflowId.");
                    }
                    if (cancel.WorkflowId == run.WorkflowId && (string.IsNullOrEmpty(cancel.RunId) || cancel.RunId == run.RunId))
                    {
                        return (WorkflowTaskFailedCause.BadRequestCancelExternalWorkflowExecutionAttributes, "A workflow cannot request its own cancellation as an external workflow.");
                    }
                    break;
                case CommandType.StartChildWorkflowExecution:
                    var child = command.StartChildWorkflowExecutionCommandAttributes;
                    if (child is null || string.IsNullOrEmpty(child.WorkflowId) || string.IsNullOrEmpty(child.WorkflowType?.Name))
                    {
                        return (WorkflowTaskFailedCause.BadStartChildExecutionAttributes, "StartChildWorkflowExecution needs a WorkflowId and a WorkflowType.");
                    }
                    if (RunChain.InvalidCronSchedule(child.CronSchedule) is { } badChildCron)
                    {
                        return (WorkflowTaskFailedCause.BadStartChildExecutionAttributes, badChildCron);
                    }
                    break;
                case CommandType.ContinueAsNewWorkflowExecution:
                    // Temporal itself does not check it here (a bad schedule silently ends the chain); failing the task says why.
                    if (RunChain.InvalidCronSchedule(command.ContinueAsNewWorkflowExecutionCommandAttributes?.CronSchedule ?? "") is { } badCron)
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

    /// <summary>The first bad search attribute set by a workflow task's commands (upsert, child start, continue-as-new), or null.</summary>
    private static string? InvalidSearchAttributes(WorkflowRun run, IEnumerable<Command> commands)
    {
        foreach (var command in commands)
        {
            var attributes = command.CommandType switch
            {
                CommandType.UpsertWorkflowSearchAttributes => command.UpsertWorkflowSearchAttributesCommandAttributes?.SearchAttributes,
                CommandType.StartChildWorkflowExecution => command.StartChildWorkflowExecutionCommandAttributes?.SearchAttributes,
                CommandType.ContinueAsNewWorkflowExecution => command.ContinueAsNewWorkflowExecutionCommandAttributes?.SearchAttributes,
                _ => null,
            };
            if (run.Services.InvalidSearchAttributes(attributes) is { } message)
            {
                return message;
            }
        }
        return null;
    }

    /// <summary>
    /// The commands whose summary and details Temporal keeps on the event they write (ActivityTaskScheduled, TimerStarted,
    /// StartChildWorkflowExecutionInitiated), which the UI shows and the child takes as its own.
    /// </summary>
    private static bool CarriesUserMetadata(CommandType type) =>
        type is CommandType.ScheduleActivityTask or CommandType.StartTimer or CommandType.StartChildWorkflowExecution;

    /// <summary>Applies one command; returns true when it produced an event the workflow must see in a new task.</summary>
    private static bool ApplyCommand(WorkflowRun run, Command command, long completedEventId, string identity, List<PollActivityTaskQueueResponse> eager)
    {
        switch (command.CommandType)
        {
            case CommandType.ScheduleActivityTask:
                ScheduleActivity(run, command.ScheduleActivityTaskCommandAttributes, completedEventId, identity, eager);
                return false;
            case CommandType.RequestCancelActivityTask:
                return run.Activities[command.RequestCancelActivityTaskCommandAttributes.ScheduledEventId].RequestCancel(completedEventId);
            case CommandType.StartTimer:
                var timer = TimerLifecycle.Start(run, command.StartTimerCommandAttributes, completedEventId);
                run.Timers[timer.TimerId] = timer;
                return false;
            case CommandType.CancelTimer:
                run.Timers[command.CancelTimerCommandAttributes.TimerId].Cancel(completedEventId, identity);
                return false;
            case CommandType.CompleteWorkflowExecution:
                RunChain.Complete(run, command.CompleteWorkflowExecutionCommandAttributes.Result, completedEventId);
                return false;
            case CommandType.FailWorkflowExecution:
                RunChain.Fail(run, command.FailWorkflowExecutionCommandAttributes.Failure, completedEventId);
                return false;
            case CommandType.CancelWorkflowExecution:
                RunChain.Cancel(run, command.CancelWorkflowExecutionCommandAttributes.Details, completedEventId);
                return false;
            case CommandType.ContinueAsNewWorkflowExecution:
                RunChain.ContinueAsNew(run, command.ContinueAsNewWorkflowExecutionCommandAttributes, completedEventId);
                return false;
            case CommandType.SignalExternalWorkflowExecution:
                SignalExternal(run, command.SignalExternalWorkflowExecutionCommandAttributes, completedEventId);
                return false;
            case CommandType.RequestCancelExternalWorkflowExecution:
                RequestCancelExternal(run, command.RequestCancelExternalWorkflowExecutionCommandAttributes, completedEventId, identity);
                return false;
            case CommandType.StartChildWorkflowExecution:
                var child = ChildWorkflowLifecycle.Initiate(run, command.StartChildWorkflowExecutionCommandAttributes, completedEventId);
                run.Children[child.InitiatedEventId] = child;
                run.Services.StartChild(run, child, identity);
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
                }, run.Now);
                return false;
            case CommandType.UpsertWorkflowSearchAttributes:
                var upsert = command.UpsertWorkflowSearchAttributesCommandAttributes.SearchAttributes ?? new SearchAttributes();
                run.UpsertSearchAttributes(upsert);
                run.History.Append(new HistoryEvent
                {
                    EventType = EventType.UpsertWorkflowSearchAttributes,
                    UpsertWorkflowSearchAttributesEventAttributes = new UpsertWorkflowSearchAttributesEventAttributes
                    {
                        SearchAttributes = upsert,
                        WorkflowTaskCompletedEventId = completedEventId,
                    },
                }, run.Now);
                return false;
            case CommandType.ModifyWorkflowProperties:
                var memo = command.ModifyWorkflowPropertiesCommandAttributes.UpsertedMemo ?? new Memo();
                run.UpsertMemo(memo);
                run.History.Append(new HistoryEvent
                {
                    EventType = EventType.WorkflowPropertiesModified,
                    WorkflowPropertiesModifiedEventAttributes = new WorkflowPropertiesModifiedEventAttributes
                    {
                        UpsertedMemo = memo,
                        WorkflowTaskCompletedEventId = completedEventId,
                    },
                }, run.Now);
                return false;
            default:
                throw RpcErrors.Internal($"Command {command.CommandType} passed validation but has no handler.");
        }
    }

    /// <summary>
    /// Schedules an activity and dispatches it: through its task queue, or — when the worker asked for eager execution
    /// on the workflow's own queue — straight into <paramref name="eager"/> for the completion response.
    /// </summary>
    private static void ScheduleActivity(WorkflowRun run, ScheduleActivityTaskCommandAttributes command, long completedEventId,
        string identity, List<PollActivityTaskQueueResponse> eager)
    {
        var activity = ActivityLifecycle.Schedule(run, command, completedEventId);
        run.Activities[activity.ScheduledEventId] = activity;
        if (command.RequestEagerExecution && activity.Attributes.TaskQueue.Name == run.TaskQueue
            && activity.StartEagerly(identity) is { } started)
        {
            eager.Add(started);
            return;
        }
        activity.Dispatch();
    }

    /// <summary>Writes SignalExternalWorkflowExecutionInitiated; the server signals the target and records the outcome.</summary>
    private static void SignalExternal(WorkflowRun source, SignalExternalWorkflowExecutionCommandAttributes command, long completedEventId)
    {
        var ns = source.Namespace;
        var initiated = source.History.Append(new HistoryEvent
        {
            EventType = EventType.SignalExternalWorkflowExecutionInitiated,
            SignalExternalWorkflowExecutionInitiatedEventAttributes = new SignalExternalWorkflowExecutionInitiatedEventAttributes
            {
                Namespace = ns.Name,
                NamespaceId = ns.Id,
                WorkflowTaskCompletedEventId = completedEventId,
                WorkflowExecution = command.Execution,
                SignalName = command.SignalName,
                Input = command.Input,
                ChildWorkflowOnly = command.ChildWorkflowOnly,
                Header = command.Header,
            },
        }, source.Now);
        source.Services.SignalExternal(source, initiated, command);
    }

    /// <summary>Writes RequestCancelExternalWorkflowExecutionInitiated; the server asks the target and records the outcome.</summary>
    private static void RequestCancelExternal(WorkflowRun source, RequestCancelExternalWorkflowExecutionCommandAttributes command, long completedEventId, string identity)
    {
        var ns = source.Namespace;
        var initiated = source.History.Append(new HistoryEvent
        {
            EventType = EventType.RequestCancelExternalWorkflowExecutionInitiated,
            RequestCancelExternalWorkflowExecutionInitiatedEventAttributes = new RequestCancelExternalWorkflowExecutionInitiatedEventAttributes
            {
                WorkflowTaskCompletedEventId = completedEventId,
                Namespace = ns.Name,
                NamespaceId = ns.Id,
                WorkflowExecution = new WorkflowExecution { WorkflowId = command.WorkflowId, RunId = command.RunId },
                ChildWorkflowOnly = command.ChildWorkflowOnly,
                Reason = command.Reason,
            },
        }, source.Now);
        source.Services.RequestCancelExternal(source, initiated, command, identity);
    }
}
