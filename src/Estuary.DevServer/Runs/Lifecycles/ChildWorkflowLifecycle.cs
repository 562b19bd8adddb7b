using Estuary.DevServer.Time;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using TaskQueueMessage = Temporalio.Api.TaskQueue.V1.TaskQueue;

namespace Estuary.DevServer.Runs.Lifecycles;

/// <summary>
/// A child workflow seen from its parent run. Initiated (StartChildWorkflowExecutionInitiated written, the server then
/// starts the child) → Started (ChildWorkflowExecutionStarted) → closed (ChildWorkflowExecutionCompleted / Failed /
/// Canceled / TimedOut / Terminated, from the child's last run); or StartChildWorkflowExecutionFailed when the id is
/// taken. While the child is open, the parent's close applies its parent close policy.
/// </summary>
internal sealed class ChildWorkflowLifecycle
{
    private readonly HistoryEvent _initiatedEvent;

    private ChildWorkflowLifecycle(HistoryEvent initiated)
    {
        _initiatedEvent = initiated;
        InitiatedEventId = initiated.EventId;
        Initiated = initiated.StartChildWorkflowExecutionInitiatedEventAttributes;
    }

    public long InitiatedEventId { get; }

    public StartChildWorkflowExecutionInitiatedEventAttributes Initiated { get; }

    public string WorkflowId => Initiated.WorkflowId;

    /// <summary>The command's static summary and details (on the initiated event), which become the child's own.</summary>
    public Temporalio.Api.Sdk.V1.UserMetadata? UserMetadata => _initiatedEvent.UserMetadata;

    /// <summary>The child's first run once started; the parent's events name it even after the child continues as new.</summary>
    public string? FirstRunId { get; private set; }

    /// <summary>The parent's ChildWorkflowExecutionStarted event (its id is set once it is written), or null before.</summary>
    private HistoryEvent? _startedEvent;

    public bool IsStarted => _startedEvent is not null;

    /// <summary>Id of the parent's ChildWorkflowExecutionStarted event, 0 while not written.</summary>
    public long StartedEventId => _startedEvent?.EventId ?? 0;

    /// <summary>A StartChildWorkflowExecution command: writes StartChildWorkflowExecutionInitiated.</summary>
    public static ChildWorkflowLifecycle Initiate(WorkflowRun parent, StartChildWorkflowExecutionCommandAttributes command, long completedEventId)
    {
        // The command's namespace field is deprecated: children run in their parent's namespace.
        var ns = parent.Namespace;
        var initiated = new StartChildWorkflowExecutionInitiatedEventAttributes
        {
            Namespace = ns.Name,
            NamespaceId = ns.Id,
            WorkflowId = command.WorkflowId,
            WorkflowType = command.WorkflowType,
            TaskQueue = string.IsNullOrEmpty(command.TaskQueue?.Name)
                ? parent.Started.TaskQueue
                : new TaskQueueMessage { Name = command.TaskQueue.Name, Kind = TaskQueueKind.Normal },
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
            Priority = command.Priority,
        };
        var evt = parent.History.Append(new HistoryEvent
        {
            EventType = EventType.StartChildWorkflowExecutionInitiated,
            StartChildWorkflowExecutionInitiatedEventAttributes = initiated,
        }, parent.Now);
        return FromInitiated(evt);
    }

    /// <summary>The child a StartChildWorkflowExecutionInitiated event stands for (replay).</summary>
    public static ChildWorkflowLifecycle FromInitiated(HistoryEvent initiated) => new(initiated);

    /// <summary>The initiated event id a child event of the parent refers to.</summary>
    public static long InitiatedEventIdOf(HistoryEvent evt) => evt.EventType switch
    {
        EventType.StartChildWorkflowExecutionFailed => evt.StartChildWorkflowExecutionFailedEventAttributes.InitiatedEventId,
        EventType.ChildWorkflowExecutionStarted => evt.ChildWorkflowExecutionStartedEventAttributes.InitiatedEventId,
        EventType.ChildWorkflowExecutionCompleted => evt.ChildWorkflowExecutionCompletedEventAttributes.InitiatedEventId,
        EventType.ChildWorkflowExecutionFailed => evt.ChildWorkflowExecutionFailedEventAttributes.InitiatedEventId,
        EventType.ChildWorkflowExecutionCanceled => evt.ChildWorkflowExecutionCanceledEventAttributes.InitiatedEventId,
        EventType.ChildWorkflowExecutionTimedOut => evt.ChildWorkflowExecutionTimedOutEventAttributes.InitiatedEventId,
        EventType.ChildWorkflowExecutionTerminated => evt.ChildWorkflowExecutionTerminatedEventAttributes.InitiatedEventId,
        _ => 0,
    };

    /// <summary>ChildWorkflowExecutionStarted (replay).</summary>
    public void Apply(HistoryEvent started)
    {
        FirstRunId = started.ChildWorkflowExecutionStartedEventAttributes.WorkflowExecution.RunId;
        _startedEvent = started;
    }

    /// <summary>What the child's first run starts with; a cron child waits for its first scheduled time, and its execution timeout counts from then.</summary>
    public WorkflowExecutionStartedEventAttributes ChildStartedAttributes(string identity, DateTime now)
    {
        var started = new WorkflowExecutionStartedEventAttributes
        {
            WorkflowType = Initiated.WorkflowType,
            TaskQueue = Initiated.TaskQueue,
            Input = Initiated.Input,
            WorkflowExecutionTimeout = Initiated.WorkflowExecutionTimeout,
            WorkflowRunTimeout = Initiated.WorkflowRunTimeout,
            WorkflowTaskTimeout = Initiated.WorkflowTaskTimeout,
            Identity = identity,
            RetryPolicy = Initiated.RetryPolicy is null ? null : RetryPolicies.WithDefaults(Initiated.RetryPolicy),
            Attempt = 1,
            Memo = Initiated.Memo,
            SearchAttributes = Initiated.SearchAttributes,
            Header = Initiated.Header,
            Initiator = ContinueAsNewInitiator.Unspecified,
            CronSchedule = Initiated.CronSchedule,
        };
        var cronBackoff = string.IsNullOrEmpty(Initiated.CronSchedule) ? TimeSpan.Zero : RunChain.CronBackoff(CronSchedule.Parse(Initiated.CronSchedule), now);
        if (cronBackoff > TimeSpan.Zero)
        {
            started.FirstWorkflowTaskBackoff = Duration.FromTimeSpan(cronBackoff);
        }
        if (Initiated.WorkflowExecutionTimeout?.ToTimeSpan() is { } executionTimeout && executionTimeout > TimeSpan.Zero)
        {
            started.WorkflowExecutionExpirationTime = Timestamp.FromDateTime(now + cronBackoff + executionTimeout);
        }
        return started;
    }

    /// <summary>Whether a child cannot take this workflow id: it is running, or the reuse policy forbids another run.</summary>
    public bool IdTaken(WorkflowRun existing) =>
        existing.IsRunning
        || Initiated.WorkflowIdReusePolicy == WorkflowIdReusePolicy.RejectDuplicate
        || (Initiated.WorkflowIdReusePolicy == WorkflowIdReusePolicy.AllowDuplicateFailedOnly && existing.Status == WorkflowExecutionStatus.Completed);

    /// <summary>Initiated → Started: writes ChildWorkflowExecutionStarted (once; a close reported first writes it too).</summary>
    public void RecordStarted(WorkflowRun parent, string firstRunId)
    {
        if (IsStarted)
        {
            return;
        }
        FirstRunId = firstRunId;
        var started = new HistoryEvent
        {
            EventType = EventType.ChildWorkflowExecutionStarted,
            ChildWorkflowExecutionStartedEventAttributes = new ChildWorkflowExecutionStartedEventAttributes
            {
                Namespace = Initiated.Namespace,
                NamespaceId = Initiated.NamespaceId,
                InitiatedEventId = InitiatedEventId,
                WorkflowExecution = new WorkflowExecution { WorkflowId = WorkflowId, RunId = firstRunId },
                WorkflowType = Initiated.WorkflowType,
                Header = Initiated.Header,
            },
        };
        _startedEvent = started;
        parent.AddExternalEvent(started);
        parent.WorkflowTaskNeeded();
    }

    /// <summary>Initiated → StartChildWorkflowExecutionFailed (WORKFLOW_ALREADY_EXISTS): the child is gone from the parent.</summary>
    public void RecordStartFailed(WorkflowRun parent)
    {
        parent.Children.Remove(InitiatedEventId);
        parent.AddExternalEvent(new HistoryEvent
        {
            EventType = EventType.StartChildWorkflowExecutionFailed,
            StartChildWorkflowExecutionFailedEventAttributes = new StartChildWorkflowExecutionFailedEventAttributes
            {
                Namespace = Initiated.Namespace,
                NamespaceId = Initiated.NamespaceId,
                WorkflowId = WorkflowId,
                WorkflowType = Initiated.WorkflowType,
                Cause = StartChildWorkflowExecutionFailedCause.WorkflowAlreadyExists,
                InitiatedEventId = InitiatedEventId,
                WorkflowTaskCompletedEventId = Initiated.WorkflowTaskCompletedEventId,
            },
        });
        parent.WorkflowTaskNeeded();
    }

    /// <summary>
    /// Started, on the child's close event: writes the matching child event and leaves the parent; false (nothing
    /// written) when the child goes on in a new run (continue-as-new, retry, cron), which reports instead.
    /// </summary>
    public bool RecordClosed(WorkflowRun parent, string childRunId, HistoryEvent close)
    {
        var execution = new WorkflowExecution { WorkflowId = WorkflowId, RunId = FirstRunId ?? childRunId };
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
                        Namespace = Initiated.Namespace, NamespaceId = Initiated.NamespaceId, WorkflowExecution = execution, WorkflowType = Initiated.WorkflowType,
                        InitiatedEventId = InitiatedEventId,
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
                        Namespace = Initiated.Namespace, NamespaceId = Initiated.NamespaceId, WorkflowExecution = execution, WorkflowType = Initiated.WorkflowType,
                        InitiatedEventId = InitiatedEventId,
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
                        Namespace = Initiated.Namespace, NamespaceId = Initiated.NamespaceId, WorkflowExecution = execution, WorkflowType = Initiated.WorkflowType,
                        InitiatedEventId = InitiatedEventId,
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
                        Namespace = Initiated.Namespace, NamespaceId = Initiated.NamespaceId, WorkflowExecution = execution, WorkflowType = Initiated.WorkflowType,
                        InitiatedEventId = InitiatedEventId,
                    },
                };
                break;
            case EventType.WorkflowExecutionTerminated:
                evt = new HistoryEvent
                {
                    EventType = EventType.ChildWorkflowExecutionTerminated,
                    ChildWorkflowExecutionTerminatedEventAttributes = new ChildWorkflowExecutionTerminatedEventAttributes
                    {
                        Namespace = Initiated.Namespace, NamespaceId = Initiated.NamespaceId, WorkflowExecution = execution, WorkflowType = Initiated.WorkflowType,
                        InitiatedEventId = InitiatedEventId,
                    },
                };
                break;
            default:
                return false;
        }
        RecordStarted(parent, execution.RunId);
        parent.Children.Remove(InitiatedEventId);
        SetStartedEventId(evt);
        parent.AddExternalEvent(evt);
        parent.WorkflowTaskNeeded();
        return true;
    }

    /// <summary>
    /// A buffered close event whose started event was buffered too (-1: id not known yet) gets the id the started
    /// event was written with, from <paramref name="startedByInitiated"/>.
    /// </summary>
    public static void FillStartedEventId(HistoryEvent evt, IReadOnlyDictionary<long, long> startedByInitiated)
    {
        var initiated = InitiatedEventIdOf(evt);
        if (evt.EventType != EventType.ChildWorkflowExecutionStarted && StartedEventIdOf(evt) < 0
            && startedByInitiated.TryGetValue(initiated, out var started))
        {
            SetStartedEventId(evt, started);
        }
    }

    private static long StartedEventIdOf(HistoryEvent evt) => evt.EventType switch
    {
        EventType.ChildWorkflowExecutionCompleted => evt.ChildWorkflowExecutionCompletedEventAttributes.StartedEventId,
        EventType.ChildWorkflowExecutionFailed => evt.ChildWorkflowExecutionFailedEventAttributes.StartedEventId,
        EventType.ChildWorkflowExecutionCanceled => evt.ChildWorkflowExecutionCanceledEventAttributes.StartedEventId,
        EventType.ChildWorkflowExecutionTimedOut => evt.ChildWorkflowExecutionTimedOutEventAttributes.StartedEventId,
        EventType.ChildWorkflowExecutionTerminated => evt.ChildWorkflowExecutionTerminatedEventAttributes.StartedEventId,
        _ => 0,
    };

    private void SetStartedEventId(HistoryEvent evt) => SetStartedEventId(evt, StartedEventId > 0 ? StartedEventId : -1);

    private static void SetStartedEventId(HistoryEvent evt, long id)
    {
        switch (evt.EventType)
        {
            case EventType.ChildWorkflowExecutionCompleted:
                evt.ChildWorkflowExecutionCompletedEventAttributes.StartedEventId = id;
                break;
            case EventType.ChildWorkflowExecutionFailed:
                evt.ChildWorkflowExecutionFailedEventAttributes.StartedEventId = id;
                break;
            case EventType.ChildWorkflowExecutionCanceled:
                evt.ChildWorkflowExecutionCanceledEventAttributes.StartedEventId = id;
                break;
            case EventType.ChildWorkflowExecutionTimedOut:
                evt.ChildWorkflowExecutionTimedOutEventAttributes.StartedEventId = id;
                break;
            case EventType.ChildWorkflowExecutionTerminated:
                evt.ChildWorkflowExecutionTerminatedEventAttributes.StartedEventId = id;
                break;
            default:
                break;
        }
    }
}
