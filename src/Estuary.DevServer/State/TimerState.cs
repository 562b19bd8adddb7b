using Estuary.DevServer.Time;

namespace Estuary.DevServer.State;

/// <summary>A user timer started by a StartTimer command; it fires or is cancelled.</summary>
internal sealed class TimerState
{
    public required string TimerId { get; init; }

    public required long StartedEventId { get; init; }

    public required ScheduledTimer Fire { get; init; }
}
