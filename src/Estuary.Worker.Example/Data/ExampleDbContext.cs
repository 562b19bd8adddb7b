using Estuary.Temporal.Data;
using Microsoft.EntityFrameworkCore;

namespace Estuary.Worker.Example.Data;

/// <summary>The example domain's database.</summary>
/// <param name="options">The context options.</param>
public sealed class ExampleDbContext(DbContextOptions<ExampleDbContext> options) : EstuaryDbContext(options)
{
    /// <summary>Gets the entities.</summary>
    public DbSet<ExampleEntity> Entities => Set<ExampleEntity>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<ExampleEntity>(entity =>
        {
            entity.ToTable("example_entities");
            entity.HasKey(e => e.Id);
            entity.Property(e => e.Id).HasColumnName("id").UseIdentityByDefaultColumn();
            entity.Property(e => e.Name).HasColumnName("name").HasMaxLength(200);
            entity.Property(e => e.Status).HasColumnName("status").HasMaxLength(50);
            entity.Property(e => e.CreatedAt).HasColumnName("created_at").HasDefaultValueSql("now()");

            // A fresh database already holds entities 1 to 3, so `estuary trigger example example 1 --wait` succeeds out of the box.
            var seededAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            entity.HasData(
                new ExampleEntity { Id = 1, Name = "Example entity 1", CreatedAt = seededAt },
                new ExampleEntity { Id = 2, Name = "Example entity 2", CreatedAt = seededAt },
                new ExampleEntity { Id = 3, Name = "Example entity 3", CreatedAt = seededAt });
        });
    }
}
