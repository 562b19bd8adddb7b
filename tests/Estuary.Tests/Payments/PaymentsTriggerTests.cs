using System.Text.Json;
using Estuary.Cli;
using Estuary.Cli.Commands;
using Estuary.Tests.Commands;
using Estuary.Tests.Infrastructure;
using Estuary.Worker.Payments.Activities;
using Estuary.Worker.Payments.Data;
using Microsoft.EntityFrameworkCore;

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

    [Fact]
    public async Task Trigger_PayoutBatchOfRecordedPaymentsInAWindow_PaysThePaymentsWithAPayeeRecordedInIt()
    {
        await using var worker = await PaymentsWorker.StartAsync(fixture, GetType());
        var since = new DateTimeOffset(2031, 3, 1, 2, 0, 0, TimeSpan.Zero);
        await RecordAsync(worker, "dr-ada", 100, since);
        var inside = await RecordAsync(worker, "dr-bob", 2500, since.AddHours(5));
        await RecordAsync(worker, null, 700, since.AddHours(6));
        await RecordAsync(worker, "dr-ada", 300, since.AddDays(1).AddSeconds(1));

        using var batch = await TriggerAsync(worker, "payoutbatch",
            $"{{\"batchId\":\"hand-{Guid.NewGuid():N}\",\"items\":[],\"recorded\":{{\"after\":\"2031-03-01T02:00:00Z\",\"until\":\"2031-03-02T02:00:00Z\"}}}}");

        var result = batch.RootElement.GetProperty("result");
        Assert.Equal((1, 0, 2500L), (result.GetProperty("Paid").GetInt32(), result.GetProperty("Failed").GetInt32(), result.GetProperty("PaidAmountMinor").GetInt64()));
        Assert.Equal([inside], result.GetProperty("Outcomes").EnumerateArray().Select(o => o.GetProperty("ItemId").GetString()));
        Assert.Equal(
            (since.UtcDateTime, since.AddDays(1).UtcDateTime),
            (result.GetProperty("Recorded").GetProperty("After").GetDateTimeOffset().UtcDateTime, result.GetProperty("Recorded").GetProperty("Until").GetDateTimeOffset().UtcDateTime));
    }

    [Fact]
    public async Task Trigger_PayoutBatchWithItemsAndRecordedPayments_FailsWithoutPayingAnything()
    {
        await using var worker = await PaymentsWorker.StartAsync(fixture, GetType());

        var (exitCode, _, error) = await CommandLineRunner.RunAsync(
            CliHost.Domains,
            ["trigger", "payments", "payoutbatch", "{\"batchId\":\"both\",\"items\":[{\"itemId\":\"1\",\"payee\":\"dr-ada\",\"amountMinor\":1,\"currency\":\"EUR\"}],\"recorded\":{}}",
                "--task-queue", worker.TaskQueue, "--wait", "--address", fixture.Address]);

        Assert.Equal(EstuaryCommandLine.Failed, exitCode);
        Assert.Contains("A batch pays either the items it is given or the recorded payments, not both", error, StringComparison.Ordinal);
        Assert.Equal(0, await worker.WithAsync<PaymentsDbContext, int>(db => db.ProviderOperations.CountAsync(o => o.IdempotencyKey.StartsWith("both/"))));
    }

    // Records a payment as record_payment does, at a chosen time; returns the item id it is paid out under.
    private static async Task<string> RecordAsync(WorkerProcess worker, string? payee, long amountMinor, DateTimeOffset recordedAt) =>
        await worker.WithAsync<PaymentsDbContext, string>(async db =>
        {
            var payment = new Payment { Reference = $"trigger-{Guid.NewGuid():N}", AmountMinor = amountMinor, Currency = "EUR", Payee = payee, RecordedAt = recordedAt };
            db.Payments.Add(payment);
            await db.SaveChangesAsync();
            return PaymentActivities.PayoutItemId(payment.Id);
        });

    private async Task<JsonDocument> TriggerAsync(WorkerProcess worker, string workflow, string input)
    {
        var (exitCode, output, error) = await CommandLineRunner.RunAsync(
            CliHost.Domains, ["trigger", "payments", workflow, input, "--task-queue", worker.TaskQueue, "--wait", "--json", "--address", fixture.Address]);
        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        return JsonDocument.Parse(output);
    }
}
