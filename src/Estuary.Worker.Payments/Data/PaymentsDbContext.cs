using Estuary.Temporal.Data;
using Microsoft.EntityFrameworkCore;

namespace Estuary.Worker.Payments.Data;

/// <summary>The payments domain's database.</summary>
/// <param name="options">The context options.</param>
public sealed class PaymentsDbContext(DbContextOptions<PaymentsDbContext> options) : EstuaryDbContext(options)
{
    /// <summary>Gets the payments.</summary>
    public DbSet<Payment> Payments => Set<Payment>();

    /// <summary>Gets the operations the built-in payment provider carried out.</summary>
    public DbSet<ProviderOperation> ProviderOperations => Set<ProviderOperation>();

    /// <summary>Gets every call made to the built-in payment provider.</summary>
    public DbSet<ProviderAttempt> ProviderAttempts => Set<ProviderAttempt>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<Payment>(payment =>
        {
            payment.ToTable("payments");
            payment.HasKey(p => p.Id);
            payment.HasIndex(p => p.Reference).IsUnique();
            payment.HasIndex(p => p.RecordedAt);
            payment.Property(p => p.Id).HasColumnName("id").UseIdentityByDefaultColumn();
            payment.Property(p => p.Reference).HasColumnName("reference").HasMaxLength(100);
            payment.Property(p => p.AmountMinor).HasColumnName("amount_minor");
            payment.Property(p => p.Currency).HasColumnName("currency").HasMaxLength(3).IsFixedLength();
            payment.Property(p => p.Payee).HasColumnName("payee").HasMaxLength(100);
            payment.Property(p => p.Status).HasColumnName("status").HasMaxLength(50);
            payment.Property(p => p.RecordedAt).HasColumnName("recorded_at");
        });
        modelBuilder.Entity<ProviderOperation>(operation =>
        {
            operation.ToTable("provider_operations");
            operation.HasKey(o => o.Id);
            operation.HasIndex(o => o.IdempotencyKey).IsUnique();
            operation.HasIndex(o => o.RelatedOperationId);
            operation.Property(o => o.Id).HasColumnName("id").UseIdentityByDefaultColumn();
            operation.Property(o => o.IdempotencyKey).HasColumnName("idempotency_key").HasMaxLength(200);
            operation.Property(o => o.Kind).HasColumnName("kind").HasConversion<string>().HasMaxLength(20);
            operation.Property(o => o.Reference).HasColumnName("reference").HasMaxLength(200);
            operation.Property(o => o.AmountMinor).HasColumnName("amount_minor");
            operation.Property(o => o.Currency).HasColumnName("currency").HasMaxLength(3).IsFixedLength();
            operation.Property(o => o.RelatedOperationId).HasColumnName("related_operation_id");
            operation.Property(o => o.CreatedAt).HasColumnName("created_at");
        });
        modelBuilder.Entity<ProviderAttempt>(attempt =>
        {
            attempt.ToTable("provider_attempts");
            attempt.HasKey(a => a.Id);
            attempt.HasIndex(a => a.IdempotencyKey);
            attempt.Property(a => a.Id).HasColumnName("id").UseIdentityByDefaultColumn();
            attempt.Property(a => a.IdempotencyKey).HasColumnName("idempotency_key").HasMaxLength(200);
            attempt.Property(a => a.Kind).HasColumnName("kind").HasConversion<string>().HasMaxLength(20);
            attempt.Property(a => a.Outcome).HasColumnName("outcome").HasConversion<string>().HasMaxLength(20);
            attempt.Property(a => a.Error).HasColumnName("error").HasMaxLength(500);
            attempt.Property(a => a.At).HasColumnName("at");
        });
    }
}
