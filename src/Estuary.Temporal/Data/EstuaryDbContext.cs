using Microsoft.EntityFrameworkCore;

namespace Estuary.Temporal.Data;

/// <summary>
/// Base of every domain's EF Core context: adds the table <c>estuary_activity_results</c> that makes
/// <see cref="Activities.TransactionalAttribute">transactional activities</see> take effect once.
/// A derived context must call <c>base.OnModelCreating</c> and have one constructor taking
/// <c>DbContextOptions&lt;TContext&gt;</c> (the Aspire registration pools contexts).
/// </summary>
/// <param name="options">The context options.</param>
public abstract class EstuaryDbContext(DbContextOptions options) : DbContext(options)
{
    /// <summary>The table of recorded activity results.</summary>
    public const string ActivityResultsTable = "estuary_activity_results";

    /// <summary>Gets the recorded results of committed transactional activities.</summary>
    public DbSet<ActivityResult> ActivityResults => Set<ActivityResult>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<ActivityResult>(entity =>
        {
            entity.ToTable(ActivityResultsTable);
            entity.HasKey(r => new { r.WorkflowId, r.RunId, r.ActivityId });
            entity.Property(r => r.WorkflowId).HasColumnName("workflow_id");
            entity.Property(r => r.RunId).HasColumnName("run_id");
            entity.Property(r => r.ActivityId).HasColumnName("activity_id");
            entity.Property(r => r.ActivityType).HasColumnName("activity_type");
            entity.Property(r => r.Result).HasColumnName("result").HasColumnType("jsonb");
            entity.Property(r => r.CompletedAt).HasColumnName("completed_at");
        });
    }
}
