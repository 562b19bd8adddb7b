using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Estuary.Cli;
using Estuary.Cli.Commands;
using Estuary.Tests.Commands;
using Estuary.Tests.Infrastructure;
using Estuary.Worker.Bookings.Data;

namespace Estuary.Tests.Bookings;

/// <summary>The README's trigger commands for the Bookings workflows, on the time-skipping server with a Bookings and a
/// Payments worker; and what bad input does: one line on stderr, exit code 2, Temporal never contacted.</summary>
[Collection(UsesTemporal.Name)]
public sealed class BookingsTriggerTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task Trigger_BookingWithWait_PrintsTheCompletedBooking()
    {
        await using var workers = await BookingsWorkers.StartAsync(fixture, GetType());
        var startsAt = (await workers.Server.NowAsync()).AddDays(2);
        var reference = $"book-{Guid.NewGuid():N}";
        var input = $$"""
            {"reference":"{{reference}}","client":"ada@example.org","practitioner":"dr-{{reference}}","service":"massage-60","startsAt":"{{startsAt:O}}","duration":"00:45:00","priceMinor":6000,"currency":"EUR","paymentsTaskQueue":"{{workers.Payments.TaskQueue}}","followUpDays":0}
            """;

        using var output = await workers.Server.SkippingTimeAsync(() => TriggerAsync(workers, "booking", input));

        var result = output.RootElement.GetProperty("result");
        Assert.Equal(("Completed", reference), (result.GetProperty("Status").GetString(), result.GetProperty("Reference").GetString()));
        Assert.Equal(startsAt.AddMinutes(45), result.GetProperty("EndsAt").GetDateTimeOffset());
        Assert.Equal(startsAt, result.GetProperty("ReminderSentFor").GetDateTimeOffset());
    }

    [Fact]
    public async Task Trigger_BookingFollowUpWithWait_PrintsTheReviewReceived()
    {
        await using var workers = await BookingsWorkers.StartAsync(fixture, GetType());
        var now = await workers.Server.NowAsync();
        var booking = await workers.Bookings.WithAsync<BookingsDbContext, Booking>(async db =>
        {
            var booking = new Booking
            {
                Reference = $"book-{Guid.NewGuid():N}",
                Client = "ada@example.org",
                Practitioner = $"dr-{Guid.NewGuid():N}",
                Service = "massage-60",
                StartsAt = now.AddDays(-1),
                EndsAt = now.AddDays(-1).AddHours(1),
                PriceMinor = 6000,
                Currency = "EUR",
                Status = BookingStatus.Completed,
                ReviewedAt = now,
            };
            db.Bookings.Add(booking);
            await db.SaveChangesAsync();
            return booking;
        });

        using var output = await workers.Server.SkippingTimeAsync(() =>
            TriggerAsync(workers, "bookingfollowup", $$"""{"bookingId":{{booking.Id}},"reference":"{{booking.Reference}}","days":5}"""));

        var result = output.RootElement.GetProperty("result");
        Assert.Equal((true, 1, 1), (result.GetProperty("ReviewReceived").GetBoolean(), result.GetProperty("DaysChecked").GetInt32(), result.GetProperty("Runs").GetInt32()));
    }

    [Theory]
    [InlineData("booking", "{not json")]
    [InlineData("booking", """{"reference":"b","duration":"an hour"}""")]
    [InlineData("bookingfollowup", """{"bookingId":"seven"}""")]
    [InlineData("booking")]
    [InlineData("booking", "{}", "{}")]
    public async Task Trigger_InvalidArguments_PrintsOneLineExitsTwoAndContactsNothing(string workflow, params string[] arguments)
    {
        using var temporal = new TcpListener(IPAddress.Loopback, 0);
        temporal.Start();

        var (exitCode, output, error) = await CommandLineRunner.RunAsync(
            CliHost.Domains, ["trigger", "bookings", workflow, .. arguments, "--address", $"127.0.0.1:{((IPEndPoint)temporal.LocalEndpoint).Port}"]);

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains(workflow == "booking" ? "BookingWorkflow" : "BookingFollowUpWorkflow", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Empty(output);
        Assert.False(temporal.Pending(), "Temporal must not be contacted when the arguments are invalid.");
    }

    private static async Task<JsonDocument> TriggerAsync(BookingsWorkers workers, string workflow, string input)
    {
        var (exitCode, output, error) = await CommandLineRunner.RunAsync(
            CliHost.Domains, ["trigger", "bookings", workflow, input, "--task-queue", workers.Bookings.TaskQueue, "--wait", "--json", "--address", workers.Server.Address]);
        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        return JsonDocument.Parse(output);
    }
}
