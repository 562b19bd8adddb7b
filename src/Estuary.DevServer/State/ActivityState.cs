using Estuary.DevServer.Time;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;

namespace Estuary.DevServer.State;

/// <summary>Where an activity is in its lifecycle.</summary>
internal enum ActivityStatus
{
    /// <summary>In a task queue, waiting for a poll.</summary>
    Scheduled,

    /// <summary>Handed to a worker.</summary>
    Started,

    /// <summary>Waiting for the retry backoff to elapse.</summary>
    Backoff,
}

/// <summary>One scheduled activity (across its attempts) of a workflow run.</summary>
internal sealed class ActivityState
{
    public required WorkflowRun Run { get; init; }

    public required long ScheduledEventId { get; init; }

    public required ActivityTaskScheduledEventAttributes Attributes { get; init; }

    public required RetryPolicy RetryPolicy { get; init; }

    public required DateTime ScheduledTime { get; init; }

    public ActivityStatus Status { get; set; } = ActivityStatus.Scheduled;

    public int Attempt { get; set; } = 1;

    /// <summary>Bumped on every dispatch so stale backlog entries and late answers are recognised.</summary>
    public int DispatchVersion { get; set; }

    public DateTime CurrentAttemptScheduledTime { get; set; }

    public DateTime StartedTime { get; set; }

    public string StartedIdentity { get; set; } = "";

    public string StartedRequestId { get; set; } = "";

    public Payloads? HeartbeatDetails { get; set; }

    public DateTime? LastHeartbeatTime { get; set; }

    public Failure? LastFailure { get; set; }

    public string LastWorkerIdentity { get; set; } = "";

    public bool CancelRequested { get; set; }

    public long CancelRequestedEventId { get; set; }

    public ScheduledTimer? ScheduleToClose { get; set; }

    /// <summary>The timer of the current phase: schedule-to-start, start-to-close or backoff.</summary>
    public ScheduledTimer? PhaseTimer { get; set; }

    public ScheduledTimer? HeartbeatTimer { get; set; }

    public bool IsOutstanding => Status is ActivityStatus.Scheduled or ActivityStatus.Started;

    public void CancelTimers()
    {
        ScheduleToClose?.Cancel();
        PhaseTimer?.Cancel();
        HeartbeatTimer?.Cancel();
    }
}
