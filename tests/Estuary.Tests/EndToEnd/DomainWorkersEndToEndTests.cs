using System.Text.Json;
using Estuary.Cli;
using Estuary.Cli.Commands;
using Estuary.Tests.Commands;
using Estuary.Tests.Infrastructure;
using Estuary.Worker.Bookings;
using Estuary.Worker.Bookings.Data;
using Estuary.Worker.Bookings.Workflows;
using Estuary.Worker.Payments;
using Estuary.Worker.Payments.Data;
using Microsoft.EntityFrameworkCore;

namespace Estuary.Tests.EndToEnd;

/// <summary>
/// The Bookings and Payments workers run as deployed: polling their domain's own task queue, which is also where
/// <c>trigger</c> starts a workflow when no <c>--task-queue</c> is given.
/// </summary>
[Collection(UsesTemporal.Name)]
public sealed class DomainWorkersEndToEndTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task Trigger_RecordPaymentOnThePaymentsQueue_RecordsThePaymentOnce()
    {
        var domain = new PaymentsDomain();
        await using var worker = await WorkerProcess.StartAsync(
            domain, fixture.Address, await fixture.Postgres.CreateDatabaseAsync("payments_queue"), taskQueue: null);
        var reference = $"pay-{Guid.NewGuid():N}";

        var (exitCode, output, error) = await TriggerAsync(
            "payments", "recordpayment", $"{{\"reference\":\"{reference}\",\"amountMinor\":4250,\"currency\":\"EUR\"}}");

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(reference, json.RootElement.GetProperty("result").GetProperty("Reference").GetString());
        var payments = await worker.WithAsync<PaymentsDbContext, List<long>>(
            db => db.Payments.Where(p => p.Reference == reference).Select(p => p.AmountMinor).ToListAsync());
        Assert.Equal([4250L], payments);
    }

    [Fact]
    public async Task Trigger_BookingOnTheBookingsQueue_PaysThroughThePaymentsQueueAndCancelsWithRefund()
    {
        await using var payments = await WorkerProcess.StartAsync(
            new PaymentsDomain(), fixture.Address, await fixture.Postgres.CreateDatabaseAsync("payments_for_bookings"), taskQueue: null);
        await using var bookings = await WorkerProcess.StartAsync(
            new BookingsDomain(), fixture.Address, await fixture.Postgres.CreateDatabaseAsync("bookings_queue"), taskQueue: null);
        var reference = $"book-{Guid.NewGuid():N}";
        var workflowId = $"booking-{reference}";

        var (exitCode, _, error) = await CommandLineRunner.RunAsync(CliHost.Domains,
        [
            "trigger", "bookings", "booking",
            $"{{\"reference\":\"{reference}\",\"client\":\"ada@example.com\",\"practitioner\":\"dr-{reference}\",\"service\":\"massage-60\",\"startsAt\":\"2030-12-01T09:00:00Z\",\"duration\":\"01:00:00\",\"priceMinor\":6000,\"currency\":\"EUR\"}}",
            "--id", workflowId, "--address", fixture.Address,
        ]);
        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        var handle = fixture.Client.GetWorkflowHandle<BookingWorkflow>(workflowId);
        await handle.WaitUntilAsync(() => StatusAsync(bookings, reference), s => s == BookingStatus.Confirmed, $"booking {reference} confirmed");
        await handle.SignalAsync(wf => wf.CancelAsync(new CancelBookingRequest("client asked")));
        var state = await handle.GetResultAsync<BookingState>();

        Assert.Equal((BookingStatus.Cancelled, "client asked"), (state.Status, state.CancellationReason));
        var booking = await bookings.WithAsync<BookingsDbContext, Booking>(db => db.Bookings.AsNoTracking().SingleAsync(b => b.Reference == reference));
        Assert.Equal((BookingStatus.Cancelled, state.CaptureId, state.RefundId), (booking.Status, booking.CaptureId, booking.RefundId));
        var ledger = await payments.WithAsync<PaymentsDbContext, List<(long, ProviderOperationKind)>>(async db =>
            (await db.ProviderOperations.Where(o => o.Reference == reference).OrderBy(o => o.Id).ToListAsync()).Select(o => (o.Id, o.Kind)).ToList());
        Assert.Equal([ProviderOperationKind.Authorize, ProviderOperationKind.Capture, ProviderOperationKind.Refund], ledger.Select(o => o.Item2));
        Assert.Equal([state.CaptureId!.Value, state.RefundId!.Value], ledger.Skip(1).Select(o => o.Item1));
    }

    private static Task<BookingStatus?> StatusAsync(WorkerProcess bookings, string reference) =>
        bookings.WithAsync<BookingsDbContext, BookingStatus?>(db =>
            db.Bookings.Where(b => b.Reference == reference).Select(b => (BookingStatus?)b.Status).SingleOrDefaultAsync());

    private Task<(int ExitCode, string Output, string Error)> TriggerAsync(params string[] args) =>
        CommandLineRunner.RunAsync(CliHost.Domains, ["trigger", .. args, "--wait", "--json", "--address", fixture.Address]);
}
