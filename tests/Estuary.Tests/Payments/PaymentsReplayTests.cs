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

    // The recorded histories sit in the source tree, above the test binaries (bin/<configuration>/<framework>/).
    private static string HistoryDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "Payments", "Histories");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"No Payments/Histories directory above {AppContext.BaseDirectory}");
    }
}
