using Estuary.Tests.Infrastructure;
using Estuary.Worker.Bookings;
using Estuary.Worker.Bookings.Activities;
using Estuary.Worker.Bookings.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Exceptions;

namespace Estuary.Tests.Temporal;

[Collection(UsesPostgres.Name)]
public sealed class BookingActivitiesTests(PostgresFixture postgres) : IAsyncLifetime
{
    private DomainHarness _harness = null!;

    public async Task InitializeAsync() =>
        _harness = await DomainHarness.CreateAsync(new BookingsDomain(), await postgres.DatabaseForAsync(GetType()));

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task RequestBooking_FutureSession_StoresOneRequestedBooking()
    {
        var input = new RequestBookingInput("B-1", "ada@example.org", DateTimeOffset.UtcNow.AddDays(3));

        var booked = await _harness.RunActivityAsync<BookingRequested>(_harness.Info("request_booking", "wf-book"), input);

        Assert.Equal(Booking.RequestedStatus, booked.Status);
        await using var scope = _harness.Services.CreateAsyncScope();
        var booking = Assert.Single(await ((BookingsDbContext)_harness.DbContext(scope)).Bookings.Where(b => b.Reference == "B-1").ToListAsync());
        Assert.Equal((booked.BookingId, "B-1", "ada@example.org"), (booking.Id, booking.Reference, booking.CustomerEmail));
    }

    [Fact]
    public async Task RequestBooking_PastSession_FailsWithoutRetry()
    {
        var input = new RequestBookingInput("B-2", "ada@example.org", DateTimeOffset.UtcNow.AddDays(-1));

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(
            () => _harness.RunActivityAsync<BookingRequested>(_harness.Info("request_booking", "wf-past"), input));

        Assert.True(failure.NonRetryable);
        Assert.Equal(BookingActivities.InvalidBooking, failure.ErrorType);
    }
}
