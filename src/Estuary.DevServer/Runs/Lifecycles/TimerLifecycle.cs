using Estuary.DevServer.Time;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;

namespace Estuary.DevServer.Runs.Lifecycles;

/// <summary>
/// A user timer (StartTimer command): Started (TimerStarted written, alarm armed at its deadline) → Fired (TimerFired,
/// the workflow gets a task) or Canceled (a CancelTimer command: TimerCanceled). The deadline is wall-clock time on the
/// server's clock: a timer that fell due while the server was down fires as soon as it is back.
/// </summary>
internal sealed class TimerLifecycle
{
    private readonly WorkflowRun _run;
    private ScheduledTimer? _alarm;

    private TimerLifecycle(WorkflowRun run, string timerId, long startedEventId, DateTime due)
    {
        _run = run;
        TimerId = timerId;
        StartedEventId = startedEventId;
        Due = due;
    }

    public string TimerId { get; }

    public long StartedEventId { get; }

    public DateTime Due { get; }

    /// <summary>A StartTimer command: writes TimerStarted and arms the alarm.</summary>
    public static TimerLifecycle Start(WorkflowRun run, StartTimerCommandAttributes command, long completedEventId)
    {
        var started = run.History.Append(new HistoryEvent
        {
            EventType = EventType.TimerStarted,
            TimerStartedEventAttributes = new TimerStartedEventAttributes
            {
                TimerId = command.TimerId,
                StartToFireTimeout = command.StartToFireTimeout,
                WorkflowTaskCompletedEventId = completedEventId,
            },
        }, run.Now);
        var timer = FromStarted(run, started);
        timer.ArmAlarm();
        return timer;
    }

    /// <summary>The timer a TimerStarted event stands for (replay): due at the event's time plus its timeout.</summary>
    public static TimerLifecycle FromStarted(WorkflowRun run, HistoryEvent started)
    {
        var attributes = started.TimerStartedEventAttributes;
        return new TimerLifecycle(run, attributes.TimerId, started.EventId, started.EventTime.ToDateTime() + attributes.StartToFireTimeout.ToTimeSpan());
    }

    public void ArmAlarm() => _alarm = _run.Arm(Due, Fire);

    public void CancelAlarm() => _alarm?.Cancel();

    /// <summary>Started, at the deadline → TimerFired (buffered while a workflow task runs) and a workflow task.</summary>
    private void Fire()
    {
        if (!_run.IsRunning || !_run.Timers.Remove(TimerId))
        {
            return;
        }
        _run.AddExternalEvent(new HistoryEvent
        {
            EventType = EventType.TimerFired,
            TimerFiredEventAttributes = new TimerFiredEventAttributes { TimerId = TimerId, StartedEventId = StartedEventId },
        });
        _run.WorkflowTaskNeeded();
    }

    /// <summary>Started, on a CancelTimer command → TimerCanceled.</summary>
    public void Cancel(long completedEventId, string identity)
    {
        CancelAlarm();
        _run.Timers.Remove(TimerId);
        _run.History.Append(new HistoryEvent
        {
            EventType = EventType.TimerCanceled,
            TimerCanceledEventAttributes = new TimerCanceledEventAttributes
            {
                TimerId = TimerId,
                StartedEventId = StartedEventId,
                WorkflowTaskCompletedEventId = completedEventId,
                Identity = identity,
            },
        }, _run.Now);
    }
}
