using Temporalio.Activities;
using Temporalio.Exceptions;

namespace Estuary.DevServer.Tests.Workflows;

/// <summary>Activities that heartbeat and then fail at once, so the failure follows the heartbeat on the wire.</summary>
public static class HeartbeatActivities
{
    /// <summary>One heartbeat (the SDK sends it at once), then the failure.</summary>
    [Activity]
    public static string HeartbeatThenFail()
    {
        ActivityExecutionContext.Current.Heartbeat("halfway");
        throw new ApplicationFailureException("The warehouse is closed");
    }

    /// <summary>
    /// Two heartbeats, then the failure: the SDK sends the first at once and holds the second (its throttle), so the
    /// second is still to be sent, or on its way, when the attempt fails.
    /// </summary>
    [Activity]
    public static string HeartbeatTwiceThenFail()
    {
        var context = ActivityExecutionContext.Current;
        context.Heartbeat("first");
        context.Heartbeat("second");
        throw new ApplicationFailureException("The warehouse is closed");
    }
}
