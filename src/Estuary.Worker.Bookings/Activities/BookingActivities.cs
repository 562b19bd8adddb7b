using Estuary.Temporal.Activities;
using Estuary.Worker.Bookings.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace Estuary.Worker.Bookings.Activities;

/// <summary>A slot to reserve for a new booking.</summary>
/// <param name="Reference">The booking's reference, unique across bookings.</param>
/// <param name="Client">The client's reference.</param>
/// <param name="Practitioner">The practitioner's reference.</param>
/// <param name="Service">The service booked.</param>
/// <param name="StartsAt">When the session starts.</param>
/// <param name="EndsAt">When the session ends; after <paramref name="StartsAt"/>.</param>
/// <param name="PriceMinor">The price in the currency's minor unit; positive.</param>
/// <param name="Currency">The ISO 4217 currency code.</param>
public sealed record ReserveSlotInput(
    string Reference, string Client, string Practitioner, string Service, DateTimeOffset StartsAt, DateTimeOffset EndsAt, long PriceMinor, string Currency);

/// <summary>A booking as an activity left it.</summary>
/// <param name="BookingId">The booking id.</param>
/// <param name="Reference">The booking's reference.</param>
/// <param name="Status">Its status.</param>
/// <param name="StartsAt">When the session starts.</param>
/// <param name="EndsAt">When the session ends.</param>
public sealed record BookingSnapshot(int BookingId, string Reference, BookingStatus Status, DateTimeOffset StartsAt, DateTimeOffset EndsAt);

/// <summary>A paid booking to confirm.</summary>
/// <param name="BookingId">The booking.</param>
/// <param name="CaptureId">The payment provider's capture of its payment.</param>
public sealed record ConfirmBookingInput(int BookingId, long CaptureId);

/// <summary>A booking to cancel.</summary>
/// <param name="BookingId">The booking.</param>
/// <param name="Reason">Why.</param>
/// <param name="RefundId">The payment provider's refund of its payment, when it was paid.</param>
public sealed record CancelBookingInput(int BookingId, string Reason, long? RefundId);

/// <summary>A booking to move to another time.</summary>
/// <param name="BookingId">The booking.</param>
/// <param name="StartsAt">The new start.</param>
/// <param name="EndsAt">The new end.</param>
public sealed record RescheduleBookingInput(int BookingId, DateTimeOffset StartsAt, DateTimeOffset EndsAt);

/// <summary>A session that is over.</summary>
/// <param name="BookingId">The booking.</param>
/// <param name="NoShow">Whether the client did not come.</param>
public sealed record CompleteBookingInput(int BookingId, bool NoShow);

/// <summary>A reminder to send.</summary>
/// <param name="BookingId">The booking.</param>
/// <param name="SessionStartsAt">The start of the session reminded of.</param>
public sealed record SendReminderInput(int BookingId, DateTimeOffset SessionStartsAt);

/// <summary>A reminder sent.</summary>
/// <param name="ReminderId">The reminder.</param>
/// <param name="BookingId">The booking.</param>
/// <param name="SessionStartsAt">The start of the session reminded of.</param>
/// <param name="SentAt">When it was sent.</param>
/// <param name="AlreadySent">Whether it had been sent before this call (nothing was sent again).</param>
public sealed record ReminderSent(long ReminderId, int BookingId, DateTimeOffset SessionStartsAt, DateTimeOffset SentAt, bool AlreadySent);

/// <summary>What the follow-up found.</summary>
/// <param name="BookingId">The booking.</param>
/// <param name="Status">Its status.</param>
/// <param name="ReviewedAt">When the client's review was received, if it was.</param>
public sealed record FollowUpCheck(int BookingId, BookingStatus Status, DateTimeOffset? ReviewedAt);

/// <summary>The bookings domain's activities: each one step of a booking, in one transaction.</summary>
/// <param name="db">The domain's database, scoped to this activity execution.</param>
/// <param name="time">The clock.</param>
public sealed class BookingActivities(BookingsDbContext db, TimeProvider time)
{
    /// <summary>The error type of a booking request that cannot be taken as given; never retried.</summary>
    public const string InvalidBooking = "InvalidBooking";

    /// <summary>The error type of a slot the practitioner already has booked; never retried.</summary>
    public const string SlotUnavailable = "SlotUnavailable";

    // PostgreSQL's exclusion_violation: the practitioner-slot constraint rejected the row.
    private const string ExclusionViolation = "23P01";

    /// <summary>Reserves a practitioner's slot: stores the booking as <see cref="BookingStatus.Requested"/>.</summary>
    /// <param name="input">The booking.</param>
    /// <returns>The booking.</returns>
    /// <exception cref="ApplicationFailureException">Non-retryable <see cref="SlotUnavailable"/> when the practitioner has
    /// an active booking overlapping the slot; <see cref="InvalidBooking"/> for invalid input or a reference already used.</exception>
    [Activity("reserve_slot")]
    [Transactional]
    public async Task<BookingSnapshot> ReserveSlotAsync(ReserveSlotInput input)
    {
        var cancellationToken = ActivityExecutionContext.Current.CancellationToken;
        Validate(input);
        if (await db.Bookings.AnyAsync(b => b.Reference == input.Reference, cancellationToken))
        {
            throw Invalid($"A booking with reference '{input.Reference}' already exists");
        }

        var booking = new Booking
        {
            Reference = input.Reference,
            Client = input.Client,
            Practitioner = input.Practitioner,
            Service = input.Service,
            StartsAt = input.StartsAt.ToUniversalTime(),
            EndsAt = input.EndsAt.ToUniversalTime(),
            PriceMinor = input.PriceMinor,
            Currency = input.Currency,
            RequestedAt = time.GetUtcNow(),
        };
        db.Bookings.Add(booking);
        await SaveSlotAsync(booking, cancellationToken);
        return Snapshot(booking);
    }

    /// <summary>Confirms a paid booking.</summary>
    /// <param name="input">The booking and its payment.</param>
    /// <returns>The booking.</returns>
    [Activity("confirm_booking")]
    [Transactional]
    public async Task<BookingSnapshot> ConfirmBookingAsync(ConfirmBookingInput input)
    {
        var booking = await FindAsync(input.BookingId, BookingStatus.Requested);
        booking.Status = BookingStatus.Confirmed;
        booking.CaptureId = input.CaptureId;
        await db.SaveChangesAsync(ActivityExecutionContext.Current.CancellationToken);
        return Snapshot(booking);
    }

    /// <summary>Cancels a booking, which frees its slot.</summary>
    /// <param name="input">The booking, why, and its refund.</param>
    /// <returns>The booking.</returns>
    [Activity("cancel_booking")]
    [Transactional]
    public async Task<BookingSnapshot> CancelBookingAsync(CancelBookingInput input)
    {
        var booking = await FindAsync(input.BookingId, BookingStatus.Requested, BookingStatus.Confirmed);
        booking.Status = BookingStatus.Cancelled;
        booking.CancellationReason = input.Reason.Length > 500 ? input.Reason[..500] : input.Reason;
        booking.RefundId = input.RefundId;
        await db.SaveChangesAsync(ActivityExecutionContext.Current.CancellationToken);
        return Snapshot(booking);
    }

    /// <summary>Moves a confirmed booking to another slot of the same practitioner.</summary>
    /// <param name="input">The booking and its new slot.</param>
    /// <returns>The booking.</returns>
    /// <exception cref="ApplicationFailureException">Non-retryable <see cref="SlotUnavailable"/> when the practitioner has
    /// another active booking overlapping the new slot (the booking keeps its slot).</exception>
    [Activity("reschedule_booking")]
    [Transactional]
    public async Task<BookingSnapshot> RescheduleBookingAsync(RescheduleBookingInput input)
    {
        if (input.EndsAt <= input.StartsAt)
        {
            throw Invalid($"A session must end after it starts, got {input.StartsAt:O} to {input.EndsAt:O}");
        }

        var booking = await FindAsync(input.BookingId, BookingStatus.Confirmed);
        booking.StartsAt = input.StartsAt.ToUniversalTime();
        booking.EndsAt = input.EndsAt.ToUniversalTime();
        await SaveSlotAsync(booking, ActivityExecutionContext.Current.CancellationToken);
        return Snapshot(booking);
    }

    /// <summary>Marks a confirmed booking whose session is over as completed, or as a no-show.</summary>
    /// <param name="input">The booking.</param>
    /// <returns>The booking.</returns>
    [Activity("complete_booking")]
    [Transactional]
    public async Task<BookingSnapshot> CompleteBookingAsync(CompleteBookingInput input)
    {
        var booking = await FindAsync(input.BookingId, BookingStatus.Confirmed);
        booking.Status = input.NoShow ? BookingStatus.NoShow : BookingStatus.Completed;
        await db.SaveChangesAsync(ActivityExecutionContext.Current.CancellationToken);
        return Snapshot(booking);
    }

    /// <summary>
    /// Sends the client a reminder of a session, once: the reminder is recorded in <c>booking_reminders</c>, unique per
    /// booking and session start, in the same transaction, so a retry, a replayed workflow or a second run for the same
    /// session finds it and sends nothing more. (Delivery is the recorded row: an outbox a notifier reads.)
    /// </summary>
    /// <param name="input">The booking and the session's start.</param>
    /// <returns>The reminder.</returns>
    [Activity("send_reminder")]
    [Transactional]
    public async Task<ReminderSent> SendReminderAsync(SendReminderInput input)
    {
        var cancellationToken = ActivityExecutionContext.Current.CancellationToken;
        var sessionStartsAt = input.SessionStartsAt.ToUniversalTime();
        var sent = await db.Reminders.AsNoTracking().SingleOrDefaultAsync(
            r => r.BookingId == input.BookingId && r.SessionStartsAt == sessionStartsAt, cancellationToken);
        if (sent is not null)
        {
            return new ReminderSent(sent.Id, sent.BookingId, sent.SessionStartsAt, sent.SentAt, AlreadySent: true);
        }

        var booking = await FindAsync(input.BookingId, BookingStatus.Confirmed);
        var reminder = new BookingReminder
        {
            BookingId = booking.Id,
            SessionStartsAt = sessionStartsAt,
            Recipient = booking.Client,
            SentAt = time.GetUtcNow(),
        };
        db.Reminders.Add(reminder);
        await db.SaveChangesAsync(cancellationToken);
        return new ReminderSent(reminder.Id, reminder.BookingId, reminder.SessionStartsAt, reminder.SentAt, AlreadySent: false);
    }

    /// <summary>Looks at a booking after its session: has the client's review come in?</summary>
    /// <param name="bookingId">The booking.</param>
    /// <returns>What was found.</returns>
    [Activity("check_follow_up")]
    public async Task<FollowUpCheck> CheckFollowUpAsync(int bookingId)
    {
        var booking = await db.Bookings.AsNoTracking().SingleOrDefaultAsync(b => b.Id == bookingId, ActivityExecutionContext.Current.CancellationToken)
            ?? throw Invalid($"Booking {bookingId} not found");
        return new FollowUpCheck(booking.Id, booking.Status, booking.ReviewedAt);
    }

    private static BookingSnapshot Snapshot(Booking booking) =>
        new(booking.Id, booking.Reference, booking.Status, booking.StartsAt, booking.EndsAt);

    private async Task<Booking> FindAsync(int bookingId, params BookingStatus[] allowed)
    {
        var booking = await db.Bookings.SingleOrDefaultAsync(b => b.Id == bookingId, ActivityExecutionContext.Current.CancellationToken)
            ?? throw Invalid($"Booking {bookingId} not found");
        if (!allowed.Contains(booking.Status))
        {
            throw Invalid($"Booking {booking.Reference} is {booking.Status}; this step needs {string.Join(" or ", allowed)}");
        }

        return booking;
    }

    // The exclusion constraint is what makes a double booking impossible, even between two concurrent requests.
    private async Task SaveSlotAsync(Booking booking, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: ExclusionViolation, ConstraintName: BookingsDbContext.PractitionerSlotConstraint })
        {
            throw new ApplicationFailureException(
                $"Practitioner '{booking.Practitioner}' is already booked between {booking.StartsAt:yyyy-MM-dd HH:mm} and {booking.EndsAt:yyyy-MM-dd HH:mm} UTC",
                errorType: SlotUnavailable,
                nonRetryable: true);
        }
    }

    private static void Validate(ReserveSlotInput input)
    {
        string? error = input switch
        {
            { Reference: null or "" } or { Reference.Length: > 100 } => "A booking reference must have 1 to 100 characters",
            { Client: null or "" } or { Client.Length: > 320 } => "A client must have 1 to 320 characters",
            { Practitioner: null or "" } or { Practitioner.Length: > 100 } => "A practitioner must have 1 to 100 characters",
            { Service: null or "" } or { Service.Length: > 100 } => "A service must have 1 to 100 characters",
            _ when input.EndsAt <= input.StartsAt => $"A session must end after it starts, got {input.StartsAt:O} to {input.EndsAt:O}",
            { PriceMinor: <= 0 } => $"A price must be positive, got {input.PriceMinor}",
            _ when input.Currency is not { Length: 3 } || !input.Currency.All(char.IsAsciiLetterUpper) => $"A currency must be a three-letter ISO 4217 code, got '{input.Currency}'",
            _ => null,
        };
        if (error is not null)
        {
            throw Invalid(error);
        }
    }

    // Invalid input stays invalid: fail at once rather than retry.
    private static ApplicationFailureException Invalid(string message) =>
        new(message, errorType: InvalidBooking, nonRetryable: true);
}
