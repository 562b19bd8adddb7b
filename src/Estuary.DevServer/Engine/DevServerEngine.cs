using Estuary.DevServer.Grpc;
using Estuary.DevServer.State;
using Estuary.DevServer.TaskQueues;
using Estuary.DevServer.Time;
using Microsoft.Extensions.Logging;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine;

/// <summary>
/// All server state behind one gate. RPC handlers and clock callbacks take the gate, change state and leave;
/// waiting (long polls, history long polls, sleeps) happens outside it on completion sources.
/// </summary>
internal sealed partial class DevServerEngine : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly DevServerOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<string, NamespaceEntry> _namespaces = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Namespace, string Queue), TaskQueue<WorkflowRun, PollWorkflowTaskQueueResponse>> _workflowQueues = [];
    private readonly Dictionary<(string Namespace, string Queue), TaskQueue<ActivityState, PollActivityTaskQueueResponse>> _activityQueues = [];
    private readonly HashSet<(string Namespace, string Queue)> _shutDownStickyQueues = [];
    private int _closedRunCount;
    private readonly Dictionary<string, Temporalio.Api.Enums.V1.IndexedValueType> _searchAttributes = new(StringComparer.Ordinal);
    private readonly ITimer _retentionSweep;
    private readonly TimeProvider _wallClock;

    /// <summary>How often closed runs past their retention are dropped while nothing else closes.</summary>
    private static readonly TimeSpan RetentionSweepInterval = TimeSpan.FromSeconds(1);

    public DevServerEngine(DevServerOptions options, ILogger logger, TimeProvider wallClock)
    {
        _options = options;
        _logger = logger;
        _wallClock = wallClock;
        Clock = new DevClock(wallClock, _gate, options.TimeSkipping, options.TimeSkippingStartsLocked, logger);
        foreach (var name in options.Namespaces)
        {
            if (!_namespaces.ContainsKey(name))
            {
                _namespaces[name] = NewNamespace(name, options.Retention);
            }
        }
        foreach (var (name, type) in options.SearchAttributes)
        {
            _searchAttributes[name] = ParseSearchAttributeType(type);
        }
        Clock.Start();
        // On the wall clock, not the DevClock: a retention timer there would make time skipping jump to it.
        _retentionSweep = wallClock.CreateTimer(_ => SweepClosedRuns(), null, RetentionSweepInterval, RetentionSweepInterval);
    }

    public DevClock Clock { get; }

    public object Gate => _gate;

    public TimeSpan LongPollTimeout => _options.LongPollTimeout;

    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Ends every held long poll (they answer empty) ahead of shutdown.</summary>
    public void Stop() => _stopping.Cancel();

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        await _retentionSweep.DisposeAsync();
        await Clock.DisposeAsync();
        _stopping.Dispose();
    }

    /// <summary>A token cancelled when the caller goes away or the server stops.</summary>
    private CancellationTokenSource LinkToStopping(CancellationToken callToken) =>
        CancellationTokenSource.CreateLinkedTokenSource(callToken, _stopping.Token);

    private static NamespaceEntry NewNamespace(string name, TimeSpan retention) =>
        new() { Name = name, Id = Guid.NewGuid().ToString(), Retention = retention };

    private NamespaceEntry GetNamespace(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw RpcErrors.InvalidArgument("Namespace not set on request.");
        }
        return _namespaces.TryGetValue(name, out var ns) ? ns : throw RpcErrors.NamespaceNotFound(name);
    }

    private static WorkflowRun GetRun(NamespaceEntry ns, string workflowId, string? runId)
    {
        if (string.IsNullOrEmpty(workflowId))
        {
            throw RpcErrors.InvalidArgument("WorkflowId is not set on request.");
        }
        if (string.IsNullOrEmpty(runId))
        {
            return ns.LatestRuns.TryGetValue(workflowId, out var latest)
                ? latest
                : throw RpcErrors.NotFound($"workflow not found for ID: {workflowId}");
        }
        return ns.Runs.TryGetValue(runId, out var run) && run.WorkflowId == workflowId
            ? run
            : throw RpcErrors.NotFound($"workflow execution not found for workflow ID \"{workflowId}\" and run ID \"{runId}\"");
    }

    private TaskQueue<WorkflowRun, PollWorkflowTaskQueueResponse> WorkflowQueue(string ns, string name)
    {
        if (!_workflowQueues.TryGetValue((ns, name), out var queue))
        {
            queue = new TaskQueue<WorkflowRun, PollWorkflowTaskQueueResponse>(name, (run, identity) => StartWorkflowTask(run, name, identity));
            _workflowQueues[(ns, name)] = queue;
        }
        return queue;
    }

    private TaskQueue<ActivityState, PollActivityTaskQueueResponse> ActivityQueue(string ns, string name)
    {
        if (!_activityQueues.TryGetValue((ns, name), out var queue))
        {
            queue = new TaskQueue<ActivityState, PollActivityTaskQueueResponse>(name, StartActivityTask);
            _activityQueues[(ns, name)] = queue;
        }
        return queue;
    }

    /// <summary>
    /// Keeps the clock's count of outstanding tasks right: captures a run's count before a change and
    /// applies the difference when disposed. Used (under the gate) around every change to a run.
    /// </summary>
    private WorkTracker Track(WorkflowRun run) => new(this, run);

    private readonly struct WorkTracker : IDisposable
    {
        private readonly DevServerEngine _engine;
        private readonly WorkflowRun _run;
        private readonly int _before;

        public WorkTracker(DevServerEngine engine, WorkflowRun run)
        {
            _engine = engine;
            _run = run;
            // Only the outermost tracker of a run counts, so nested changes are not counted twice.
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

    private void SweepClosedRuns()
    {
        lock (_gate)
        {
            EvictClosedRuns();
        }
    }

    /// <summary>Drops closed runs past their namespace's retention, then the oldest beyond the maximum count.</summary>
    private void EvictClosedRuns()
    {
        var now = Clock.UtcNow;
        foreach (var ns in _namespaces.Values)
        {
            while (ns.ClosedRuns.TryPeek(out var oldest) && oldest.CloseTime + ns.Retention <= now)
            {
                Evict(ns);
            }
        }
        while (_closedRunCount > _options.MaxClosedWorkflows)
        {
            NamespaceEntry? holder = null;
            foreach (var ns in _namespaces.Values)
            {
                if (ns.ClosedRuns.TryPeek(out var candidate)
                    && (holder is null || candidate.CloseTime < holder.ClosedRuns.Peek().CloseTime))
                {
                    holder = ns;
                }
            }
            if (holder is null)
            {
                return;
            }
            Evict(holder);
        }
    }

    private void Evict(NamespaceEntry ns)
    {
        var run = ns.ClosedRuns.Dequeue();
        _closedRunCount--;
        ns.Runs.Remove(run.RunId);
        if (ns.LatestRuns.TryGetValue(run.WorkflowId, out var latest) && latest == run)
        {
            ns.LatestRuns.Remove(run.WorkflowId);
        }
        run.History.ReleaseWaiters();
    }

    /// <summary>How long to hold a long poll: the configured maximum, cut a little before the caller's deadline.</summary>
    public TimeSpan HoldTime(DateTime deadline)
    {
        var hold = _options.LongPollTimeout;
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
}
