using System.Text.Json;
using Estuary.Cli;
using Estuary.Cli.Commands;
using Estuary.Tests.Commands;
using Estuary.Tests.Infrastructure;
using Estuary.Worker.Bookings;
using Estuary.Worker.Bookings.Data;
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
    public async Task Trigger_RequestBookingOnTheBookingsQueue_StoresTheRequestedBooking()
    {
        var domain = new BookingsDomain();
        await using var worker = await WorkerProcess.StartAsync(
            domain, fixture.Address, await fixture.Postgres.CreateDatabaseAsync("bookings_queue"), taskQueue: null);
        var reference = $"book-{Guid.NewGuid():N}";

        var (exitCode, output, error) = await TriggerAsync(
            "bookings", "RequestBookingWorkflow",
            $"{{\"reference\":\"{reference}\",\"customerEmail\":\"ada@example.com\",\"startsAt\":\"2026-12-01T09:00:00Z\"}}");

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(reference, json.RootElement.GetProperty("result").GetProperty("Reference").GetString());
        var emails = await worker.WithAsync<BookingsDbContext, List<string>>(
            db => db.Bookings.Where(b => b.Reference == reference).Select(b => b.CustomerEmail).ToListAsync());
        Assert.Equal(["ada@example.com"], emails);
    }

    private Task<(int ExitCode, string Output, string Error)> TriggerAsync(params string[] args) =>
        CommandLineRunner.RunAsync(CliHost.Domains, ["trigger", .. args, "--wait", "--json", "--address", fixture.Address]);
}
