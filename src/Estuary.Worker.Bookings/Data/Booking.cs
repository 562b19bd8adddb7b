namespace Estuary.Worker.Bookings.Data;

/// <summary>A booking of a session.</summary>
public sealed class Booking
{
    /// <summary>The status of a booking just requested.</summary>
    public const string RequestedStatus = "requested";

    /// <summary>Gets or sets the id.</summary>
    public int Id { get; set; }

    /// <summary>Gets or sets the client's reference, unique across bookings.</summary>
    public required string Reference { get; set; }

    /// <summary>Gets or sets the e-mail address of the customer.</summary>
    public required string CustomerEmail { get; set; }

    /// <summary>Gets or sets when the booked session starts.</summary>
    public DateTimeOffset StartsAt { get; set; }

    /// <summary>Gets or sets the status.</summary>
    public string Status { get; set; } = RequestedStatus;

    /// <summary>Gets or sets when the booking was requested.</summary>
    public DateTimeOffset RequestedAt { get; set; }
}
