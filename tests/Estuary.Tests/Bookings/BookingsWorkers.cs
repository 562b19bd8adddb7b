using Estuary.Tests.Infrastructure;
using Estuary.Tests.Payments;
using Estuary.Worker.Bookings;
using Estuary.Worker.Bookings.Workflows;
using Estuary.Worker.Payments;

namespace Estuary.Tests.Bookings;

/// <summary>
/// A Bookings worker and a Payments worker for one test, on the time-skipping server, each on its own task queue and
/// its test class's database: a booking's payment runs as a child workflow on the Payments worker's queue, which the
/// Bookings worker does not serve. Both pool their database connections, as deployed workers do: without a pool every
/// activity would open a new PostgreSQL connection, a server process started for it.
/// </summary>
internal sealed class BookingsWorkers : IAsyncDisposable
{
    private BookingsWorkers(TimeSkippingServer server, WorkerProcess bookings, WorkerProcess payments)
    {
        Server = server;
        Bookings = bookings;
        Payments = payments;
    }

    /// <summary>Gets the time-skipping server both workers poll.</summary>
    public TimeSkippingServer Server { get; }

    /// <summary>Gets the Bookings worker.</summary>
    public WorkerProcess Bookings { get; }

    /// <summary>Gets the Payments worker.</summary>
    public WorkerProcess Payments { get; }

    /// <summary>Starts both workers.</summary>
    /// <param name="fixture">The end-to-end fixture.</param>
    /// <param name="testClass">The test class, whose databases the workers use.</param>
    /// <param name="failures">Payment provider failure rules.</param>
    /// <returns>The running workers.</returns>
    public static async Task<BookingsWorkers> StartAsync(EndToEndFixture fixture, Type testClass, params Failure[] failures)
    {
        var server = await fixture.TimeSkippingAsync();
        var payments = await WorkerProcess.StartAsync(
            new PaymentsDomain(),
            server.Address,
            LocalPostgres.Pooled(await fixture.Postgres.DatabaseForAsync(typeof(PaymentsDatabase<>).MakeGenericType(testClass))),
            $"payments-{Guid.NewGuid():N}",
            PaymentsWorker.Settings(failures));
        var bookings = await WorkerProcess.StartAsync(
            new BookingsDomain(),
            server.Address,
            LocalPostgres.Pooled(await fixture.Postgres.DatabaseForAsync(testClass)),
            $"bookings-{Guid.NewGuid():N}",
            new Dictionary<string, string?>
            {
                ["Estuary:Domains:bookings:Activities:InitialInterval"] = "00:00:00.050",
                ["Estuary:Domains:bookings:Activities:MaximumInterval"] = "00:00:00.200",
                ["Estuary:Domains:bookings:Activities:StartToCloseTimeout"] = "00:00:10",
            });
        return new BookingsWorkers(server, bookings, payments);
    }

    /// <summary>A booking of a one-hour session for 60.00 EUR, paid on this test's Payments worker, without follow-up.</summary>
    /// <param name="practitioner">The practitioner.</param>
    /// <param name="startsAt">When the session starts.</param>
    /// <returns>The input, with a new reference.</returns>
    public BookingInput Booking(string practitioner, DateTimeOffset startsAt) =>
        new($"book-{Guid.NewGuid():N}", "ada@example.org", practitioner, "massage-60", startsAt, TimeSpan.FromHours(1), 6000, "EUR",
            PaymentsTaskQueue: Payments.TaskQueue, FollowUpDays: 0);

    /// <summary>Ends whatever the test left open on the shared time-skipping server, then stops both workers.</summary>
    /// <returns>A task completing once both are stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await Server.TerminateOpenRunsAsync(Bookings.TaskQueue, Payments.TaskQueue);
        await Bookings.DisposeAsync();
        await Payments.DisposeAsync();
    }

    // A key of its own for the test class's payments database (DatabaseForAsync keys databases by type).
    private sealed class PaymentsDatabase<TTestClass>;
}
