using Temporalio.Api.Enums.V1;

namespace Estuary.DevServer.Schedules;

/// <summary>An action waiting to be taken: its scheduled time, with jitter (<paramref name="Actual"/>), and how it overlaps.</summary>
/// <param name="Nominal">The time the spec matched (names the workflow: <c>id-2030-01-01T02:00:00Z</c>).</param>
/// <param name="Actual">The nominal time plus jitter: the action's schedule time.</param>
/// <param name="Overlap">The overlap policy of the trigger or backfill that asked for it; unspecified means the schedule's, read when it is taken.</param>
/// <param name="Manual">Asked for by a trigger or backfill: taken even while paused or out of remaining actions.</param>
internal sealed record BufferedStart(DateTime Nominal, DateTime Actual, ScheduleOverlapPolicy Overlap, bool Manual);

/// <summary>What to do with the buffered actions now (see <see cref="OverlapBuffer.Decide"/>).</summary>
/// <param name="Overlapping">Actions taken regardless of what runs (ALLOW_ALL).</param>
/// <param name="NonOverlapping">The one action taken as the schedule's running workflow, or null.</param>
/// <param name="Remaining">Actions still waiting for the running workflow to close.</param>
/// <param name="Skipped">Actions dropped because one was running (SKIP, a second BUFFER_ONE).</param>
/// <param name="CancelRunning">Cancel the running workflow (CANCEL_OTHER).</param>
/// <param name="TerminateRunning">Terminate the running workflow (TERMINATE_OTHER).</param>
internal sealed record OverlapDecision(
    IReadOnlyList<BufferedStart> Overlapping, BufferedStart? NonOverlapping, List<BufferedStart> Remaining, int Skipped,
    bool CancelRunning, bool TerminateRunning);

/// <summary>
/// Temporal's overlap policies applied to the actions waiting in a schedule's buffer, oldest first. With nothing
/// running the first waiting action starts. Otherwise, per action's policy: SKIP drops it; BUFFER_ONE keeps the first
/// one waiting and drops later ones; BUFFER_ALL keeps every one waiting; CANCEL_OTHER and TERMINATE_OTHER keep it
/// waiting and cancel (terminate) the running workflow, so it starts once that one closed; ALLOW_ALL starts at once
/// whatever runs, and is not tracked as the schedule's running workflow.
/// </summary>
internal static class OverlapBuffer
{
    /// <summary>Decides what to start, keep, drop, cancel or terminate.</summary>
    /// <param name="buffer">The waiting actions, oldest first.</param>
    /// <param name="isRunning">Whether a workflow the schedule started (and tracks) is running.</param>
    /// <param name="resolve">The policy an action's unspecified policy stands for.</param>
    public static OverlapDecision Decide(IReadOnlyList<BufferedStart> buffer, bool isRunning, Func<ScheduleOverlapPolicy, ScheduleOverlapPolicy> resolve)
    {
        var overlapping = new List<BufferedStart>();
        var remaining = new List<BufferedStart>();
        BufferedStart? nonOverlapping = null;
        var skipped = 0;
        var cancel = false;
        var terminate = false;
        foreach (var start in buffer)
        {
            var policy = resolve(start.Overlap);
            if (policy == ScheduleOverlapPolicy.AllowAll)
            {
                overlapping.Add(start);
                continue;
            }
            if (!isRunning && nonOverlapping is null)
            {
                nonOverlapping = start;
                continue;
            }
            switch (policy)
            {
                case ScheduleOverlapPolicy.BufferOne:
                    if (remaining.Count == 0)
                    {
                        remaining.Add(start);
                    }
                    else
                    {
                        skipped++;
                    }
                    break;
                case ScheduleOverlapPolicy.BufferAll:
                    remaining.Add(start);
                    break;
                case ScheduleOverlapPolicy.CancelOther or ScheduleOverlapPolicy.TerminateOther when isRunning:
                    cancel |= policy == ScheduleOverlapPolicy.CancelOther;
                    terminate |= policy == ScheduleOverlapPolicy.TerminateOther;
                    remaining.Add(start);
                    break;
                case ScheduleOverlapPolicy.CancelOther or ScheduleOverlapPolicy.TerminateOther:
                    // Nothing runs yet: this one replaces the one about to start.
                    nonOverlapping = start;
                    break;
                default:
                    skipped++;
                    break;
            }
        }
        if (cancel || terminate)
        {
            // Whatever would overlap is cancelled or terminated right after: do not start it at all.
            overlapping.Clear();
        }
        return new OverlapDecision(overlapping, nonOverlapping, remaining, skipped, cancel, terminate);
    }
}
