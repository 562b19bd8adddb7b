using Estuary.DevServer.Time;

namespace Estuary.DevServer.State;

/// <summary>Lifecycle of a workflow task: scheduled on a (normal or sticky) queue, then started by a poll, then finished.</summary>
internal sealed class WorkflowTaskState
{
    /// <summary>For a transient or speculative task not written yet: the id its scheduled event will get.</summary>
    public required long ScheduledEventId { get; set; }

    public required int Attempt { get; set; }

    /// <summary>Start-to-close timeout of this attempt (Temporal lengthens it after repeated failures).</summary>
    public required TimeSpan StartToCloseTimeout { get; init; }

    /// <summary>Queue the task was scheduled on (the sticky queue name when sticky).</summary>
    public required string QueueName { get; init; }

    public required bool IsSticky { get; init; }

    public required DateTime ScheduledTime { get; init; }

    public bool IsStarted => StartedEventId > 0;

    public long StartedEventId { get; set; }

    public DateTime StartedTime { get; set; }

    public string? RequestId { get; set; }

    /// <summary>
    /// Set for a task scheduled only to deliver updates: its Scheduled/Started events go to the worker but not to the
    /// history until something makes them stay; a task that only rejects updates leaves no trace, as in Temporal.
    /// </summary>
    public bool IsSpeculative { get; set; }

    /// <summary>
    /// Set for a retry (attempt 2 and later) of a failed or timed-out task, as in Temporal: its Scheduled/Started events
    /// go to the worker but not to the history, its failure writes nothing, and only its completion writes them.
    /// </summary>
    public bool IsTransient { get; set; }

    /// <summary>The Scheduled (and, once started, Started) event of a speculative or transient task, not yet in the history.</summary>
    public List<Temporalio.Api.History.V1.HistoryEvent> HeldEvents { get; } = [];

    /// <summary>Sticky schedule-to-start timeout, or start-to-close once started.</summary>
    public ScheduledTimer? Timeout { get; set; }
}
