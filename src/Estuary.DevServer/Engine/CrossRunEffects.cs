using Estuary.DevServer.Namespaces;
using Estuary.DevServer.Runs;
using Estuary.DevServer.Runs.Lifecycles;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;

namespace Estuary.DevServer.Engine;

/// <summary>
/// What one run does to another, carried out at the end of the unit that caused it, when no run lock is held: each
/// step takes one run's lock at a time, so two runs acting on each other never wait for each other. As in Temporal,
/// the source learns the outcome in a later event (ChildWorkflowExecutionStarted, ExternalWorkflowExecutionSignaled,
/// …), and all of it is stored with the unit.
/// </summary>
internal sealed class CrossRunEffects(DevServerEngine engine)
{
    /// <summary>
    /// Starts an initiated child: the child's first run is created (not yet queued), the parent records
    /// ChildWorkflowExecutionStarted (or StartChildWorkflowExecutionFailed when the id is taken), then the child's first
    /// task is queued — so the parent always knows its child before the child can finish. A parent that closed
    /// meanwhile gets its parent close policy applied to the child at once.
    /// </summary>
    public void StartChild(WorkflowRun parent, ChildWorkflowLifecycle child, string identity)
    {
        var ns = parent.Namespace;
        var parentReference = new ParentReference(ns.Name, ns.Id, parent.ToExecution(), child.InitiatedEventId);
        var started = DevServerEngine.WithWorkflowId(ns, child.WorkflowId, entry =>
        {
            if (entry.Latest is { } existing && child.IdTaken(existing))
            {
                return null;
            }
            var attributes = child.ChildStartedAttributes(identity, engine.Now);
            attributes.RootWorkflowExecution = parent.RootExecution;
            attributes.Priority = Priorities.Merge(parent.Started.Priority, child.Initiated.Priority);
            return engine.CreateRun(entry, Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), attributes, null, parentReference,
                dispatchFirstTask: false, userMetadata: child.UserMetadata);
        });
        var orphaned = engine.Change(parent, () =>
        {
            if (!parent.IsRunning || !parent.Children.TryGetValue(child.InitiatedEventId, out var current) || current != child)
            {
                return started is not null;
            }
            if (started is null)
            {
                child.RecordStartFailed(parent);
            }
            else
            {
                child.RecordStarted(parent, started.RunId);
            }
            return false;
        });
        if (started is null)
        {
            return;
        }
        engine.Change(started, () =>
        {
            started.WorkflowTasks.Dispatch();
            if (orphaned)
            {
                ApplyParentClosePolicy(started, child.Initiated.ParentClosePolicy);
            }
            return true;
        });
    }

    /// <summary>Delivers a closed child's outcome to its parent (unless the child goes on in a new run, which reports instead).</summary>
    public void NotifyParent(ParentReference parentReference, WorkflowRun child, HistoryEvent close)
    {
        if (engine.Namespaces.Find(parentReference.Namespace) is not { } ns
            || !ns.Runs.TryGetValue(parentReference.Execution.RunId, out var parent))
        {
            return;
        }
        engine.Change(parent, () =>
            parent.IsRunning
            && parent.Children.TryGetValue(parentReference.InitiatedEventId, out var lifecycle)
            && lifecycle.RecordClosed(parent, child.FirstRunId, close));
    }

    /// <summary>Applies each open child's parent close policy (TERMINATE, REQUEST_CANCEL or ABANDON) when its parent closed.</summary>
    public void ApplyParentClosePolicies(WorkflowRun parent, IReadOnlyList<ChildWorkflowLifecycle> children)
    {
        foreach (var child in children)
        {
            if (child.Initiated.ParentClosePolicy is not (ParentClosePolicy.Terminate or ParentClosePolicy.RequestCancel)
                || parent.Namespace.LatestRun(child.WorkflowId) is not { } run)
            {
                continue;
            }
            engine.Change(run, () =>
            {
                if (run.Parent is { } link && link.Execution.RunId == parent.RunId && link.InitiatedEventId == child.InitiatedEventId)
                {
                    ApplyParentClosePolicy(run, child.Initiated.ParentClosePolicy);
                }
                return true;
            });
        }
    }

    private static void ApplyParentClosePolicy(WorkflowRun child, ParentClosePolicy policy)
    {
        if (!child.IsRunning)
        {
            return;
        }
        switch (policy)
        {
            case ParentClosePolicy.Terminate:
                child.Terminate("by parent close policy", null, "");
                break;
            case ParentClosePolicy.RequestCancel:
                child.RequestCancel("by parent close policy", "");
                break;
            default:
                break;
        }
    }

    /// <summary>The running target of an external command, or null (unknown, closed, or not a child when only a child may be targeted).</summary>
    private static WorkflowRun? FindTarget(WorkflowRun source, string workflowId, string? runId)
    {
        var ns = source.Namespace;
        if (string.IsNullOrEmpty(runId))
        {
            return ns.LatestRun(workflowId);
        }
        return ns.Runs.TryGetValue(runId, out var target) && target.WorkflowId == workflowId ? target : null;
    }

    private static bool Accepts(WorkflowRun target, WorkflowRun source, bool childOnly) =>
        target.IsRunning && (!childOnly || target.Parent?.Execution.RunId == source.RunId);

    /// <summary>
    /// Signals the target at once (its WorkflowExecutionSignaled names the sender), then the source sees
    /// ExternalWorkflowExecutionSignaled or SignalExternalWorkflowExecutionFailed.
    /// </summary>
    public void SignalExternal(WorkflowRun source, HistoryEvent initiated, SignalExternalWorkflowExecutionCommandAttributes command)
    {
        var target = FindTarget(source, command.Execution.WorkflowId, command.Execution.RunId);
        var signaled = target is not null && engine.Change(target, () =>
        {
            if (!Accepts(target, source, command.ChildWorkflowOnly))
            {
                return false;
            }
            target.Signal(command.SignalName, command.Input, "", command.Header, source.ToExecution());
            return true;
        });
        var ns = source.Namespace;
        engine.Change(source, () =>
        {
            if (!source.IsRunning)
            {
                return false;
            }
            source.AddExternalEvent(signaled
                ? new HistoryEvent
                {
                    EventType = EventType.ExternalWorkflowExecutionSignaled,
                    ExternalWorkflowExecutionSignaledEventAttributes = new ExternalWorkflowExecutionSignaledEventAttributes
                    {
                        InitiatedEventId = initiated.EventId,
                        Namespace = ns.Name,
                        NamespaceId = ns.Id,
                        WorkflowExecution = target!.ToExecution(),
                    },
                }
                : new HistoryEvent
                {
                    EventType = EventType.SignalExternalWorkflowExecutionFailed,
                    SignalExternalWorkflowExecutionFailedEventAttributes = new SignalExternalWorkflowExecutionFailedEventAttributes
                    {
                        Cause = SignalExternalWorkflowExecutionFailedCause.ExternalWorkflowExecutionNotFound,
                        WorkflowTaskCompletedEventId = initiated.SignalExternalWorkflowExecutionInitiatedEventAttributes.WorkflowTaskCompletedEventId,
                        Namespace = ns.Name,
                        NamespaceId = ns.Id,
                        WorkflowExecution = command.Execution,
                        InitiatedEventId = initiated.EventId,
                    },
                });
            source.WorkflowTaskNeeded();
            return true;
        });
    }

    /// <summary>
    /// Requests the target's cancellation at once (its WorkflowExecutionCancelRequested names the requester), then the
    /// source sees ExternalWorkflowExecutionCancelRequested or RequestCancelExternalWorkflowExecutionFailed.
    /// </summary>
    public void RequestCancelExternal(WorkflowRun source, HistoryEvent initiated, RequestCancelExternalWorkflowExecutionCommandAttributes command, string identity)
    {
        var target = FindTarget(source, command.WorkflowId, command.RunId);
        var requested = target is not null && engine.Change(target, () =>
        {
            if (!Accepts(target, source, command.ChildWorkflowOnly))
            {
                return false;
            }
            target.RequestCancel(command.Reason, identity, source.ToExecution(), initiated.EventId);
            return true;
        });
        var ns = source.Namespace;
        var execution = new WorkflowExecution { WorkflowId = command.WorkflowId, RunId = command.RunId };
        engine.Change(source, () =>
        {
            if (!source.IsRunning)
            {
                return false;
            }
            source.AddExternalEvent(requested
                ? new HistoryEvent
                {
                    EventType = EventType.ExternalWorkflowExecutionCancelRequested,
                    ExternalWorkflowExecutionCancelRequestedEventAttributes = new ExternalWorkflowExecutionCancelRequestedEventAttributes
                    {
                        InitiatedEventId = initiated.EventId,
                        Namespace = ns.Name,
                        NamespaceId = ns.Id,
                        WorkflowExecution = target!.ToExecution(),
                    },
                }
                : new HistoryEvent
                {
                    EventType = EventType.RequestCancelExternalWorkflowExecutionFailed,
                    RequestCancelExternalWorkflowExecutionFailedEventAttributes = new RequestCancelExternalWorkflowExecutionFailedEventAttributes
                    {
                        Cause = CancelExternalWorkflowExecutionFailedCause.ExternalWorkflowExecutionNotFound,
                        WorkflowTaskCompletedEventId = initiated.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes.WorkflowTaskCompletedEventId,
                        Namespace = ns.Name,
                        NamespaceId = ns.Id,
                        WorkflowExecution = execution,
                        InitiatedEventId = initiated.EventId,
                    },
                });
            source.WorkflowTaskNeeded();
            return true;
        });
    }
}
