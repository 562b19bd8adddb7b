using Microsoft.Extensions.Logging;

namespace Estuary.DevServer.Time;

/// <summary>
/// The server's notion of "now": wall-clock time plus an offset that grows when time is skipped.
/// Timers and timeouts are scheduled on this clock and fire, one at a time and in due order, from one
/// background loop; a callback takes whatever lock it needs itself (the clock's own lock is never held
/// while one runs). Time skipping is a property of the clock alone: whenever skipping is on and unlocked, no task
/// is outstanding and no unit of change is in progress, the loop moves the offset to the next due timer.
/// </summary>
internal sealed class DevClock : IAsyncDisposable
{
    private readonly object _lock = new();
    private readonly TimeProvider _wallClock;
    private readonly PriorityQueue<ScheduledTimer, (DateTime Due, long Sequence)> _timers = new();
    private readonly SemaphoreSlim _wakeUp = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stopping = new();
    private readonly bool _skippingSupported;
    private readonly ILogger _logger;
    private Task? _loop;
    private long _offsetTicks;
    private long _sequence;
    private int _lockCount;
    private int _outstandingWork;
    private int _changesInProgress;

    public DevClock(TimeProvider wallClock, bool timeSkipping, bool startLocked, ILogger logger)
    {
        _lockCount = timeSkipping && startLocked ? 1 : 0;
        _logger = logger;
        _wallClock = wallClock;
        _skippingSupported = timeSkipping;
    }

    /// <summary>Current server time (UTC).</summary>
    public DateTime UtcNow => _wallClock.GetUtcNow().UtcDateTime + TimeSpan.FromTicks(Volatile.Read(ref _offsetTicks));

    public bool TimeSkippingSupported => _skippingSupported;

    public void Start() => _loop = Task.Run(RunAsync);

    /// <summary>Schedules <paramref name="callback"/> at server time <paramref name="due"/> (at once when it is past).</summary>
    public ScheduledTimer Schedule(DateTime due, Action callback) => Schedule(due, _ => callback());

    /// <summary>Schedules <paramref name="callback"/>, which gets its own timer (to check whether it was cancelled meanwhile).</summary>
    public ScheduledTimer Schedule(DateTime due, Action<ScheduledTimer> callback)
    {
        var timer = new ScheduledTimer(due, callback);
        lock (_lock)
        {
            var wasEarliest = !_timers.TryPeek(out _, out var head) || due < head.Due;
            _timers.Enqueue(timer, (due, _sequence++));
            if (wasEarliest)
            {
                WakeUp();
            }
        }
        return timer;
    }

    public ScheduledTimer After(TimeSpan delay, Action callback) => Schedule(UtcNow + delay, callback);

    /// <summary>Counts tasks handed to (or waiting for) workers; time never skips while any exist.</summary>
    public void AdjustOutstandingWork(int delta)
    {
        if (delta == 0)
        {
            return;
        }
        lock (_lock)
        {
            _outstandingWork += delta;
            if (_outstandingWork <= 0)
            {
                WakeUp();
            }
        }
    }

    /// <summary>TestService LockTimeSkipping.</summary>
    public void LockSkipping()
    {
        lock (_lock)
        {
            _lockCount++;
        }
    }

    /// <summary>TestService UnlockTimeSkipping.</summary>
    public void UnlockSkipping()
    {
        lock (_lock)
        {
            _lockCount--;
            WakeUp();
        }
    }

    /// <summary>
    /// Marks a unit of change as begun. Time never skips in the middle of one: a unit may have armed one timer of a
    /// run (its deadline) but not yet another that falls due first (its start backoff), and a skip then would jump
    /// past the earlier one.
    /// </summary>
    public void EnterChange()
    {
        if (_skippingSupported)
        {
            Interlocked.Increment(ref _changesInProgress);
        }
    }

    /// <summary>Marks a unit of change begun with <see cref="EnterChange"/> as ended.</summary>
    public void ExitChange()
    {
        if (_skippingSupported && Interlocked.Decrement(ref _changesInProgress) <= 0)
        {
            lock (_lock)
            {
                WakeUp();
            }
        }
    }

    private bool CanSkip => _skippingSupported && _lockCount <= 0 && _outstandingWork <= 0 && Volatile.Read(ref _changesInProgress) <= 0;

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
            var (due, wait) = NextDueTimer();
            if (due is not null)
            {
                try
                {
                    due.Fire();
                }
                catch (Exception e)
                {
                    // A failing callback must not stop every other timer of the server.
                    _logger.LogError(e, "Timer callback failed");
                }
                continue;
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

    /// <summary>The next timer to fire now (skipping time to it when allowed), or how long to wait for one.</summary>
    private (ScheduledTimer? Due, TimeSpan Wait) NextDueTimer()
    {
        lock (_lock)
        {
            while (_timers.TryPeek(out var next, out var key))
            {
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
                        return (null, delay > TimeSpan.FromHours(1) ? TimeSpan.FromHours(1) : delay);
                    }
                    Volatile.Write(ref _offsetTicks, _offsetTicks + (key.Due - now).Ticks);
                    if (_logger.IsEnabled(LogLevel.Debug))
                    {
                        // With the per-RPC debug lines this shows where a time-skipping test's wall time goes.
                        _logger.LogDebug("Time skipped {Skip} to {Now:O}", key.Due - now, key.Due);
                    }
                }
                _timers.Dequeue();
                return (next, TimeSpan.Zero);
            }
            return (null, Timeout.InfiniteTimeSpan);
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

/// <summary>
/// A callback scheduled on the <see cref="DevClock"/>; cancelling it is cheap (lazy removal). A callback that
/// takes a lock re-checks <see cref="IsCancelled"/> under it: cancellation and firing may race.
/// </summary>
internal sealed class ScheduledTimer(DateTime due, Action<ScheduledTimer> callback)
{
    private volatile bool _cancelled;

    public DateTime Due { get; } = due;

    public bool IsCancelled => _cancelled;

    public void Cancel() => _cancelled = true;

    internal void Fire()
    {
        if (!_cancelled)
        {
            callback(this);
        }
    }
}
