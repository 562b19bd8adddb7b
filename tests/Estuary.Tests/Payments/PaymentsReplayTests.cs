using System.Runtime.CompilerServices;
using Estuary.Worker.Payments.Workflows;
using Temporalio.Common;
using Temporalio.Worker;

namespace Estuary.Tests.Payments;

/// <summary>
/// Replays histories recorded from the Payments workflows (in <c>Histories/</c>: a payment captured after two
/// unavailable captures, a declined capture voided, a refund, both runs of a payout batch that continued as new with
/// one declined item) against today's workflow code, so a change that would break running workflows fails here.
/// </summary>
public sealed class PaymentsReplayTests
{
    public static TheoryData<string> Histories() =>
        [.. Directory.GetFiles(HistoryDirectory(), "*.json").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Histories))]
    public async Task ReplayWorkflowAsync_RecordedHistory_ReplaysWithoutNonDeterminism(string history)
    {
        var replayer = new WorkflowReplayer(new WorkflowReplayerOptions()
            .AddWorkflow<ProcessPaymentWorkflow>()
            .AddWorkflow<RefundPaymentWorkflow>()
            .AddWorkflow<PayoutBatchWorkflow>());
        var json = await File.ReadAllTextAsync(Path.Combine(HistoryDirectory(), $"{history}.json"));

        var result = await replayer.ReplayWorkflowAsync(WorkflowHistory.FromJson(history, json));

        Assert.Null(result.ReplayFailure);
    }

    // The recorded histories sit next to this file in the source tree.
    private static string HistoryDirectory([CallerFilePath] string path = "") => Path.Combine(Path.GetDirectoryName(path)!, "Histories");
}
