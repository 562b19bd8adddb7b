using Estuary.DevServer.State;
using Estuary.DevServer.Time;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using TaskQueueMessage = Temporalio.Api.TaskQueue.V1.TaskQueue;

namespace Estuary.DevServer.Engine;

internal sealed partial class DevServerEngine
{
    private static (WorkflowTaskFailedCause Cause, string Message)? ValidateStartChild(StartChildWorkflowExecutionCommandAttributes? child)
    {
        if (child is null || string.IsNullOrEmpty(child.WorkflowId) || string.IsNullOrEmpty(child.WorkflowType?.Name))
        {
            return (WorkflowTaskFailedCause.BadStartChildExecutionAttributes, "StartChildWorkflowExecution needs a WorkflowId and a WorkflowType.");
        }
        return InvalidCronSchedule(child.CronSchedule) is { } badCron
            ? (WorkflowTaskFailedCause.BadStartChildExecutionAttributes, badCron)
            : null;
    }

    /// <summary>
    /// Writes StartChildWorkflowExecutionInitiated and starts the child at once; the parent's
    /// ChildWorkflowExecutionStarted (or StartChildWorkflowExecutionFailed) follows the task's command events.
    /// </summary>
    private void StartChildWorkflow(WorkflowRun parent, StartChildWorkflowExecutionCommandAttributes command, long completedEventId, string identity)
    {
        var now = Clock.UtcNow;
        // The command's namespace field is deprecated: children run in their parent's namespace.
        var ns = parent.Namespace;
        var taskQueue = string.IsNullOrEmpty(command.TaskQueue?.Name)
            ? parent.Started.TaskQueue
            : new TaskQueueMessage { Name = command.TaskQueue.Name, Kind = TaskQueueKind.Normal };
        var initiated = new StartChildWorkflowExecutionInitiatedEventAttributes
        {
            Namespace = ns.Name,
            NamespaceId = ns.Id,
            WorkflowId = command.WorkflowId,
            WorkflowType = command.WorkflowType,
            TaskQueue = taskQueue,
            Input = command.Input,
            WorkflowExecutionTimeout = command.WorkflowExecutionTimeout,
            WorkflowRunTimeout = command.WorkflowRunTimeout,
            WorkflowTaskTimeout = command.WorkflowTaskTimeout,
            // Temporal's default policy is TERMINATE.
            ParentClosePolicy = command.ParentClosePolicy == ParentClosePolicy.Unspecified ? ParentClosePolicy.Terminate : command.ParentClosePolicy,
            WorkflowTaskCompletedEventId = completedEventId,
            WorkflowIdReusePolicy = command.WorkflowIdReusePolicy,
            RetryPolicy = command.RetryPolicy,
            Header = command.Header,
            Memo = command.Memo,
            SearchAttributes = command.SearchAttributes,
            CronSchedule = command.CronSchedule,
        };
        var initiatedEvent = parent.History.Append(new HistoryEvent
        {
            EventType = EventType.StartChildWorkflowExecutionInitiated,
            StartChildWorkflowExecutionInitiatedEventAttributes = initiated,
        }, now);

        if (ns.LatestRuns.TryGetValue(command.WorkflowId, out var existing) && ChildIdTaken(existing, command.WorkflowIdReusePolicy))
        {
            parent.AddAfterCommands(new HistoryEvent
            {
                EventType = EventType.StartChildWorkflowExecutionFailed,
                StartChildWorkflowExecutionFailedEventAttributes = new StartChildWorkflowExecutionFailedEventAttributes
                {
                    Namespace = ns.Name,
                    NamespaceId = ns.Id,
                    WorkflowId = command.WorkflowId,
                    WorkflowType = command.WorkflowType,
                    Cause = StartChildWorkflowExecutionFailedCause.WorkflowAlreadyExists,
                            InitiatedEventId = initiatedEvent.EventId,
                    WorkflowTaskCompletedEventId = completedEventId,
                },
            });
            return;
        }

        var child = new ChildWorkflowState { Parent = parent, InitiatedEventId = initiatedEvent.EventId, Initiated = initiated, Namespace = ns };
        var started = new WorkflowExecutionStartedEventAttributes
        {
            WorkflowType = command.WorkflowType,
            TaskQueue = taskQueue,
            Input = command.Input,
            WorkflowExecutionTimeout = command.WorkflowExecutionTimeout,
            WorkflowRunTimeout = command.WorkflowRunTimeout,
            WorkflowTaskTimeout = command.WorkflowTaskTimeout,
            Identity = identity,
            RetryPolicy = command.RetryPolicy is null ? null : WithRetryDefaults(command.RetryPolicy),
            Attempt = 1,
            Memo = command.Memo,
            SearchAttributes = command.SearchAttributes,
            Header = command.Header,
            Initiator = ContinueAsNewInitiator.Unspecified,
            CronSchedule = command.CronSchedule,
        };
        // A cron child waits for its first scheduled time; its execution timeout counts from then.
        var cronBackoff = string.IsNullOrEmpty(command.CronSchedule) ? TimeSpan.Zero : CronBackoff(CronSchedule.Parse(command.CronSchedule), now);
        if (cronBackoff > TimeSpan.Zero)
        {
            started.FirstWorkflowTaskBackoff = Duration.FromTimeSpan(cronBackoff);
        }
        if (command.WorkflowExecutionTimeout?.ToTimeSpan() is { } executionTimeout && executionTimeout > TimeSpan.Zero)
        {
            started.WorkflowExecutionExpirationTime = Timestamp.FromDateTime(now + cronBackoff + executionTimeout);
        }
        parent.Children[child.InitiatedEventId] = child;
        var run = CreateRun(ns, command.WorkflowId, Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), started, null, child);
        child.FirstRun = run;
        var startedEvent = new HistoryEvent
        {
            EventType = EventType.ChildWorkflowExecutionStarted,
            ChildWorkflowExecutionStartedEventAttributes = new ChildWorkflowExecutionStartedEventAttributes
            {
                Namespace = ns.Name,
                NamespaceId = ns.Id,
                InitiatedEventId = child.InitiatedEventId,
                WorkflowExecution = run.ToExecution(),
                WorkflowType = command.WorkflowType,
                Header = command.Header,
            },
        };
        parent.AddAfterCommands(startedEvent);
        child.StartedEvent = startedEvent;
    }

    /// <summary>Whether a child cannot take this workflow id: it is running, or the reuse policy forbids another run.</summary>
    private static bool ChildIdTaken(WorkflowRun existing, WorkflowIdReusePolicy policy) =>
        existing.IsRunning
        || policy == WorkflowIdReusePolicy.RejectDuplicate
        || (policy == WorkflowIdReusePolicy.AllowDuplicateFailedOnly && existing.Status == WorkflowExecutionStatus.Completed);

    /// <summary>Delivers a closed child's result to its parent (unless the child goes on in a new run).</summary>
    private void NotifyParent(WorkflowRun run)
    {
        if (run.ParentLink is not { } child || child.Parent is not { IsRunning: true } parent
            || !parent.Children.Remove(child.InitiatedEventId) || run.History.LastEvent is not { } close)
        {
            return;
        }
        var execution = child.FirstRun!.ToExecution();
        var type = child.Initiated.WorkflowType;
        var ns = child.Namespace;
        var startedEventId = child.StartedEvent!.EventId;
        HistoryEvent evt;
        switch (close.EventType)
        {
            case EventType.WorkflowExecutionCompleted when string.IsNullOrEmpty(close.WorkflowExecutionCompletedEventAttributes.NewExecutionRunId):
                evt = new HistoryEvent
                {
                    EventType = EventType.ChildWorkflowExecutionCompleted,
                    ChildWorkflowExecutionCompletedEventAttributes = new ChildWorkflowExecutionCompletedEventAttributes
                    {
                        Result = close.WorkflowExecutionCompletedEventAttributes.Result,
                        Namespace = ns.Name, NamespaceId = ns.Id, WorkflowExecution = execution, WorkflowType = type,
                        InitiatedEventId = child.InitiatedEventId, StartedEventId = startedEventId,
                    },
                };
                break;
            case EventType.WorkflowExecutionFailed when string.IsNullOrEmpty(close.WorkflowExecutionFailedEventAttributes.NewExecutionRunId):
                evt = new HistoryEvent
                {
                    EventType = EventType.ChildWorkflowExecutionFailed,
                    ChildWorkflowExecutionFailedEventAttributes = new ChildWorkflowExecutionFailedEventAttributes
                    {
                        Failure = close.WorkflowExecutionFailedEventAttributes.Failure,
                        RetryState = close.WorkflowExecutionFailedEventAttributes.RetryState,
                        Namespace = ns.Name, NamespaceId = ns.Id, WorkflowExecution = execution, WorkflowType = type,
                        InitiatedEventId = child.InitiatedEventId, StartedEventId = startedEventId,
                    },
                };
                break;
            case EventType.WorkflowExecutionCanceled:
                evt = new HistoryEvent
                {
                    EventType = EventType.ChildWorkflowExecutionCanceled,
                    ChildWorkflowExecutionCanceledEventAttributes = new ChildWorkflowExecutionCanceledEventAttributes
                    {
                        Details = close.WorkflowExecutionCanceledEventAttributes.Details,
                        Namespace = ns.Name, NamespaceId = ns.Id, WorkflowExecution = execution, WorkflowType = type,
                        InitiatedEventId = child.InitiatedEventId, StartedEventId = startedEventId,
                    },
                };
                break;
            case EventType.WorkflowExecutionTimedOut when string.IsNullOrEmpty(close.WorkflowExecutionTimedOutEventAttributes.NewExecutionRunId):
                evt = new HistoryEvent
                {
                    EventType = EventType.ChildWorkflowExecutionTimedOut,
                    ChildWorkflowExecutionTimedOutEventAttributes = new ChildWorkflowExecutionTimedOutEventAttributes
                    {
                        RetryState = close.WorkflowExecutionTimedOutEventAttributes.RetryState,
                        Namespace = ns.Name, NamespaceId = ns.Id, WorkflowExecution = execution, WorkflowType = type,
                        InitiatedEventId = child.InitiatedEventId, StartedEventId = startedEventId,
                    },
                };
                break;
            case EventType.WorkflowExecutionTerminated:
                evt = new HistoryEvent
                {
                    EventType = EventType.ChildWorkflowExecutionTerminated,
                    ChildWorkflowExecutionTerminatedEventAttributes = new ChildWorkflowExecutionTerminatedEventAttributes
                    {
                        Namespace = ns.Name, NamespaceId = ns.Id, WorkflowExecution = execution, WorkflowType = type,
                        InitiatedEventId = child.InitiatedEventId, StartedEventId = startedEventId,
                    },
                };
                break;
            default:
                // Continued as new, retried or the next cron run: that run keeps the parent link and reports instead.
                parent.Children[child.InitiatedEventId] = child;
                return;
        }
        using (Track(parent))
        {
            parent.AddExternalEvent(evt, Clock.UtcNow);
            ScheduleWorkflowTaskIfIdle(parent);
        }
    }

    /// <summary>Applies each open child's parent close policy when its parent closes.</summary>
    private void ApplyParentClosePolicies(WorkflowRun parent)
    {
        var children = parent.Children.Values.ToList();
        parent.Children.Clear();
        foreach (var child in children)
        {
            if (child.CurrentRun is not { IsRunning: true } run)
            {
                continue;
            }
            using (Track(run))
            {
                switch (child.Initiated.ParentClosePolicy)
                {
                    case ParentClosePolicy.Terminate:
                        Terminate(run, "by parent close policy", null, "");
                        break;
                    case ParentClosePolicy.RequestCancel:
                        RequestCancel(run, "by parent close policy", "");
                        break;
                    default:
                        break;
                }
            }
        }
    }
}
