using Estuary.DevServer.Runs;
using Estuary.DevServer.Schedules;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Estuary.DevServer.Store;

/// <summary>
/// Units of change and their group commit. Everything that changes state — an RPC, a timer falling due — runs as
/// one unit: it changes runs under their locks, then carries out the effects it deferred on other runs (a child's
/// start, a signal to another workflow), all before the unit ends, so a unit is never stored in part. The writer
/// takes every unit that ended since its last write as one batch: it waits until no unit is open, captures what
/// the changed runs hold (new history events and their <see cref="RunRecord"/>), lets units run again and writes
/// the batch in one store transaction. An RPC answers once its unit's batch is written (<see cref="Unit.DurableAsync"/>);
/// many RPCs share one transaction, which is what keeps throughput up. With a store that keeps nothing, units only
/// carry their deferred effects.
/// </summary>
internal sealed class ChangeLog : IDisposable
{
    [ThreadStatic]
    private static Unit? t_unit;

    private readonly IServerStore _store;
    private readonly ILogger _logger;
    private readonly Func<List<StoredNamespace>> _namespaces;
    private readonly Func<Dictionary<string, Temporalio.Api.Enums.V1.IndexedValueType>> _searchAttributes;
    private readonly Func<List<StoredDeployment>> _deployments;
    private readonly object _sync = new();
    private readonly SemaphoreSlim _hasWork = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stopping = new();
    private Thread? _writer;
    private int _open;
    private bool _cutting;
    private Batch _current = new(1);
    private long _lastKey;
    private Exception? _failure;

    public ChangeLog(IServerStore store, ILogger logger, Func<List<StoredNamespace>> namespaces,
        Func<Dictionary<string, Temporalio.Api.Enums.V1.IndexedValueType>> searchAttributes, Func<List<StoredDeployment>> deployments)
    {
        _store = store;
        _logger = logger;
        _namespaces = namespaces;
        _searchAttributes = searchAttributes;
        _deployments = deployments;
    }

    public bool IsDurable => _store.IsDurable;

    /// <summary>The unit the calling thread is in, or null.</summary>
    public static Unit? Current => t_unit;

    /// <summary>Starts writing batches; <paramref name="lastKey"/> is the highest run key already stored.</summary>
    public void Start(long lastKey)
    {
        _lastKey = lastKey;
        if (!_store.IsDurable)
        {
            return;
        }
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "Estuary store writer" };
        _writer.Start();
    }

    /// <summary>Begins a unit on this thread (or joins the one already open). Dispose it when the changes are made.</summary>
    public Unit Begin()
    {
        if (t_unit is { } open)
        {
            open.Depth++;
            return open;
        }
        var unit = new Unit(this);
        if (_store.IsDurable)
        {
            lock (_sync)
            {
                while (_cutting)
                {
                    Monitor.Wait(_sync);
                }
                _open++;
                unit.Batch = _current;
            }
        }
        t_unit = unit;
        return unit;
    }

    /// <summary>Records that <paramref name="run"/> changes in the current unit (its new events and record go into the unit's batch).</summary>
    public void Touch(WorkflowRun run)
    {
        var unit = t_unit ?? throw new InvalidOperationException("A run changed outside a unit of change.");
        if (!_store.IsDurable)
        {
            return;
        }
        unit.Changed = true;
        var batch = unit.Batch!;
        if (run.DirtyBatch == batch.Number)
        {
            return;
        }
        run.DirtyBatch = batch.Number;
        lock (_sync)
        {
            batch.Runs.Add(run);
        }
    }

    /// <summary>Records that <paramref name="run"/> was dropped (retention).</summary>
    public void Forget(WorkflowRun run)
    {
        var unit = t_unit ?? throw new InvalidOperationException("A run was dropped outside a unit of change.");
        if (!_store.IsDurable)
        {
            return;
        }
        unit.Changed = true;
        lock (_sync)
        {
            unit.Batch!.Deleted.Add(run);
        }
    }

    /// <summary>Records that <paramref name="schedule"/> changed in the current unit (its record goes into the unit's batch).</summary>
    public void TouchSchedule(ScheduleLifecycle schedule)
    {
        var unit = t_unit ?? throw new InvalidOperationException("A schedule changed outside a unit of change.");
        if (!_store.IsDurable)
        {
            return;
        }
        unit.Changed = true;
        var batch = unit.Batch!;
        if (schedule.DirtyBatch == batch.Number)
        {
            return;
        }
        schedule.DirtyBatch = batch.Number;
        lock (_sync)
        {
            batch.Schedules.Add(schedule);
        }
    }

    /// <summary>Records that <paramref name="schedule"/> was deleted.</summary>
    public void ForgetSchedule(ScheduleLifecycle schedule)
    {
        var unit = t_unit ?? throw new InvalidOperationException("A schedule was deleted outside a unit of change.");
        if (!_store.IsDurable)
        {
            return;
        }
        unit.Changed = true;
        lock (_sync)
        {
            unit.Batch!.DeletedSchedules.Add(schedule);
        }
    }

    /// <summary>Records that namespaces (or the search attribute registry) changed in the current unit.</summary>
    public void TouchRegistry(bool namespaces, bool searchAttributes)
    {
        var unit = t_unit ?? throw new InvalidOperationException("The registry changed outside a unit of change.");
        if (!_store.IsDurable)
        {
            return;
        }
        unit.Changed = true;
        lock (_sync)
        {
            unit.Batch!.Namespaces |= namespaces;
            unit.Batch.SearchAttributes |= searchAttributes;
        }
    }

    /// <summary>Records that a worker deployment changed in the current unit (every deployment goes into the unit's batch).</summary>
    public void TouchDeployments()
    {
        var unit = t_unit ?? throw new InvalidOperationException("A worker deployment changed outside a unit of change.");
        if (!_store.IsDurable)
        {
            return;
        }
        unit.Changed = true;
        lock (_sync)
        {
            unit.Batch!.Deployments = true;
        }
    }

    private void End(Unit unit)
    {
        try
        {
            unit.RunDeferred(_logger);
        }
        finally
        {
            t_unit = null;
            if (_store.IsDurable)
            {
                var wakeWriter = false;
                lock (_sync)
                {
                    _open--;
                    if (_open == 0 && _cutting)
                    {
                        Monitor.PulseAll(_sync);
                    }
                    // One wake-up per batch: waking a thread costs more than most units.
                    if (unit.Changed && !unit.Batch!.WriterWoken)
                    {
                        unit.Batch.WriterWoken = true;
                        wakeWriter = true;
                    }
                }
                if (wakeWriter)
                {
                    _hasWork.Release();
                }
            }
        }
    }

    private void WriteLoop()
    {
        var token = _stopping.Token;
        while (true)
        {
            try
            {
                _hasWork.Wait(token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            Batch batch;
            StoreBatch data;
            lock (_sync)
            {
                _cutting = true;
                while (_open > 0)
                {
                    Monitor.Wait(_sync);
                }
                batch = _current;
                _current = new Batch(batch.Number + 1);
                data = Capture(batch);
                _cutting = false;
                Monitor.PulseAll(_sync);
            }
            if (_failure is not null)
            {
                batch.Fail(_failure);
                continue;
            }
            try
            {
                if (!data.IsEmpty)
                {
                    _store.Write(data);
                }
                batch.Written.TrySetResult();
            }
            catch (Exception e)
            {
                // What is in memory can no longer be kept: refuse to acknowledge anything from here on.
                _logger.LogCritical(e, "Writing to the store {Store} failed; changes are no longer acknowledged", _store);
                _failure = e;
                batch.Fail(e);
            }
        }
    }

    /// <summary>What the batch's runs hold now; called with every unit stopped, so nothing changes meanwhile.</summary>
    private StoreBatch Capture(Batch batch)
    {
        var data = new StoreBatch();
        if (batch.Namespaces)
        {
            data.Namespaces = _namespaces();
        }
        if (batch.SearchAttributes)
        {
            data.SearchAttributes = _searchAttributes();
        }
        if (batch.Deployments)
        {
            data.Deployments = _deployments();
        }
        foreach (var run in batch.Deleted)
        {
            if (run.StoreKey != 0)
            {
                data.DeletedRuns.Add(run.StoreKey);
            }
        }
        foreach (var schedule in batch.DeletedSchedules)
        {
            data.DeletedSchedules.Add((schedule.Namespace, schedule.ScheduleId));
        }
        foreach (var schedule in batch.Schedules)
        {
            if (!schedule.IsDeleted)
            {
                data.Schedules.Add(new StoredSchedule(schedule.Namespace, schedule.ScheduleId, schedule.Capture()));
            }
        }
        foreach (var run in batch.Runs)
        {
            if (batch.Deleted.Contains(run))
            {
                continue;
            }
            var isNew = run.StoreKey == 0;
            if (isNew)
            {
                run.StoreKey = ++_lastKey;
            }
            var events = run.History.Events;
            var newEvents = new List<Temporalio.Api.History.V1.HistoryEvent>(events.Count - run.StoredEventCount);
            for (var i = run.StoredEventCount; i < events.Count; i++)
            {
                newEvents.Add(events[i]);
            }
            // Most changes add events only: the run's row is rewritten when its status or record changed.
            var record = RunRecord.Capture(run);
            var rowChanged = isNew || run.StoredStatus != run.Status || !record.AsSpan().SequenceEqual(run.StoredRecord);
            data.Runs.Add(new RunChange(run.StoreKey, isNew, rowChanged, run.Namespace.Name, run.RunId, run.WorkflowId, run.Status,
                record, run.StoredEventCount + 1, newEvents));
            run.StoredEventCount = events.Count;
            run.StoredStatus = run.Status;
            run.StoredRecord = record;
        }
        return data;
    }

    public void Dispose()
    {
        if (_writer is not null)
        {
            // Write what the last units changed, then stop the writer.
            Batch last;
            lock (_sync)
            {
                last = _current;
                last.WriterWoken = true;
            }
            _hasWork.Release();
            try
            {
                last.Written.Task.Wait(TimeSpan.FromSeconds(10));
            }
            catch (AggregateException)
            {
                // The write failed: it was logged, and nothing can be done about it while stopping.
            }
            _stopping.Cancel();
            _writer.Join(TimeSpan.FromSeconds(10));
        }
        _stopping.Dispose();
        _hasWork.Dispose();
    }

    /// <summary>The changes of the units that ran between two writes.</summary>
    internal sealed class Batch(long number)
    {
        public long Number { get; } = number;

        /// <summary>Runs changed, in the order they first changed (so a chain's runs get their keys in order).</summary>
        public List<WorkflowRun> Runs { get; } = [];

        public HashSet<WorkflowRun> Deleted { get; } = [];

        /// <summary>Schedules changed, each once.</summary>
        public List<ScheduleLifecycle> Schedules { get; } = [];

        public List<ScheduleLifecycle> DeletedSchedules { get; } = [];

        public bool Namespaces { get; set; }

        public bool SearchAttributes { get; set; }

        public bool Deployments { get; set; }

        /// <summary>Whether a unit of this batch already told the writer there is work.</summary>
        public bool WriterWoken { get; set; }

        public TaskCompletionSource Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Fail(Exception cause) => Written.TrySetException(new RpcException(new Status(StatusCode.Unavailable,
            $"The Estuary dev server cannot write its database any more: {cause.Message}")));
    }

    /// <summary>
    /// One unit of change (see <see cref="ChangeLog"/>). Effects on other runs are deferred to its end, when the lock
    /// of the run that caused them is no longer held; they run in the order they were deferred.
    /// </summary>
    internal sealed class Unit(ChangeLog log) : IDisposable
    {
        private Queue<Action>? _deferred;

        public int Depth { get; set; }

        public Batch? Batch { get; set; }

        public bool Changed { get; set; }

        /// <summary>Runs <paramref name="effect"/> at the end of the unit, with no run lock held.</summary>
        public void Defer(Action effect) => (_deferred ??= new Queue<Action>()).Enqueue(effect);

        internal void RunDeferred(ILogger logger)
        {
            while (_deferred is { Count: > 0 } && _deferred.Dequeue() is { } effect)
            {
                try
                {
                    effect();
                }
                catch (Exception e)
                {
                    // One failing effect must not keep the others of the unit from running.
                    logger.LogError(e, "A deferred effect failed");
                }
            }
        }

        /// <summary>Completes when the unit's changes are stored (at once when it changed nothing or nothing is stored).</summary>
        public Task DurableAsync() => Changed && Batch is not null ? Batch.Written.Task : Task.CompletedTask;

        public void Dispose()
        {
            if (Depth > 0)
            {
                Depth--;
                return;
            }
            log.End(this);
        }
    }
}
