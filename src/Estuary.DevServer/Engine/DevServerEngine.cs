using System.Collections.Concurrent;
using System.Collections.Immutable;
using Estuary.DevServer.Deployments;
using Estuary.DevServer.Grpc;
using Estuary.DevServer.Namespaces;
using Estuary.DevServer.Runs;
using Estuary.DevServer.Runs.Lifecycles;
using Estuary.DevServer.Store;
using Estuary.DevServer.TaskQueues;
using Estuary.DevServer.Time;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Sdk.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine;

/// <summary>
/// The server behind the gRPC façade: namespaces, runs, task queues, the clock and the change log, and what a run
/// asks of them (<see cref="IRunServices"/>). Every state change runs in a unit of the <see cref="ChangeLog"/> and
/// under the lock of each run it changes (one at a time); effects on other runs are deferred to the unit's end.
/// </summary>
internal sealed class DevServerEngine : IRunServices, IAsyncDisposable
{
    private static readonly TimeSpan DefaultWorkflowTaskTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxWorkflowTaskTimeout = TimeSpan.FromSeconds(120);

    /// <summary>How often closed runs past their retention are dropped while nothing else closes.</summary>
    private static readonly TimeSpan RetentionSweepInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<(string Namespace, string Queue), TaskQueue<WorkflowRun, PollWorkflowTaskQueueResponse>> _workflowQueues = [];
    private readonly ConcurrentDictionary<(string Namespace, string Queue), TaskQueue<ActivityLifecycle, PollActivityTaskQueueResponse>> _activityQueues = [];
    private readonly ConcurrentDictionary<(string Namespace, string Queue), bool> _shutDownStickyQueues = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly CrossRunEffects _effects;
    private readonly TimeProvider _wallClock;
    private ITimer? _retentionSweep;
    private int _closedRunCount;

    public DevServerEngine(DevServerOptions options, IServerStore store, ILogger logger, TimeProvider wallClock)
    {
        Options = options;
        Store = store;
        Logger = logger;
        _wallClock = wallClock;
        Clock = new DevClock(wallClock, options.TimeSkipping, options.TimeSkippingStartsLocked, logger);
        Changes = new ChangeLog(store, logger, Namespaces.Capture, () => new Dictionary<string, Temporalio.Api.Enums.V1.IndexedValueType>(Namespaces.SearchAttributes),
            Deployments.Capture);
        Queries = new QueryRouter(this);
        _effects = new CrossRunEffects(this);
        Schedules = new ScheduleEngine(this);
    }

    public DevServerOptions Options { get; }

    public IServerStore Store { get; }

    public ILogger Logger { get; }

    public DevClock Clock { get; }

    public ChangeLog Changes { get; }

    public NamespaceRegistry Namespaces { get; } = new();

    public QueryRouter Queries { get; }

    public WorkerDeploymentRegistry Deployments { get; } = new();

    public ScheduleEngine Schedules { get; }

    public TimeProvider WallClock => _wallClock;

    public DateTime Now => Clock.UtcNow;

    public CancellationToken Stopping => _stopping.Token;

    /// <summary>
    /// Loads the store (rebuilding every run from its history and record), adds the configured namespaces and search
    /// attributes that are missing, then starts the clock — so deadlines that passed while the server was down fire
    /// now — and the writer.
    /// </summary>
    public void Start()
    {
        var loading = System.Diagnostics.Stopwatch.StartNew();
        var stored = Store.Load();
        var read = loading.Elapsed;
        var lastKey = Restore(stored);
        Schedules.Restore(stored.Schedules);
        foreach (var deployment in stored.Deployments.Where(deployment => Namespaces.Find(deployment.Namespace) is not null))
        {
            Deployments.Restore(deployment);
        }
        var rebuilt = loading.Elapsed;
        var open = _restored.Count(run => run.IsRunning);
        Changes.Start(lastKey);
        using (Changes.Begin())
        {
            var addedNamespaces = false;
            foreach (var name in Options.Namespaces)
            {
                addedNamespaces |= Namespaces.TryAdd(NamespaceRegistry.New(name, Options.Retention));
            }
            var addedAttributes = false;
            Namespaces.UpdateSearchAttributes(current =>
            {
                var merged = current;
                foreach (var (name, type) in Options.SearchAttributes)
                {
                    if (!merged.ContainsKey(name))
                    {
                        merged = merged.SetItem(name, NamespaceRegistry.ParseSearchAttributeType(type));
                        addedAttributes = true;
                    }
                }
                return merged;
            });
            Changes.TouchRegistry(addedNamespaces, addedAttributes);
            ResumeRuns();
            Schedules.Resume();
        }
        if (Store.IsDurable)
        {
            Logger.LogInformation("Loaded {Runs} runs ({Open} open) from {Store} in {Total:F0} ms (read {Read:F0} ms, rebuilt {Rebuilt:F0} ms, resumed {Resumed:F0} ms)",
                stored.Runs.Count, open, Store, loading.Elapsed.TotalMilliseconds, read.TotalMilliseconds, (rebuilt - read).TotalMilliseconds, (loading.Elapsed - rebuilt).TotalMilliseconds);
        }
        Clock.Start();
        // On the wall clock, not the DevClock: a retention timer there would make time skipping jump to it.
        _retentionSweep = _wallClock.CreateTimer(_ => SweepClosedRuns(), null, RetentionSweepInterval, RetentionSweepInterval);
        Schedules.Start();
    }

    private readonly List<WorkflowRun> _restored = [];

    private long Restore(StoredState stored)
    {
        foreach (var ns in stored.Namespaces)
        {
            var entry = new NamespaceEntry { Name = ns.Name, Id = ns.Id, Retention = ns.Retention, Description = ns.Description, OwnerEmail = ns.OwnerEmail };
            foreach (var (key, value) in ns.Data)
            {
                entry.Data[key] = value;
            }
            Namespaces.TryAdd(entry);
        }
        Namespaces.UpdateSearchAttributes(_ => stored.SearchAttributes.ToImmutableDictionary(StringComparer.Ordinal));
        long lastKey = 0;
        foreach (var storedRun in stored.Runs)
        {
            lastKey = Math.Max(lastKey, storedRun.Key);
            if (Namespaces.Find(storedRun.Namespace) is not { } ns)
            {
                continue;
            }
            var entry = ns.Workflow(storedRun.WorkflowId);
            var run = WorkflowRun.Restore(this, entry, storedRun.RunId, RunRecord.Read(storedRun.Record), storedRun.Events);
            run.StoreKey = storedRun.Key;
            run.StoredStatus = run.Status;
            run.StoredRecord = storedRun.Record;
            ns.AddRun(run);
            entry.RunCount++;
            // Runs are read in the order they were first stored, which is the order of their start.
            entry.Latest = run;
            _restored.Add(run);
        }
        foreach (var closed in _restored.Where(r => !r.IsRunning).OrderBy(r => r.CloseTime))
        {
            closed.Namespace.AddClosed(closed);
            _closedRunCount++;
        }
        return lastKey;
    }

    private void ResumeRuns()
    {
        foreach (var run in _restored)
        {
            lock (run.Gate)
            {
                using (Track(run))
                {
                    run.Resume();
                }
            }
        }
        _restored.Clear();
    }

    /// <summary>Ends every held long poll (they answer empty) ahead of shutdown.</summary>
    public void Stop() => _stopping.Cancel();

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        if (_retentionSweep is not null)
        {
            await _retentionSweep.DisposeAsync();
        }
        await Schedules.DisposeAsync();
        await Clock.DisposeAsync();
        Changes.Dispose();
        Store.Dispose();
        _stopping.Dispose();
    }

    /// <summary>A token cancelled when the caller goes away or the server stops.</summary>
    public CancellationTokenSource LinkToStopping(CancellationToken callToken) =>
        CancellationTokenSource.CreateLinkedTokenSource(callToken, _stopping.Token);

    /// <summary>How long to hold a long poll: the configured maximum, cut a little before the caller's deadline.</summary>
    public TimeSpan HoldTime(DateTime deadline)
    {
        var hold = Options.LongPollTimeout;
        if (deadline != DateTime.MaxValue)
        {
            var untilDeadline = deadline - DateTime.UtcNow - TimeSpan.FromSeconds(2);
            if (untilDeadline < hold)
            {
                hold = untilDeadline < TimeSpan.Zero ? TimeSpan.Zero : untilDeadline;
            }
        }
        return hold;
    }

    /// <summary>
    /// Runs <paramref name="change"/> as one unit of change and answers once the unit is stored (at once with the
    /// in-memory store). An exception from the change is thrown without waiting.
    /// </summary>
    public async Task<T> ChangeAsync<T>(Func<T> change)
    {
        T result;
        ChangeLog.Unit unit;
        Clock.EnterChange();
        try
        {
            unit = Changes.Begin();
            try
            {
                result = change();
            }
            finally
            {
                unit.Dispose();
            }
        }
        finally
        {
            Clock.ExitChange();
        }
        await unit.DurableAsync();
        return result;
    }

    /// <summary>Runs <paramref name="change"/> as one unit of change without waiting for the store (timers, sweeps).</summary>
    public void RunUnit(Action change)
    {
        Clock.EnterChange();
        try
        {
            using (Changes.Begin())
            {
                change();
            }
        }
        finally
        {
            Clock.ExitChange();
        }
    }

    /// <summary>Changes <paramref name="run"/> under its lock, in the current unit.</summary>
    public T Change<T>(WorkflowRun run, Func<T> change)
    {
        lock (run.Gate)
        {
            using (Track(run))
            {
                return change();
            }
        }
    }

    /// <summary>Reads <paramref name="run"/> under its lock.</summary>
    public static T Read<T>(WorkflowRun run, Func<T> read)
    {
        lock (run.Gate)
        {
            return read();
        }
    }

    public static WorkflowRun GetRun(NamespaceEntry ns, string workflowId, string? runId)
    {
        if (string.IsNullOrEmpty(workflowId))
        {
            throw RpcErrors.InvalidArgument("WorkflowId is not set on request.");
        }
        if (string.IsNullOrEmpty(runId))
        {
            return ns.LatestRun(workflowId) ?? throw RpcErrors.NotFound($"workflow not found for ID: {workflowId}");
        }
        return ns.Runs.TryGetValue(runId, out var run) && run.WorkflowId == workflowId
            ? run
            : throw RpcErrors.NotFound($"workflow execution not found for workflow ID \"{workflowId}\" and run ID \"{runId}\"");
    }

    /// <summary>
    /// Runs <paramref name="action"/> under the lock of <paramref name="workflowId"/>'s entry (created if the id has no
    /// run), retrying if the entry is dropped meanwhile.
    /// </summary>
    public static T WithWorkflowId<T>(NamespaceEntry ns, string workflowId, Func<WorkflowIdEntry, T> action)
    {
        while (true)
        {
            var entry = ns.Workflow(workflowId);
            lock (entry)
            {
                if (!entry.IsRemoved)
                {
                    return action(entry);
                }
            }
        }
    }

    /// <summary>
    /// Creates a run of <paramref name="entry"/>'s workflow id, registers it as the id's latest and starts it (started
    /// event, deadline, first workflow task). The caller holds the entry's lock, in a unit.
    /// </summary>
    public WorkflowRun CreateRun(WorkflowIdEntry entry, string runId, string requestId, WorkflowExecutionStartedEventAttributes started,
        WorkflowRun? previous, ParentReference? parent = null, bool dispatchFirstTask = true, UserMetadata? userMetadata = null)
    {
        parent ??= previous?.Parent;
        if (parent is not null)
        {
            started.ParentWorkflowNamespace = parent.Namespace;
            started.ParentWorkflowNamespaceId = parent.NamespaceId;
            started.ParentWorkflowExecution = parent.Execution;
            started.ParentInitiatedEventId = parent.InitiatedEventId;
        }
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
        started.WorkflowId = entry.WorkflowId;
        if (started.FirstWorkflowTaskBackoff?.ToTimeSpan() is not { } backoff || backoff <= TimeSpan.Zero)
        {
            started.FirstWorkflowTaskBackoff = null;
        }
        // As in Temporal, only a run with a parent names its root: a child's first run gets its parent's root, the later
        // runs of its chain keep it; a run without a parent is its own root and leaves the field empty.
        if (parent is not null && previous is not null)
        {
            started.RootWorkflowExecution ??= previous.RootExecution;
        }

        var ns = entry.Namespace;
        var run = new WorkflowRun(this, entry, runId, requestId, started, Now, userMetadata);
        ns.AddRun(run);
        entry.Latest = run;
        entry.RunCount++;
        using (Track(run))
        {
            run.Begin(dispatchFirstTask);
        }
        return run;
    }

    /// <summary>Closed runs past their namespace's retention are dropped, then the oldest beyond the maximum count.</summary>
    private void SweepClosedRuns()
    {
        try
        {
            RunUnit(EvictClosedRuns);
        }
        catch (ObjectDisposedException)
        {
            // The server is stopping.
        }
    }

    /// <summary>Drops closed runs past their namespace's retention, then the oldest beyond the maximum count.</summary>
    public void EvictClosedRuns()
    {
        var now = Now;
        foreach (var ns in Namespaces.All)
        {
            while (ns.OldestCloseTime() is { } oldest && oldest + ns.Retention <= now && ns.TakeOldestClosed() is { } expired)
            {
                Evict(expired);
            }
        }
        while (Volatile.Read(ref _closedRunCount) > Options.MaxClosedWorkflows)
        {
            NamespaceEntry? holder = null;
            DateTime? holderOldest = null;
            foreach (var ns in Namespaces.All)
            {
                if (ns.OldestCloseTime() is { } candidate && (holderOldest is null || candidate < holderOldest))
                {
                    holder = ns;
                    holderOldest = candidate;
                }
            }
            if (holder?.TakeOldestClosed() is not { } oldest)
            {
                return;
            }
            Evict(oldest);
        }
    }

    private void Evict(WorkflowRun run)
    {
        Interlocked.Decrement(ref _closedRunCount);
        var entry = run.Entry;
        lock (entry)
        {
            run.Namespace.RemoveRun(run);
            entry.RunCount--;
            if (entry.Latest == run)
            {
                entry.Latest = null;
            }
            if (entry.RunCount <= 0)
            {
                entry.IsRemoved = true;
                run.Namespace.Workflows.TryRemove(new KeyValuePair<string, WorkflowIdEntry>(entry.WorkflowId, entry));
            }
            run.History.ReleaseWaiters();
            Changes.Forget(run);
        }
    }

    // ---- Task queues ----

    public TaskQueue<WorkflowRun, PollWorkflowTaskQueueResponse> WorkflowQueue(string ns, string name) =>
        _workflowQueues.GetOrAdd((ns, name), key => new TaskQueue<WorkflowRun, PollWorkflowTaskQueueResponse>(key.Queue,
            (run, identity) => StartWorkflowTask(run, key.Queue, identity), run => Deployments.Target(run, key.Namespace, key.Queue)));

    public TaskQueue<ActivityLifecycle, PollActivityTaskQueueResponse> ActivityQueue(string ns, string name) =>
        _activityQueues.GetOrAdd((ns, name), key => new TaskQueue<ActivityLifecycle, PollActivityTaskQueueResponse>(key.Queue, StartActivityTask,
            activity => Deployments.Target(activity.Run, key.Namespace, key.Queue)));

    /// <summary>
    /// The statistics of a queue's workflow or activity side for the tasks routed to the versions
    /// <paramref name="includes"/> accepts; a queue the server does not hold (never used, or retired while idle) has none.
    /// </summary>
    public Temporalio.Api.TaskQueue.V1.TaskQueueStats TaskQueueStats(string ns, string name, Temporalio.Api.Enums.V1.TaskQueueType type,
        Func<WorkerVersion?, bool> includes) =>
        (type == Temporalio.Api.Enums.V1.TaskQueueType.Activity
            ? _activityQueues.TryGetValue((ns, name), out var activityQueue) ? activityQueue.Stats(includes) : null
            : _workflowQueues.TryGetValue((ns, name), out var workflowQueue) ? workflowQueue.Stats(includes) : null)
        ?? new Temporalio.Api.TaskQueue.V1.TaskQueueStats { ApproximateBacklogAge = new Duration() };

    /// <summary>Hands waiting tasks of <paramref name="queues"/> to the polls they may go to now (a routing or override change).</summary>
    public void Rematch(string ns, IEnumerable<string> queues)
    {
        foreach (var queue in queues)
        {
            if (_workflowQueues.TryGetValue((ns, queue), out var workflowQueue))
            {
                workflowQueue.Rematch();
            }
            if (_activityQueues.TryGetValue((ns, queue), out var activityQueue))
            {
                activityQueue.Rematch();
            }
        }
    }

    /// <summary>Drops a queue that nobody uses any more (see <see cref="TaskQueue{TTask, TResponse}.TryRetire"/>).</summary>
    public void RetireIfIdle<TTask, TResponse>(TaskQueue<TTask, TResponse> queue, string ns)
        where TTask : class
        where TResponse : class
    {
        if (queue.TryRetire())
        {
            if (queue is TaskQueue<WorkflowRun, PollWorkflowTaskQueueResponse> workflowQueue)
            {
                _workflowQueues.TryRemove(new KeyValuePair<(string, string), TaskQueue<WorkflowRun, PollWorkflowTaskQueueResponse>>((ns, queue.Name), workflowQueue));
            }
            else if (queue is TaskQueue<ActivityLifecycle, PollActivityTaskQueueResponse> activityQueue)
            {
                _activityQueues.TryRemove(new KeyValuePair<(string, string), TaskQueue<ActivityLifecycle, PollActivityTaskQueueResponse>>((ns, queue.Name), activityQueue));
            }
        }
    }

    /// <summary>A sticky queue whose worker shut down: its tasks go to the normal queue, and it takes no more.</summary>
    public List<WorkflowRun> ShutDownStickyQueue(string ns, string queue)
    {
        _shutDownStickyQueues[(ns, queue)] = true;
        return _workflowQueues.TryRemove((ns, queue), out var removed) ? removed.Drain() : [];
    }

    private PollWorkflowTaskQueueResponse? StartWorkflowTask(WorkflowRun run, string queueName, string identity) =>
        Change(run, () => Queries.StartQueryTask(run, queueName) ?? run.WorkflowTasks.StartFromQueue(queueName, identity));

    private PollActivityTaskQueueResponse? StartActivityTask(ActivityLifecycle activity, string identity) =>
        Change(activity.Run, () => activity.Start(identity));

    // ---- IRunServices ----

    public ScheduledTimer Arm(WorkflowRun run, DateTime due, Action onDue) =>
        Clock.Schedule(due, timer =>
        {
            try
            {
                RunUnit(() => Change(run, () =>
                {
                    if (!timer.IsCancelled)
                    {
                        onDue();
                    }
                    return true;
                }));
            }
            catch (ObjectDisposedException)
            {
                // The server is stopping.
            }
        });

    public void Enqueue(WorkflowRun run, string queueName)
    {
        while (!WorkflowQueue(run.Namespace.Name, queueName).TryAdd(run))
        {
        }
    }

    public void Enqueue(ActivityLifecycle activity)
    {
        while (!ActivityQueue(activity.Run.Namespace.Name, activity.Attributes.TaskQueue.Name).TryAdd(activity))
        {
        }
    }

    public bool MayStaySticky(WorkflowRun run) => Deployments.Target(run, run.Namespace.Name, run.TaskQueue) == run.Versioning.Version;

    public bool IsShutDown(string namespaceName, string stickyQueue) => _shutDownStickyQueues.ContainsKey((namespaceName, stickyQueue));

    public IDisposable Track(WorkflowRun run)
    {
        Changes.Touch(run);
        return new WorkTracker(this, run);
    }

    public WorkflowRun StartNextRun(WorkflowRun previous, string runId, WorkflowExecutionStartedEventAttributes started, UserMetadata? userMetadata) =>
        CreateRun(previous.Entry, runId, Guid.NewGuid().ToString(), started, previous, userMetadata: userMetadata);

    public string? InvalidSearchAttributes(SearchAttributes? attributes) => Namespaces.InvalidSearchAttributes(attributes);

    public void DispatchQueries(WorkflowRun run) => Queries.Dispatch(run);

    public void Closed(WorkflowRun run, IReadOnlyList<ChildWorkflowLifecycle> openChildren)
    {
        Interlocked.Increment(ref _closedRunCount);
        Queries.Dispatch(run);
        var unit = ChangeLog.Current!;
        var close = run.History.LastEvent!;
        if (run.Parent is { } parent)
        {
            unit.Defer(() => _effects.NotifyParent(parent, run, close));
        }
        if (openChildren.Count > 0)
        {
            unit.Defer(() => _effects.ApplyParentClosePolicies(run, openChildren));
        }
        unit.Defer(EvictClosedRuns);
        Schedules.RunClosed(run);
    }

    public void StartChild(WorkflowRun parent, ChildWorkflowLifecycle child, string identity) =>
        ChangeLog.Current!.Defer(() => _effects.StartChild(parent, child, identity));

    public void SignalExternal(WorkflowRun source, HistoryEvent initiated, SignalExternalWorkflowExecutionCommandAttributes command) =>
        ChangeLog.Current!.Defer(() => _effects.SignalExternal(source, initiated, command));

    public void RequestCancelExternal(WorkflowRun source, HistoryEvent initiated, RequestCancelExternalWorkflowExecutionCommandAttributes command, string identity) =>
        ChangeLog.Current!.Defer(() => _effects.RequestCancelExternal(source, initiated, command, identity));

    /// <summary>
    /// Keeps the clock's count of outstanding tasks right: captures a run's count before a change and applies the
    /// difference when disposed (only the outermost tracker of a run counts, so nested changes are not counted twice).
    /// </summary>
    private sealed class WorkTracker : IDisposable
    {
        private readonly DevServerEngine _engine;
        private readonly WorkflowRun _run;
        private readonly int _before;

        public WorkTracker(DevServerEngine engine, WorkflowRun run)
        {
            _engine = engine;
            _run = run;
            _before = run.TrackingDepth++ == 0 ? run.OutstandingWork : -1;
        }

        public void Dispose()
        {
            _run.TrackingDepth--;
            if (_before >= 0)
            {
                _engine.Clock.AdjustOutstandingWork(_run.OutstandingWork - _before);
            }
        }
    }
}
