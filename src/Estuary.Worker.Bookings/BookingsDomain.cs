using Estuary.Temporal.Domains;
using Estuary.Worker.Bookings.Data;

namespace Estuary.Worker.Bookings;

/// <summary>The bookings domain: a practitioner's sessions booked by clients, from slot reservation and payment (through
/// the Payments worker) to reminder, completion and follow-up.</summary>
public sealed class BookingsDomain : EstuaryDomain<BookingsDbContext>
{
    /// <inheritdoc />
    public override string Name => "bookings";

    /// <inheritdoc />
    public override string Description => "Bookings domain";
}
