using Estuary.Temporal.Data;
using Microsoft.EntityFrameworkCore;

namespace Estuary.Worker.Bookings.Data;

/// <summary>The bookings domain's database.</summary>
/// <param name="options">The context options.</param>
public sealed class BookingsDbContext(DbContextOptions<BookingsDbContext> options) : EstuaryDbContext(options)
{
    /// <summary>The name of the constraint that rejects two active bookings of one practitioner at overlapping times.</summary>
    public const string PractitionerSlotConstraint = "bookings_practitioner_slot_excl";

    /// <summary>Gets the bookings.</summary>
    public DbSet<Booking> Bookings => Set<Booking>();

    /// <summary>Gets the reminders sent.</summary>
    public DbSet<BookingReminder> Reminders => Set<BookingReminder>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);

        // The practitioner-slot exclusion constraint (in the migration) compares practitioners with = inside a GiST index.
        modelBuilder.HasPostgresExtension("btree_gist");
        modelBuilder.Entity<Booking>(booking =>
        {
            booking.ToTable("bookings");
            booking.HasKey(b => b.Id);
            booking.HasIndex(b => b.Reference).IsUnique();
            booking.HasIndex(b => new { b.Practitioner, b.StartsAt });
            booking.Property(b => b.Id).HasColumnName("id").UseIdentityByDefaultColumn();
            booking.Property(b => b.Reference).HasColumnName("reference").HasMaxLength(100);
            booking.Property(b => b.Client).HasColumnName("client").HasMaxLength(320);
            booking.Property(b => b.Practitioner).HasColumnName("practitioner").HasMaxLength(100);
            booking.Property(b => b.Service).HasColumnName("service").HasMaxLength(100);
            booking.Property(b => b.StartsAt).HasColumnName("starts_at");
            booking.Property(b => b.EndsAt).HasColumnName("ends_at");
            booking.Property(b => b.PriceMinor).HasColumnName("price_minor");
            booking.Property(b => b.Currency).HasColumnName("currency").HasMaxLength(3).IsFixedLength();
            booking.Property(b => b.Status).HasColumnName("status").HasConversion<string>().HasMaxLength(20);
            booking.Property(b => b.CaptureId).HasColumnName("capture_id");
            booking.Property(b => b.RefundId).HasColumnName("refund_id");
            booking.Property(b => b.CancellationReason).HasColumnName("cancellation_reason").HasMaxLength(500);
            booking.Property(b => b.RequestedAt).HasColumnName("requested_at");
            booking.Property(b => b.ReviewedAt).HasColumnName("reviewed_at");
            booking.ToTable(t => t.HasCheckConstraint("ck_bookings_ends_after_start", "ends_at > starts_at"));
        });
        modelBuilder.Entity<BookingReminder>(reminder =>
        {
            reminder.ToTable("booking_reminders");
            reminder.HasKey(r => r.Id);
            reminder.HasIndex(r => new { r.BookingId, r.SessionStartsAt }).IsUnique();
            reminder.HasOne<Booking>().WithMany().HasForeignKey(r => r.BookingId);
            reminder.Property(r => r.Id).HasColumnName("id").UseIdentityByDefaultColumn();
            reminder.Property(r => r.BookingId).HasColumnName("booking_id");
            reminder.Property(r => r.SessionStartsAt).HasColumnName("session_starts_at");
            reminder.Property(r => r.Recipient).HasColumnName("recipient").HasMaxLength(320);
            reminder.Property(r => r.SentAt).HasColumnName("sent_at");
        });
    }
}
