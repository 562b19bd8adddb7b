using Estuary.Tests.Infrastructure;
using Estuary.Worker.Payments.Workflows;
using Temporalio.Worker;

namespace Estuary.Tests.Payments;

/// <summary>
/// Replays histories recorded from the Payments workflows (in <c>Histories/</c>: a payment captured after two
/// unavailable captures, a declined capture voided, a refund, both runs of a payout batch that continued as new with
/// one declined item) against today's workflow code, so a change that would break running workflows fails here.
/// </summary>
public sealed class PaymentsReplayTests
{
    public static TheoryData<string> Histories() => RecordedHistories.Names("Payments");

    [Theory]
    [MemberData(nameof(Histories))]
    public async Task ReplayWorkflowAsync_RecordedHistory_ReplaysWithoutNonDeterminism(string history)
    {
        var replayer = new WorkflowReplayer(new WorkflowReplayerOptions()
            .AddWorkflow<ProcessPaymentWorkflow>()
            .AddWorkflow<RefundPaymentWorkflow>()
            .AddWorkflow<PayoutBatchWorkflow>());

        var result = await replayer.ReplayWorkflowAsync(await RecordedHistories.ReadAsync("Payments", history));

        Assert.Null(result.ReplayFailure);
    }
}
