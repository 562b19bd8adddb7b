using System.Text.Json.Serialization;

namespace Estuary.Worker.Bookings.Data;

/// <summary>Where a booking stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BookingStatus>))]
public enum BookingStatus
{
    /// <summary>The slot is reserved; payment is being taken.</summary>
    Requested,

    /// <summary>Paid and confirmed: the session will take place.</summary>
    Confirmed,

    /// <summary>Cancelled (by the client, or because the payment was declined); the slot is free again.</summary>
    Cancelled,

    /// <summary>The session took place.</summary>
    Completed,

    /// <summary>The session was due but the client did not come.</summary>
    NoShow,
}

/// <summary>A booking of a practitioner's session by a client. While <see cref="BookingStatus.Requested"/> or
/// <see cref="BookingStatus.Confirmed"/> it holds the practitioner's slot: no other such booking may overlap it.</summary>
public sealed class Booking
{
    /// <summary>Gets or sets the id.</summary>
    public int Id { get; set; }

    /// <summary>Gets or sets the booking's reference, unique across bookings.</summary>
    public required string Reference { get; set; }

    /// <summary>Gets or sets the client's reference (who books: an id or an e-mail address).</summary>
    public required string Client { get; set; }

    /// <summary>Gets or sets the practitioner's reference (who gives the session).</summary>
    public required string Practitioner { get; set; }

    /// <summary>Gets or sets the service booked (e.g. <c>massage-60</c>).</summary>
    public required string Service { get; set; }

    /// <summary>Gets or sets when the session starts.</summary>
    public DateTimeOffset StartsAt { get; set; }

    /// <summary>Gets or sets when the session ends.</summary>
    public DateTimeOffset EndsAt { get; set; }

    /// <summary>Gets or sets the price in the currency's minor unit.</summary>
    public long PriceMinor { get; set; }

    /// <summary>Gets or sets the ISO 4217 currency code.</summary>
    public required string Currency { get; set; }

    /// <summary>Gets or sets the status.</summary>
    public BookingStatus Status { get; set; } = BookingStatus.Requested;

    /// <summary>Gets or sets the payment provider's capture of the payment, once paid.</summary>
    public long? CaptureId { get; set; }

    /// <summary>Gets or sets the payment provider's refund, once refunded.</summary>
    public long? RefundId { get; set; }

    /// <summary>Gets or sets why the booking was cancelled, when it was.</summary>
    public string? CancellationReason { get; set; }

    /// <summary>Gets or sets when the booking was requested.</summary>
    public DateTimeOffset RequestedAt { get; set; }

    /// <summary>Gets or sets when the client's review of the session was received (written by the application that
    /// takes reviews; the follow-up workflow looks for it).</summary>
    public DateTimeOffset? ReviewedAt { get; set; }
}

/// <summary>A reminder sent to a client before a session: one per booking and session start, so a retried or repeated
/// reminder step never reminds twice (a rescheduled session gets its own reminder).</summary>
public sealed class BookingReminder
{
    /// <summary>Gets or sets the id.</summary>
    public long Id { get; set; }

    /// <summary>Gets or sets the booking reminded of.</summary>
    public int BookingId { get; set; }

    /// <summary>Gets or sets the start of the session reminded of.</summary>
    public DateTimeOffset SessionStartsAt { get; set; }

    /// <summary>Gets or sets who was reminded (the booking's client).</summary>
    public required string Recipient { get; set; }

    /// <summary>Gets or sets when the reminder was sent.</summary>
    public DateTimeOffset SentAt { get; set; }
}
