using System.Text.Json;
using Estuary.Cli;
using Estuary.Cli.Commands;
using Estuary.Tests.Commands;
using Estuary.Tests.Infrastructure;

namespace Estuary.Tests.Payments;

/// <summary>The README's trigger commands for the Payments workflows, run against a Payments worker.</summary>
[Collection(UsesTemporal.Name)]
public sealed class PaymentsTriggerTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task Trigger_ProcessPaymentThenRefund_PrintsCapturedPaymentAndRefund()
    {
        await using var worker = await PaymentsWorker.StartAsync(fixture, GetType());
        var reference = $"booking-{Guid.NewGuid():N}";

        using var payment = await TriggerAsync(worker, "processpayment", $"{{\"reference\":\"{reference}\",\"amountMinor\":4250,\"currency\":\"EUR\"}}");
        var captureId = payment.RootElement.GetProperty("result").GetProperty("CaptureId").GetInt64();
        using var refund = await TriggerAsync(worker, "refundpayment", $"{{\"captureId\":{captureId},\"amountMinor\":1000}}");

        Assert.Equal("Captured", payment.RootElement.GetProperty("result").GetProperty("Status").GetString());
        Assert.Equal((reference, 1000L), (refund.RootElement.GetProperty("result").GetProperty("Reference").GetString(), refund.RootElement.GetProperty("result").GetProperty("AmountMinor").GetInt64()));
    }

    [Fact]
    public async Task Trigger_PayoutBatchWithDefaults_PrintsEachItemsOutcome()
    {
        await using var worker = await PaymentsWorker.StartAsync(fixture, GetType());
        var batchId = $"batch-{Guid.NewGuid():N}";

        using var batch = await TriggerAsync(worker, "payoutbatch",
            $"{{\"batchId\":\"{batchId}\",\"items\":[{{\"itemId\":\"1\",\"payee\":\"dr-ada\",\"amountMinor\":12000,\"currency\":\"EUR\"}},{{\"itemId\":\"2\",\"payee\":\"dr-bob\",\"amountMinor\":9000,\"currency\":\"EUR\"}}]}}");

        var result = batch.RootElement.GetProperty("result");
        Assert.Equal((2, 0, 21000L), (result.GetProperty("Paid").GetInt32(), result.GetProperty("Failed").GetInt32(), result.GetProperty("PaidAmountMinor").GetInt64()));
        Assert.Equal(["Paid", "Paid"], result.GetProperty("Outcomes").EnumerateArray().Select(o => o.GetProperty("Status").GetString()));
    }

    private async Task<JsonDocument> TriggerAsync(WorkerProcess worker, string workflow, string input)
    {
        var (exitCode, output, error) = await CommandLineRunner.RunAsync(
            CliHost.Domains, ["trigger", "payments", workflow, input, "--task-queue", worker.TaskQueue, "--wait", "--json", "--address", fixture.Address]);
        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        return JsonDocument.Parse(output);
    }
}
