using Microsoft.Extensions.Logging;

namespace Estuary.DevServer.Time;

/// <summary>
/// The server's notion of "now": wall-clock time plus an offset that grows when time is skipped.
/// Timers and timeouts are scheduled on this clock; they fire from one background loop that holds the
/// engine gate, so callbacks see a consistent engine state.
/// </summary>
internal sealed class DevClock : IAsyncDisposable
{
    private readonly TimeProvider _wallClock;
    private readonly object _gate;
    private readonly PriorityQueue<ScheduledTimer, (DateTime Due, long Sequence)> _timers = new();
    private readonly SemaphoreSlim _wakeUp = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stopping = new();
    private readonly bool _skippingSupported;
    private readonly ILogger _logger;
    private Task? _loop;
    private TimeSpan _offset;
    private long _sequence;
    private int _lockCount;
    private int _outstandingWork;

    public DevClock(TimeProvider wallClock, object gate, bool timeSkipping, bool startLocked, ILogger logger)
    {
        _lockCount = timeSkipping && startLocked ? 1 : 0;
        _logger = logger;
        _wallClock = wallClock;
        _gate = gate;
        _skippingSupported = timeSkipping;
    }

    /// <summary>Current server time (UTC).</summary>
    public DateTime UtcNow => _wallClock.GetUtcNow().UtcDateTime + _offset;

    /// <summary>Whether time may jump right now (caller holds the gate).</summary>
    public bool CanSkip => _skippingSupported && _lockCount <= 0 && _outstandingWork <= 0;

    public bool TimeSkippingSupported => _skippingSupported;

    public void Start() => _loop = Task.Run(RunAsync);

    /// <summary>Schedules <paramref name="callback"/> at server time <paramref name="due"/>. Caller holds the gate.</summary>
    public ScheduledTimer Schedule(DateTime due, Action callback)
    {
        var timer = new ScheduledTimer(due, callback);
        var wasEarliest = !_timers.TryPeek(out _, out var head) || due < head.Due;
        _timers.Enqueue(timer, (due, _sequence++));
        if (wasEarliest)
        {
            WakeUp();
        }
        return timer;
    }

    public ScheduledTimer After(TimeSpan delay, Action callback) => Schedule(UtcNow + delay, callback);

    /// <summary>Counts tasks handed to (or waiting for) workers; time never skips while any exist. Caller holds the gate.</summary>
    public void AdjustOutstandingWork(int delta)
    {
        if (delta == 0)
        {
            return;
        }
        _outstandingWork += delta;
        if (_outstandingWork <= 0)
        {
            WakeUp();
        }
    }

    /// <summary>TestService LockTimeSkipping. Caller holds the gate.</summary>
    public void LockSkipping() => _lockCount++;

    /// <summary>TestService UnlockTimeSkipping. Caller holds the gate.</summary>
    public void UnlockSkipping()
    {
        _lockCount--;
        WakeUp();
    }

    /// <summary>Moves time forward by <paramref name="duration"/> at once, firing every timer on the way. Caller holds the gate.</summary>
    public void Advance(TimeSpan duration)
    {
        if (duration > TimeSpan.Zero)
        {
            _offset += duration;
            WakeUp();
        }
    }

    private void WakeUp()
    {
        if (_wakeUp.CurrentCount == 0)
        {
            _wakeUp.Release();
        }
    }

    private async Task RunAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            TimeSpan wait;
            lock (_gate)
            {
                wait = FireDueTimers();
            }
            try
            {
                await _wakeUp.WaitAsync(wait, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private TimeSpan FireDueTimers()
    {
        while (true)
        {
            if (!_timers.TryPeek(out var next, out var key))
            {
                return Timeout.InfiniteTimeSpan;
            }
            if (next.IsCancelled)
            {
                _timers.Dequeue();
                continue;
            }
            var now = UtcNow;
            if (key.Due > now)
            {
                if (!CanSkip)
                {
                    var delay = key.Due - now;
                    return delay > TimeSpan.FromHours(1) ? TimeSpan.FromHours(1) : delay;
                }
                _offset += key.Due - now;
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    // With the per-RPC debug lines this shows where a time-skipping test's wall time goes.
                    _logger.LogDebug("Time skipped {Skip} to {Now:O}", key.Due - now, key.Due);
                }
            }
            _timers.Dequeue();
            try
            {
                next.Fire();
            }
            catch (Exception e)
            {
                // A failing callback must not stop every other timer of the server.
                _logger.LogError(e, "Timer callback failed");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
        _stopping.Dispose();
        _wakeUp.Dispose();
    }
}

/// <summary>A callback scheduled on the <see cref="DevClock"/>; cancelling it is cheap (lazy removal).</summary>
internal sealed class ScheduledTimer(DateTime due, Action callback)
{
    public DateTime Due { get; } = due;

    public bool IsCancelled { get; private set; }

    public void Cancel() => IsCancelled = true;

    internal void Fire()
    {
        if (!IsCancelled)
        {
            IsCancelled = true;
            callback();
        }
    }
}
