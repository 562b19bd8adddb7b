using Estuary.DevServer.Deployments;
using Estuary.DevServer.Namespaces;
using Estuary.DevServer.Runs.Lifecycles;
using Estuary.DevServer.Time;
using Google.Protobuf.Collections;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Sdk.V1;
using Temporalio.Api.Workflow.V1;

namespace Estuary.DevServer.Runs;

/// <summary>
/// One workflow run (a workflow execution: workflow id + run id): its history and the mutable state Temporal derives
/// from it — the pending workflow task, activities, timers, children, updates — each kept by its own lifecycle.
/// Every change happens under <see cref="Gate"/> (shared by the runs of one workflow id). Events that arrive while a
/// workflow task is in a worker's hands are buffered and written after that task's completion, as Temporal does, so
/// replays see a consistent history. The state can be rebuilt by replaying the history (<see cref="Restore"/>),
/// plus the few things history does not hold (<see cref="RunRecord"/>).
/// </summary>
internal sealed class WorkflowRun
{
    private readonly List<HistoryEvent> _buffered = [];
    private HashSet<string>? _signalRequestIds;

    public WorkflowRun(IRunServices services, WorkflowIdEntry entry, string runId, string requestId,
        WorkflowExecutionStartedEventAttributes started, DateTime startTime, UserMetadata? userMetadata = null)
    {
        UserMetadata = userMetadata;
        Services = services;
        Entry = entry;
        RunId = runId;
        RequestId = requestId;
        Started = started;
        StartTime = startTime;
        FirstRunId = string.IsNullOrEmpty(started.FirstExecutionRunId) ? runId : started.FirstExecutionRunId;
        ExecutionTime = startTime + (started.FirstWorkflowTaskBackoff?.ToTimeSpan() ?? TimeSpan.Zero);
        Memo = started.Memo?.Clone() ?? new Memo();
        SearchAttributes = started.SearchAttributes?.Clone() ?? new SearchAttributes();
        if (started.ParentWorkflowExecution is { } parent && !string.IsNullOrEmpty(parent.WorkflowId))
        {
            Parent = new ParentReference(started.ParentWorkflowNamespace, started.ParentWorkflowNamespaceId, parent, started.ParentInitiatedEventId);
        }
        RootExecution = started.RootWorkflowExecution ?? ToExecution();
        Versioning = RunVersioning.Of(started);
        WorkflowTasks = new WorkflowTaskLifecycle(this);
    }

    public IRunServices Services { get; }

    public WorkflowIdEntry Entry { get; }

    /// <summary>The lock every change to this run (and to the other runs of its workflow id) happens under.</summary>
    public object Gate => Entry;

    public NamespaceEntry Namespace => Entry.Namespace;

    public string WorkflowId => Entry.WorkflowId;

    public string RunId { get; }

    public string FirstRunId { get; }

    /// <summary>The start request's id: a retried start with the same id gets this run again.</summary>
    public string RequestId { get; }

    public WorkflowExecutionStartedEventAttributes Started { get; }

    /// <summary>The run's static summary and details (the started event's <c>user_metadata</c>), or null.</summary>
    public UserMetadata? UserMetadata { get; }

    public DateTime StartTime { get; }

    /// <summary>Start time plus the first workflow task backoff (cron, retry, start delay).</summary>
    public DateTime ExecutionTime { get; }

    /// <summary>The run that started this one's chain as a child, or null.</summary>
    public ParentReference? Parent { get; }

    /// <summary>The run at the top of this run's chain of parents (itself when it has no parent), as Temporal reports it.</summary>
    public WorkflowExecution RootExecution { get; }

    public History History { get; } = new();

    public DateTime Now => Services.Now;

    public WorkflowExecutionStatus Status { get; private set; } = WorkflowExecutionStatus.Running;

    /// <summary>Which workers its tasks go to; replaced as a whole (task matching reads it without the run's lock).</summary>
    public RunVersioning Versioning { get => Volatile.Read(ref _versioning); private set => Volatile.Write(ref _versioning, value); }

    private RunVersioning _versioning = RunVersioning.None;

    /// <summary>Takes what a just-written workflow task completion says about the run's versioning.</summary>
    public void ApplyVersioning(HistoryEvent evt) => Versioning = Versioning.After(evt);

    /// <summary>
    /// Sets (or, with null, removes) the run's versioning override (UpdateWorkflowExecutionOptions) and records the change
    /// as a WorkflowExecutionOptionsUpdated event. The event is marked as one a worker may ignore: the SDK's workflow
    /// worker (Temporalio 1.22.0) fails a task whose history holds it otherwise.
    /// </summary>
    public void ChangeVersioningOverride(VersioningOverride? given, string identity)
    {
        RestoreVersioningOverride(given);
        AddExternalEvent(new HistoryEvent
        {
            EventType = EventType.WorkflowExecutionOptionsUpdated,
            WorkerMayIgnore = true,
            WorkflowExecutionOptionsUpdatedEventAttributes = new WorkflowExecutionOptionsUpdatedEventAttributes
            {
                VersioningOverride = given?.Clone(),
                UnsetVersioningOverride = given is null,
                Identity = identity,
            },
        });
    }

    /// <summary>Takes back the override the run's record holds (its event is already in the history).</summary>
    public void RestoreVersioningOverride(VersioningOverride? given) => Versioning = Versioning with { Override = given, OverrideChanged = true };

    public bool IsRunning => Status == WorkflowExecutionStatus.Running;

    public DateTime? CloseTime { get; private set; }

    /// <summary>Run that continues this one (continue-as-new, retry, cron).</summary>
    public string? NextRunId { get; private set; }

    public WorkflowTaskLifecycle WorkflowTasks { get; }

    /// <summary>Activities not closed yet, by scheduled event id.</summary>
    public Dictionary<long, ActivityLifecycle> Activities { get; } = [];

    /// <summary>Timers not fired or cancelled yet, by timer id.</summary>
    public Dictionary<string, TimerLifecycle> Timers { get; } = new(StringComparer.Ordinal);

    /// <summary>Children this run initiated whose outcome it has not seen yet, by initiated event id.</summary>
    public Dictionary<long, ChildWorkflowLifecycle> Children { get; } = [];

    /// <summary>Every update addressed to this run, by update id (a repeated update id gets the same update).</summary>
    public Dictionary<string, UpdateLifecycle> Updates { get; } = new(StringComparer.Ordinal);

    /// <summary>Updates neither accepted nor rejected yet, in admission order; each rides on the next workflow task.</summary>
    public List<UpdateLifecycle> PendingUpdates { get; } = [];

    /// <summary>The run's memo. Never changed in place (an upsert replaces it), so a reader may keep a reference.</summary>
    public Memo Memo { get; private set; }

    /// <summary>The run's search attributes. Never changed in place (an upsert replaces them), so a reader may keep a reference.</summary>
    public SearchAttributes SearchAttributes { get; private set; }

    public bool CancelRequested { get; private set; }

    /// <summary>Queries waiting for a worker to take them, oldest first.</summary>
    public List<PendingQuery> Queries { get; } = [];

    /// <summary>The query task in a worker's hands; the SDK worker drops query tasks that overlap, so they go out one at a time.</summary>
    public PendingQuery? QueryInWorker { get; set; }

    /// <summary>Deadline of the run (run timeout, or the execution's expiration when earlier).</summary>
    public ScheduledTimer? RunTimeout { get; private set; }

    /// <summary>The wait before the first workflow task (start delay, cron, retry backoff).</summary>
    public ScheduledTimer? StartBackoff { get; private set; }

    /// <summary>Workflow task timeout applied to every task of this run.</summary>
    public TimeSpan WorkflowTaskTimeout => Started.WorkflowTaskTimeout?.ToTimeSpan() ?? TimeSpan.FromSeconds(10);

    public string TaskQueue => Started.TaskQueue.Name;

    /// <summary>Nesting depth of change tracking (see <see cref="IRunServices.Track"/>).</summary>
    public int TrackingDepth { get; set; }

    /// <summary>Set while a completed workflow task's commands are applied: new tasks wait until all are applied.</summary>
    public bool ApplyingCommands { get; set; }

    /// <summary>How many of the history's events the store holds (maintained by the change log).</summary>
    public int StoredEventCount { get; set; }

    /// <summary>The run's key in the store, 0 until it is first stored (maintained by the change log).</summary>
    public long StoreKey { get; set; }

    /// <summary>The status and record the store holds for the run (maintained by the change log).</summary>
    public WorkflowExecutionStatus StoredStatus { get; set; }

    /// <inheritdoc cref="StoredStatus"/>
    public byte[] StoredRecord { get; set; } = [];

    /// <summary>The change log batch the run was last recorded in (maintained by the change log).</summary>
    public long DirtyBatch { get; set; }

    public bool HasBufferedEvents => _buffered.Count > 0;

    public IReadOnlyList<HistoryEvent> BufferedEvents => _buffered;

    /// <summary>Tasks that are waiting for or held by a worker; time skipping waits while any exist.</summary>
    public int OutstandingWork
    {
        get
        {
            var count = WorkflowTasks.Current is null ? 0 : 1;
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

    public WorkflowExecution ToExecution() => new() { WorkflowId = WorkflowId, RunId = RunId };

    /// <summary>Calls <paramref name="onDue"/> at <paramref name="due"/> under this run's lock, unless cancelled first.</summary>
    public ScheduledTimer Arm(DateTime due, Action onDue) => Services.Arm(this, due, onDue);

    /// <summary>
    /// Writes the started event, arms the run's deadline and schedules the first workflow task (after any backoff);
    /// with <paramref name="dispatchFirstTask"/> false the first task is scheduled but not queued (eager start, or a
    /// child whose parent must record it first).
    /// </summary>
    public void Begin(bool dispatchFirstTask)
    {
        History.Append(new HistoryEvent
        {
            EventType = EventType.WorkflowExecutionStarted,
            WorkflowExecutionStartedEventAttributes = Started,
            UserMetadata = UserMetadata,
        }, StartTime);
        ArmRunTimeout();
        var backoff = ExecutionTime - StartTime;
        if (backoff > TimeSpan.Zero)
        {
            ArmStartBackoff();
        }
        else
        {
            WorkflowTasks.Schedule(1, dispatch: dispatchFirstTask);
        }
    }

    private void ArmRunTimeout()
    {
        // The run timeout counts from the first workflow task, after any backoff (cron, retry, start delay), as in Temporal.
        var runTimeout = Started.WorkflowRunTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
        var deadline = runTimeout > TimeSpan.Zero ? ExecutionTime + runTimeout : DateTime.MaxValue;
        if (Started.WorkflowExecutionExpirationTime?.ToDateTime() is { } expiration && expiration < deadline)
        {
            deadline = expiration;
        }
        if (deadline != DateTime.MaxValue)
        {
            RunTimeout = Arm(deadline, () => RunChain.TimeOut(this));
        }
    }

    private void ArmStartBackoff() => StartBackoff = Arm(ExecutionTime, () =>
    {
        StartBackoff = null;
        WorkflowTasks.Schedule(1);
    });

    /// <summary>Whether the first workflow task still waits for its backoff (start delay, cron, retry).</summary>
    public bool WaitsForFirstTask => StartBackoff is { IsCancelled: false };

    /// <summary>Ends the wait before the first workflow task (a signal or update arrived during a start delay).</summary>
    public void EndStartBackoff()
    {
        StartBackoff?.Cancel();
        StartBackoff = null;
    }

    /// <summary>Writes an event now, or buffers it while a workflow task is started.</summary>
    public void AddExternalEvent(HistoryEvent evt)
    {
        if (WorkflowTasks.Current is { IsStarted: true })
        {
            _buffered.Add(evt);
        }
        else
        {
            History.Append(evt, Now);
        }
    }

    /// <summary>Buffers an event produced while a workflow task's commands are applied, so it follows all their events.</summary>
    public void AddAfterCommands(HistoryEvent evt) => _buffered.Add(evt);

    /// <summary>
    /// Writes buffered events. An activity's terminal event gets the id of the started event just before it, and a
    /// child's close event that of its started event when that was buffered too.
    /// </summary>
    public void FlushBuffer()
    {
        if (_buffered.Count == 0)
        {
            return;
        }
        var now = Now;
        long lastActivityStarted = 0;
        Dictionary<long, long>? childrenStarted = null;
        foreach (var evt in _buffered)
        {
            switch (evt.EventType)
            {
                case EventType.ActivityTaskStarted:
                    History.Append(evt, now);
                    lastActivityStarted = evt.EventId;
                    continue;
                case EventType.ChildWorkflowExecutionStarted:
                    History.Append(evt, now);
                    (childrenStarted ??= [])[evt.ChildWorkflowExecutionStartedEventAttributes.InitiatedEventId] = evt.EventId;
                    continue;
                default:
                    ActivityLifecycle.FillStartedEventId(evt, lastActivityStarted);
                    if (childrenStarted is not null)
                    {
                        ChildWorkflowLifecycle.FillStartedEventId(evt, childrenStarted);
                    }
                    History.Append(evt, now);
                    break;
            }
        }
        _buffered.Clear();
    }

    /// <summary>Something new for the workflow to see: schedule a workflow task unless one is pending.</summary>
    public void WorkflowTaskNeeded(bool speculative = false) => WorkflowTasks.ScheduleIfIdle(speculative);

    /// <summary>A signal from a client or another run.</summary>
    public void Signal(string name, Payloads? input, string identity, Header? header, WorkflowExecution? sender = null, string? requestId = null)
    {
        if (!string.IsNullOrEmpty(requestId) && !RecordSignalRequest(requestId))
        {
            return;
        }
        AddExternalEvent(new HistoryEvent
        {
            EventType = EventType.WorkflowExecutionSignaled,
            WorkflowExecutionSignaledEventAttributes = new WorkflowExecutionSignaledEventAttributes
            {
                SignalName = name,
                Input = input,
                Identity = identity,
                Header = header,
                ExternalWorkflowExecution = sender,
                RequestId = requestId ?? "",
            },
        });
        WorkflowTaskNeeded();
    }

    /// <summary>
    /// Records a signal's request id; false when the run already has a signal with that id (a client retrying a signal
    /// whose answer it lost, for example to a server that was killed after storing it), which Temporal applies once.
    /// The ids are found again in the run's signal events when the run is first asked after a restart.
    /// </summary>
    private bool RecordSignalRequest(string requestId)
    {
        if (_signalRequestIds is null)
        {
            _signalRequestIds = new HashSet<string>(StringComparer.Ordinal);
            foreach (var evt in History.Events.Concat(_buffered))
            {
                if (evt.EventType == EventType.WorkflowExecutionSignaled && evt.WorkflowExecutionSignaledEventAttributes.RequestId is { Length: > 0 } id)
                {
                    _signalRequestIds.Add(id);
                }
            }
        }
        return _signalRequestIds.Add(requestId);
    }

    /// <summary>Writes WorkflowExecutionCancelRequested once and lets the workflow see it.</summary>
    public void RequestCancel(string reason, string identity, WorkflowExecution? requester = null, long requesterInitiatedEventId = 0)
    {
        if (CancelRequested)
        {
            return;
        }
        CancelRequested = true;
        AddExternalEvent(new HistoryEvent
        {
            EventType = EventType.WorkflowExecutionCancelRequested,
            WorkflowExecutionCancelRequestedEventAttributes = new WorkflowExecutionCancelRequestedEventAttributes
            {
                Cause = reason,
                Identity = identity,
                ExternalWorkflowExecution = requester,
                ExternalInitiatedEventId = requesterInitiatedEventId,
            },
        });
        WorkflowTaskNeeded();
    }

    public void Terminate(string reason, Payloads? details, string identity)
    {
        FlushBuffer();
        History.Append(new HistoryEvent
        {
            EventType = EventType.WorkflowExecutionTerminated,
            WorkflowExecutionTerminatedEventAttributes = new WorkflowExecutionTerminatedEventAttributes
            {
                Reason = reason,
                Details = details,
                Identity = identity,
            },
        }, Now);
        Close(WorkflowExecutionStatus.Terminated, null);
    }

    /// <summary>Marks the run closed (its close event is already written), cancels everything pending and tells the server.</summary>
    public void Close(WorkflowExecutionStatus status, string? nextRunId)
    {
        Status = status;
        // The close event's time, which is what a run rebuilt from its history gets too.
        CloseTime = History.LastEvent?.EventTime.ToDateTime() ?? Now;
        NextRunId = nextRunId;
        RunTimeout?.Cancel();
        EndStartBackoff();
        WorkflowTasks.Clear();
        foreach (var activity in Activities.Values)
        {
            activity.CancelTimers();
        }
        Activities.Clear();
        foreach (var timer in Timers.Values)
        {
            timer.CancelAlarm();
        }
        Timers.Clear();
        History.ReleaseWaiters();
        UpdateLifecycle.AbortAll(this);
        var children = Children.Values.ToList();
        Children.Clear();
        Namespace.AddClosed(this);
        Namespace.Visibility.Closed(this);
        Services.Closed(this, children);
    }

    /// <summary>Upserts search attributes (an empty value removes one).</summary>
    public void UpsertSearchAttributes(SearchAttributes changes)
    {
        var upserted = SearchAttributes.Clone();
        Upsert(upserted.IndexedFields, changes.IndexedFields);
        SearchAttributes = upserted;
    }

    /// <summary>Upserts memo fields (an empty value removes one).</summary>
    public void UpsertMemo(Memo changes)
    {
        var upserted = Memo.Clone();
        Upsert(upserted.Fields, changes.Fields);
        Memo = upserted;
    }

    private static void Upsert(MapField<string, Payload> target, MapField<string, Payload> changes)
    {
        foreach (var (key, value) in changes)
        {
            if (value.Data.IsEmpty)
            {
                target.Remove(key);
            }
            else
            {
                target[key] = value;
            }
        }
    }

    /// <summary>
    /// Rebuilds a run from its stored history and record: every event is applied as it was when written, then the
    /// events buffered behind a running workflow task. Nothing is armed or queued until <see cref="Resume"/>.
    /// </summary>
    public static WorkflowRun Restore(IRunServices services, WorkflowIdEntry entry, string runId, RunRecord record, IReadOnlyList<HistoryEvent> events)
    {
        var startedEvent = events[0];
        var run = new WorkflowRun(services, entry, runId, record.RequestId, startedEvent.WorkflowExecutionStartedEventAttributes,
            startedEvent.EventTime.ToDateTime(), startedEvent.UserMetadata);
        foreach (var evt in events)
        {
            run.History.Restore(evt);
            run.Apply(evt);
        }
        run.StoredEventCount = events.Count;
        foreach (var evt in record.BufferedEvents)
        {
            run._buffered.Add(evt);
            run.Apply(evt);
        }
        record.ApplyTo(run);
        return run;
    }

    /// <summary>The state change an event stands for (replay; the live path makes the same change as it writes the event).</summary>
    private void Apply(HistoryEvent evt)
    {
        switch (evt.EventType)
        {
            case EventType.WorkflowTaskCompleted:
                WorkflowTasks.Apply(evt);
                ApplyVersioning(evt);
                break;
            case EventType.WorkflowTaskScheduled:
            case EventType.WorkflowTaskStarted:
            case EventType.WorkflowTaskFailed:
            case EventType.WorkflowTaskTimedOut:
                WorkflowTasks.Apply(evt);
                break;
            case EventType.ActivityTaskScheduled:
                Activities[evt.EventId] = ActivityLifecycle.FromScheduled(this, evt);
                break;
            case EventType.ActivityTaskCancelRequested:
                if (Activities.TryGetValue(evt.ActivityTaskCancelRequestedEventAttributes.ScheduledEventId, out var cancelled))
                {
                    cancelled.CancelRequested = true;
                    cancelled.CancelRequestedEventId = evt.EventId;
                }
                break;
            case EventType.ActivityTaskCompleted:
                Activities.Remove(evt.ActivityTaskCompletedEventAttributes.ScheduledEventId);
                break;
            case EventType.ActivityTaskFailed:
                Activities.Remove(evt.ActivityTaskFailedEventAttributes.ScheduledEventId);
                break;
            case EventType.ActivityTaskTimedOut:
                Activities.Remove(evt.ActivityTaskTimedOutEventAttributes.ScheduledEventId);
                break;
            case EventType.ActivityTaskCanceled:
                Activities.Remove(evt.ActivityTaskCanceledEventAttributes.ScheduledEventId);
                break;
            case EventType.TimerStarted:
                Timers[evt.TimerStartedEventAttributes.TimerId] = TimerLifecycle.FromStarted(this, evt);
                break;
            case EventType.TimerFired:
                Timers.Remove(evt.TimerFiredEventAttributes.TimerId);
                break;
            case EventType.TimerCanceled:
                Timers.Remove(evt.TimerCanceledEventAttributes.TimerId);
                break;
            case EventType.StartChildWorkflowExecutionInitiated:
                Children[evt.EventId] = ChildWorkflowLifecycle.FromInitiated(evt);
                break;
            case EventType.ChildWorkflowExecutionStarted:
                if (Children.TryGetValue(evt.ChildWorkflowExecutionStartedEventAttributes.InitiatedEventId, out var child))
                {
                    child.Apply(evt);
                }
                break;
            case EventType.StartChildWorkflowExecutionFailed:
            case EventType.ChildWorkflowExecutionCompleted:
            case EventType.ChildWorkflowExecutionFailed:
            case EventType.ChildWorkflowExecutionCanceled:
            case EventType.ChildWorkflowExecutionTimedOut:
            case EventType.ChildWorkflowExecutionTerminated:
                Children.Remove(ChildWorkflowLifecycle.InitiatedEventIdOf(evt));
                break;
            case EventType.WorkflowExecutionCancelRequested:
                CancelRequested = true;
                break;
            case EventType.WorkflowExecutionUpdateAccepted:
            case EventType.WorkflowExecutionUpdateCompleted:
                UpdateLifecycle.Apply(this, evt);
                break;
            case EventType.UpsertWorkflowSearchAttributes:
                UpsertSearchAttributes(evt.UpsertWorkflowSearchAttributesEventAttributes.SearchAttributes ?? new SearchAttributes());
                break;
            case EventType.WorkflowPropertiesModified:
                UpsertMemo(evt.WorkflowPropertiesModifiedEventAttributes.UpsertedMemo ?? new Memo());
                break;
            default:
                if (RunChain.CloseOf(evt) is { } close)
                {
                    Status = close.Status;
                    CloseTime = evt.EventTime.ToDateTime();
                    NextRunId = close.NextRunId;
                }
                break;
        }
    }

    /// <summary>
    /// After <see cref="Restore"/>: arms every deadline (those that passed while the server was down fire at once)
    /// and queues every scheduled task, as if the server had never stopped.
    /// </summary>
    public void Resume()
    {
        if (!IsRunning)
        {
            return;
        }
        ArmRunTimeout();
        var firstTaskPending = WorkflowTasks.Current is null && WorkflowTasks.CompletedCount == 0
            && !History.Events.Any(e => e.EventType == EventType.WorkflowTaskScheduled);
        if (firstTaskPending && ExecutionTime > StartTime && !WorkflowTasks.HasHeldTask)
        {
            ArmStartBackoff();
        }
        foreach (var timer in Timers.Values)
        {
            timer.ArmAlarm();
        }
        foreach (var activity in Activities.Values)
        {
            activity.Resume();
        }
        WorkflowTasks.Resume(firstTaskPending);
    }
}

/// <summary>The run that started a child (and every later run of the child's chain): where to report its outcome.</summary>
internal sealed record ParentReference(string Namespace, string NamespaceId, WorkflowExecution Execution, long InitiatedEventId);
