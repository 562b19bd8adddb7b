using Estuary.DevServer.State;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;

namespace Estuary.DevServer.Engine;

internal sealed partial class DevServerEngine
{
    private static (WorkflowTaskFailedCause Cause, string Message)? ValidateSignalExternal(SignalExternalWorkflowExecutionCommandAttributes? signal)
    {
        if (signal is null || string.IsNullOrEmpty(signal.Execution?.WorkflowId) || string.IsNullOrEmpty(signal.SignalName))
        {
            return (WorkflowTaskFailedCause.BadSignalWorkflowExecutionAttributes, "SignalExternalWorkflowExecution needs a WorkflowId and a SignalName.");
        }
        return null;
    }

    private static (WorkflowTaskFailedCause Cause, string Message)? ValidateRequestCancelExternal(WorkflowRun run, RequestCancelExternalWorkflowExecutionCommandAttributes? cancel)
    {
        if (cancel is null || string.IsNullOrEmpty(cancel.WorkflowId))
        {
            return (WorkflowTaskFailedCause.BadRequestCancelExternalWorkflowExecutionAttributes, "RequestCancelExternalWorkflowExecution needs a WorkflowId.");
        }
        if (cancel.WorkflowId == run.WorkflowId && (string.IsNullOrEmpty(cancel.RunId) || cancel.RunId == run.RunId))
        {
            return (WorkflowTaskFailedCause.BadRequestCancelExternalWorkflowExecutionAttributes, "A workflow cannot request its own cancellation as an external workflow.");
        }
        return null;
    }

    /// <summary>The running target of an external command, or null (unknown, closed, or not a child when only a child may be targeted).</summary>
    private static WorkflowRun? FindExternalTarget(WorkflowRun source, string workflowId, string? runId, bool childOnly)
    {
        var ns = source.Namespace;
        WorkflowRun? target;
        if (string.IsNullOrEmpty(runId))
        {
            ns.LatestRuns.TryGetValue(workflowId, out target);
        }
        else if (!ns.Runs.TryGetValue(runId, out target) || target.WorkflowId != workflowId)
        {
            target = null;
        }
        if (target is not { IsRunning: true } || (childOnly && target.ParentLink?.Parent != source))
        {
            return null;
        }
        return target;
    }

    /// <summary>
    /// Writes SignalExternalWorkflowExecutionInitiated, signals the target at once, and lets the source see
    /// ExternalWorkflowExecutionSignaled or SignalExternalWorkflowExecutionFailed after its task's command events.
    /// </summary>
    private void SignalExternalWorkflow(WorkflowRun source, SignalExternalWorkflowExecutionCommandAttributes command, long completedEventId)
    {
        var now = Clock.UtcNow;
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
        }, now);
        var target = FindExternalTarget(source, command.Execution.WorkflowId, command.Execution.RunId, command.ChildWorkflowOnly);
        if (target is null)
        {
            source.AddAfterCommands(new HistoryEvent
            {
                EventType = EventType.SignalExternalWorkflowExecutionFailed,
                SignalExternalWorkflowExecutionFailedEventAttributes = new SignalExternalWorkflowExecutionFailedEventAttributes
                {
                    Cause = SignalExternalWorkflowExecutionFailedCause.ExternalWorkflowExecutionNotFound,
                    WorkflowTaskCompletedEventId = completedEventId,
                    Namespace = ns.Name,
                    NamespaceId = ns.Id,
                    WorkflowExecution = command.Execution,
                    InitiatedEventId = initiated.EventId,
                },
            });
            return;
        }
        var signaled = new HistoryEvent
        {
            EventType = EventType.WorkflowExecutionSignaled,
            WorkflowExecutionSignaledEventAttributes = new WorkflowExecutionSignaledEventAttributes
            {
                SignalName = command.SignalName,
                Input = command.Input,
                Header = command.Header,
                ExternalWorkflowExecution = source.ToExecution(),
            },
        };
        if (target == source)
        {
            // A signal to itself follows this task's command events like any other new event.
            source.AddAfterCommands(signaled);
        }
        else
        {
            using (Track(target))
            {
                target.AddExternalEvent(signaled, now);
                ScheduleWorkflowTaskIfIdle(target);
            }
        }
        source.AddAfterCommands(new HistoryEvent
        {
            EventType = EventType.ExternalWorkflowExecutionSignaled,
            ExternalWorkflowExecutionSignaledEventAttributes = new ExternalWorkflowExecutionSignaledEventAttributes
            {
                InitiatedEventId = initiated.EventId,
                Namespace = ns.Name,
                NamespaceId = ns.Id,
                WorkflowExecution = target.ToExecution(),
            },
        });
    }

    /// <summary>
    /// Writes RequestCancelExternalWorkflowExecutionInitiated, requests the target's cancellation at once, and lets
    /// the source see ExternalWorkflowExecutionCancelRequested or RequestCancelExternalWorkflowExecutionFailed.
    /// </summary>
    private void RequestCancelExternalWorkflow(WorkflowRun source, RequestCancelExternalWorkflowExecutionCommandAttributes command, long completedEventId, string identity)
    {
        var now = Clock.UtcNow;
        var ns = source.Namespace;
        var execution = new WorkflowExecution { WorkflowId = command.WorkflowId, RunId = command.RunId };
        var initiated = source.History.Append(new HistoryEvent
        {
            EventType = EventType.RequestCancelExternalWorkflowExecutionInitiated,
            RequestCancelExternalWorkflowExecutionInitiatedEventAttributes = new RequestCancelExternalWorkflowExecutionInitiatedEventAttributes
            {
                WorkflowTaskCompletedEventId = completedEventId,
                Namespace = ns.Name,
                NamespaceId = ns.Id,
                WorkflowExecution = execution,
                ChildWorkflowOnly = command.ChildWorkflowOnly,
                Reason = command.Reason,
            },
        }, now);
        var target = FindExternalTarget(source, command.WorkflowId, command.RunId, command.ChildWorkflowOnly);
        if (target is null)
        {
            source.AddAfterCommands(new HistoryEvent
            {
                EventType = EventType.RequestCancelExternalWorkflowExecutionFailed,
                RequestCancelExternalWorkflowExecutionFailedEventAttributes = new RequestCancelExternalWorkflowExecutionFailedEventAttributes
                {
                    Cause = CancelExternalWorkflowExecutionFailedCause.ExternalWorkflowExecutionNotFound,
                    WorkflowTaskCompletedEventId = completedEventId,
                    Namespace = ns.Name,
                    NamespaceId = ns.Id,
                    WorkflowExecution = execution,
                    InitiatedEventId = initiated.EventId,
                },
            });
            return;
        }
        using (Track(target))
        {
            RequestCancel(target, command.Reason, identity, source, initiated.EventId);
        }
        source.AddAfterCommands(new HistoryEvent
        {
            EventType = EventType.ExternalWorkflowExecutionCancelRequested,
            ExternalWorkflowExecutionCancelRequestedEventAttributes = new ExternalWorkflowExecutionCancelRequestedEventAttributes
            {
                InitiatedEventId = initiated.EventId,
                Namespace = ns.Name,
                NamespaceId = ns.Id,
                WorkflowExecution = target.ToExecution(),
            },
        });
    }
}
