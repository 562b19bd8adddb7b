using Estuary.Temporal.Data;
using Microsoft.EntityFrameworkCore;

namespace Estuary.Worker.Bookings.Data;

/// <summary>The bookings domain's database.</summary>
/// <param name="options">The context options.</param>
public sealed class BookingsDbContext(DbContextOptions<BookingsDbContext> options) : EstuaryDbContext(options)
{
    /// <summary>Gets the bookings.</summary>
    public DbSet<Booking> Bookings => Set<Booking>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<Booking>(booking =>
        {
            booking.ToTable("bookings");
            booking.HasKey(b => b.Id);
            booking.HasIndex(b => b.Reference).IsUnique();
            booking.Property(b => b.Id).HasColumnName("id").UseIdentityByDefaultColumn();
            booking.Property(b => b.Reference).HasColumnName("reference").HasMaxLength(100);
            booking.Property(b => b.CustomerEmail).HasColumnName("customer_email").HasMaxLength(320);
            booking.Property(b => b.StartsAt).HasColumnName("starts_at");
            booking.Property(b => b.Status).HasColumnName("status").HasMaxLength(50);
            booking.Property(b => b.RequestedAt).HasColumnName("requested_at");
        });
    }
}
