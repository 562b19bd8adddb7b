using Estuary.Tests.Infrastructure;
using Estuary.Worker.Bookings.Workflows;
using Temporalio.Common;
using Temporalio.Worker;

namespace Estuary.Tests.Bookings;

/// <summary>
/// Replays histories recorded from the Bookings workflows (in <c>Histories/</c>: a booking completed after its
/// reminder, one cancelled with a refund, one moved after a refused reschedule, and the first and last runs of a
/// 30-day follow-up that continued as new) against today's workflow code, so a change that would break running
/// workflows fails here. Recorded by <see cref="BookingWorkflowTests"/> with <c>ESTUARY_RECORD_HISTORIES</c> set.
/// </summary>
public sealed class BookingsReplayTests
{
    public static TheoryData<string> Histories() => RecordedHistories.Names("Bookings");

    [Theory]
    [MemberData(nameof(Histories))]
    public async Task ReplayWorkflowAsync_RecordedHistory_ReplaysWithoutNonDeterminism(string history)
    {
        var replayer = new WorkflowReplayer(new WorkflowReplayerOptions()
            .AddWorkflow<BookingWorkflow>()
            .AddWorkflow<BookingFollowUpWorkflow>());

        var result = await replayer.ReplayWorkflowAsync(await RecordedHistories.ReadAsync("Bookings", history, RecordedWorkflowId));

        Assert.Null(result.ReplayFailure);
    }

    // A booking names its children after itself ({workflowId}/payment) and replay checks those names, so it must replay
    // under the id it ran with: the part of the recorded payment child's id before "/payment".
    private static string? RecordedWorkflowId(WorkflowHistory history) =>
        history.Events
            .Select(e => e.StartChildWorkflowExecutionInitiatedEventAttributes?.WorkflowId)
            .FirstOrDefault(id => id is not null && id.EndsWith("/payment", StringComparison.Ordinal))
            ?[..^"/payment".Length];
}
