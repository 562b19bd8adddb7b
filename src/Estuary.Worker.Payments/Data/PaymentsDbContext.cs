using Estuary.Temporal.Data;
using Microsoft.EntityFrameworkCore;

namespace Estuary.Worker.Payments.Data;

/// <summary>The payments domain's database.</summary>
/// <param name="options">The context options.</param>
public sealed class PaymentsDbContext(DbContextOptions<PaymentsDbContext> options) : EstuaryDbContext(options)
{
    /// <summary>Gets the payments.</summary>
    public DbSet<Payment> Payments => Set<Payment>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<Payment>(payment =>
        {
            payment.ToTable("payments");
            payment.HasKey(p => p.Id);
            payment.HasIndex(p => p.Reference).IsUnique();
            payment.Property(p => p.Id).HasColumnName("id").UseIdentityByDefaultColumn();
            payment.Property(p => p.Reference).HasColumnName("reference").HasMaxLength(100);
            payment.Property(p => p.AmountMinor).HasColumnName("amount_minor");
            payment.Property(p => p.Currency).HasColumnName("currency").HasMaxLength(3).IsFixedLength();
            payment.Property(p => p.Status).HasColumnName("status").HasMaxLength(50);
            payment.Property(p => p.RecordedAt).HasColumnName("recorded_at");
        });
    }
}
