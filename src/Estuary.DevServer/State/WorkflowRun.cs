using Estuary.DevServer.Time;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;

namespace Estuary.DevServer.State;

/// <summary>
/// One run of a workflow: its history plus the mutable state Temporal derives from it (pending workflow task,
/// activities, timers, stickiness). Events that arrive while a workflow task is in a worker's hands are
/// buffered and written after that task's completion, as Temporal does, so replays see a consistent history.
/// </summary>
internal sealed class WorkflowRun
{
    private readonly List<HistoryEvent> _buffered = [];

    public required NamespaceEntry Namespace { get; init; }

    public required string WorkflowId { get; init; }

    public required string RunId { get; init; }

    public required string FirstRunId { get; init; }

    public required WorkflowExecutionStartedEventAttributes Started { get; init; }

    public required string RequestId { get; init; }

    public required DateTime StartTime { get; init; }

    /// <summary>Start time plus the first workflow task backoff (cron, retry, start delay).</summary>
    public required DateTime ExecutionTime { get; init; }

    public History History { get; } = new();

    public WorkflowExecutionStatus Status { get; set; } = WorkflowExecutionStatus.Running;

    public bool IsRunning => Status == WorkflowExecutionStatus.Running;

    public DateTime? CloseTime { get; set; }

    /// <summary>Run that continues this one (continue-as-new, retry, cron).</summary>
    public string? NextRunId { get; set; }

    public WorkflowTaskState? WorkflowTask { get; set; }

    /// <summary>Started event id of the last completed workflow task; sticky tasks carry history after it.</summary>
    public long PreviousStartedEventId { get; set; }

    /// <summary>Whether at least one workflow task completed (the first one carries SDK metadata).</summary>
    public int CompletedWorkflowTasks { get; set; }

    public string? StickyQueue { get; set; }

    public TimeSpan StickyScheduleToStartTimeout { get; set; }

    public Dictionary<long, ActivityState> Activities { get; } = [];

    public Dictionary<string, TimerState> Timers { get; } = new(StringComparer.Ordinal);

    public Memo Memo { get; set; } = new();

    public SearchAttributes SearchAttributes { get; set; } = new();

    public bool CancelRequested { get; set; }

    /// <summary>Queries waiting for a worker to take them, oldest first.</summary>
    public List<PendingQuery> Queries { get; } = [];

    /// <summary>The query task in a worker's hands; the SDK worker drops query tasks that overlap, so they go out one at a time.</summary>
    public PendingQuery? QueryInWorker { get; set; }

    /// <summary>Every update addressed to this run, by update id (a repeated update id gets the same update).</summary>
    public Dictionary<string, WorkflowUpdate> Updates { get; } = new(StringComparer.Ordinal);

    /// <summary>Updates neither accepted nor rejected yet, in admission order; each rides on the next workflow task.</summary>
    public List<WorkflowUpdate> PendingUpdates { get; } = [];

    /// <summary>Set when this run is (a continuation of) a child workflow.</summary>
    public ChildWorkflowState? ParentLink { get; init; }

    /// <summary>Children this run started that have not closed yet, by initiated event id.</summary>
    public Dictionary<long, ChildWorkflowState> Children { get; } = [];

    public ScheduledTimer? RunTimeout { get; set; }

    public ScheduledTimer? StartBackoff { get; set; }

    /// <summary>Workflow task timeout applied to every task of this run.</summary>
    public TimeSpan WorkflowTaskTimeout => Started.WorkflowTaskTimeout?.ToTimeSpan() ?? TimeSpan.FromSeconds(10);

    public string TaskQueue => Started.TaskQueue.Name;

    /// <summary>Nesting depth of work tracking (see the engine's Track).</summary>
    public int TrackingDepth { get; set; }

    /// <summary>Set while a completed workflow task's commands are applied: new tasks wait until all are applied.</summary>
    public bool ApplyingCommands { get; set; }

    public bool HasBufferedEvents => _buffered.Count > 0;

    /// <summary>Tasks that are waiting for or held by a worker; time skipping waits while any exist.</summary>
    public int OutstandingWork
    {
        get
        {
            var count = WorkflowTask is null ? 0 : 1;
            foreach (var activity in Activities.Values)
            {
                if (activity.IsOutstanding)
                {
                    count++;
                }
            }
            return count;
        }
    }

    /// <summary>Writes an event now, or buffers it while a workflow task is started.</summary>
    public void AddExternalEvent(HistoryEvent evt, DateTime now)
    {
        if (WorkflowTask is { IsStarted: true })
        {
            _buffered.Add(evt);
        }
        else
        {
            History.Append(evt, now);
        }
    }

    /// <summary>Buffers an event produced while a workflow task's commands are applied, so it follows all their events.</summary>
    public void AddAfterCommands(HistoryEvent evt) => _buffered.Add(evt);

    /// <summary>Writes buffered events; an activity's terminal event gets the id of the started event just before it.</summary>
    public void FlushBuffer(DateTime now)
    {
        long lastActivityStarted = 0;
        foreach (var evt in _buffered)
        {
            History.Append(evt, now);
            switch (evt.EventType)
            {
                case EventType.ActivityTaskStarted:
                    lastActivityStarted = evt.EventId;
                    break;
                case EventType.ActivityTaskCompleted when evt.ActivityTaskCompletedEventAttributes.StartedEventId < 0:
                    evt.ActivityTaskCompletedEventAttributes.StartedEventId = lastActivityStarted;
                    break;
                case EventType.ActivityTaskFailed when evt.ActivityTaskFailedEventAttributes.StartedEventId < 0:
                    evt.ActivityTaskFailedEventAttributes.StartedEventId = lastActivityStarted;
                    break;
                case EventType.ActivityTaskTimedOut when evt.ActivityTaskTimedOutEventAttributes.StartedEventId < 0:
                    evt.ActivityTaskTimedOutEventAttributes.StartedEventId = lastActivityStarted;
                    break;
                case EventType.ActivityTaskCanceled when evt.ActivityTaskCanceledEventAttributes.StartedEventId < 0:
                    evt.ActivityTaskCanceledEventAttributes.StartedEventId = lastActivityStarted;
                    break;
                default:
                    break;
            }
        }
        _buffered.Clear();
    }

    public Temporalio.Api.Common.V1.WorkflowExecution ToExecution() => new() { WorkflowId = WorkflowId, RunId = RunId };
}
