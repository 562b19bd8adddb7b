using Estuary.Temporal.Activities;
using Estuary.Worker.Bookings.Data;
using Microsoft.EntityFrameworkCore;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace Estuary.Worker.Bookings.Activities;

/// <summary>A booking request.</summary>
/// <param name="Reference">The client's reference, unique across bookings.</param>
/// <param name="CustomerEmail">The e-mail address of the customer.</param>
/// <param name="StartsAt">When the session starts; in the future.</param>
public sealed record RequestBookingInput(string Reference, string CustomerEmail, DateTimeOffset StartsAt);

/// <summary>A requested booking.</summary>
/// <param name="BookingId">The booking id.</param>
/// <param name="Reference">The client's reference.</param>
/// <param name="Status">The booking's status.</param>
/// <param name="RequestedAt">When it was requested.</param>
public sealed record BookingRequested(int BookingId, string Reference, string Status, DateTimeOffset RequestedAt);

/// <summary>The bookings domain's activities.</summary>
/// <param name="db">The domain's database, scoped to this activity execution.</param>
/// <param name="time">The clock.</param>
public sealed class BookingActivities(BookingsDbContext db, TimeProvider time)
{
    /// <summary>The error type of a booking request that cannot be taken as given; never retried.</summary>
    public const string InvalidBooking = "InvalidBooking";

    /// <summary>Takes a booking request, once, in one transaction.</summary>
    /// <param name="input">The request.</param>
    /// <returns>The requested booking.</returns>
    /// <exception cref="ApplicationFailureException">Non-retryable <see cref="InvalidBooking"/>: invalid reference,
    /// e-mail address or start time, or a booking with that reference already requested.</exception>
    [Activity("request_booking")]
    [Transactional]
    public async Task<BookingRequested> RequestBookingAsync(RequestBookingInput input)
    {
        var cancellationToken = ActivityExecutionContext.Current.CancellationToken;
        var now = time.GetUtcNow();
        Validate(input, now);
        if (await db.Bookings.AnyAsync(b => b.Reference == input.Reference, cancellationToken))
        {
            throw Invalid($"A booking with reference '{input.Reference}' is already requested");
        }

        var booking = new Booking
        {
            Reference = input.Reference,
            CustomerEmail = input.CustomerEmail,
            StartsAt = input.StartsAt.ToUniversalTime(),
            RequestedAt = now,
        };
        db.Bookings.Add(booking);
        await db.SaveChangesAsync(cancellationToken);
        return new BookingRequested(booking.Id, booking.Reference, booking.Status, booking.RequestedAt);
    }

    private static void Validate(RequestBookingInput input, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(input.Reference) || input.Reference.Length > 100)
        {
            throw Invalid("A booking reference must have 1 to 100 characters");
        }

        if (string.IsNullOrWhiteSpace(input.CustomerEmail) || input.CustomerEmail.Length > 320 || !input.CustomerEmail.Contains('@', StringComparison.Ordinal))
        {
            throw Invalid($"'{input.CustomerEmail}' is not an e-mail address");
        }

        if (input.StartsAt <= now)
        {
            throw Invalid($"A booking must start in the future, got {input.StartsAt:O}");
        }
    }

    // Invalid input stays invalid: fail at once rather than retry.
    private static ApplicationFailureException Invalid(string message) =>
        new(message, errorType: InvalidBooking, nonRetryable: true);
}
