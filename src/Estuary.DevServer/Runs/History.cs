using Temporalio.Api.History.V1;

namespace Estuary.DevServer.Runs;

/// <summary>The event history of one run, with a way to wait for the next event (long-polled history reads).</summary>
internal sealed class History
{
    private readonly List<HistoryEvent> _events = [];
    private TaskCompletionSource? _changed;
    private TaskCompletionSource? _closed;

    public IReadOnlyList<HistoryEvent> Events => _events;

    public long NextEventId => _events.Count + 1;

    public long LastEventId => _events.Count;

    public long SizeBytes { get; private set; }

    /// <summary>
    /// Runs once before the next event is appended: a speculative workflow task writes its events there first, so
    /// any new event turns it into a normal one.
    /// </summary>
    public Action? BeforeAppend { get; set; }

    /// <summary>Adds an event, giving it the next id and the event time.</summary>
    public HistoryEvent Append(HistoryEvent evt, DateTime now)
    {
        if (BeforeAppend is { } beforeAppend)
        {
            BeforeAppend = null;
            beforeAppend();
        }
        evt.EventId = NextEventId;
        evt.EventTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(now);
        evt.TaskId = evt.EventId;
        _events.Add(evt);
        SizeBytes += evt.CalculateSize();
        if (_changed is { } changed)
        {
            _changed = null;
            changed.TrySetResult();
        }
        return evt;
    }

    /// <summary>
    /// Gives the event <paramref name="eventId"/> (written by the command being applied) the command's user metadata, as
    /// Temporal carries a command's summary and details to the event it produces; nothing when the command wrote none.
    /// </summary>
    public void AttachUserMetadata(long eventId, Temporalio.Api.Sdk.V1.UserMetadata metadata)
    {
        if (eventId < 1 || eventId > _events.Count)
        {
            return;
        }
        var evt = _events[(int)eventId - 1];
        SizeBytes -= evt.CalculateSize();
        evt.UserMetadata = metadata;
        SizeBytes += evt.CalculateSize();
    }

    /// <summary>Puts back an event read from the store, as it was written (id, time and all).</summary>
    public void Restore(HistoryEvent evt)
    {
        _events.Add(evt);
        SizeBytes += evt.CalculateSize();
    }

    /// <summary>A task that completes when the next event is appended (or the run is closed and evicted).</summary>
    public Task WaitForChange()
    {
        _changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _changed.Task;
    }

    /// <summary>A task that completes when the run closes (result waiters need nothing earlier).</summary>
    public Task WaitForClose()
    {
        _closed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _closed.Task;
    }

    /// <summary>Releases every waiter (the run closed or was removed).</summary>
    public void ReleaseWaiters()
    {
        _changed?.TrySetResult();
        _changed = null;
        _closed?.TrySetResult();
        _closed = null;
    }

    public HistoryEvent? LastEvent => _events.Count == 0 ? null : _events[^1];
}
