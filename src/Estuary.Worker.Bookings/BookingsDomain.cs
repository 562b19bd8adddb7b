using Estuary.Temporal.Domains;
using Estuary.Worker.Bookings.Data;

namespace Estuary.Worker.Bookings;

/// <summary>The bookings domain: takes booking requests.</summary>
public sealed class BookingsDomain : EstuaryDomain<BookingsDbContext>
{
    /// <inheritdoc />
    public override string Name => "bookings";

    /// <inheritdoc />
    public override string Description => "Bookings domain";
}
