using Estuary.Temporal.Data;
using Microsoft.EntityFrameworkCore;

namespace Estuary.Worker.DomainName.Data;

/// <summary>The DomainName domain's database. After a model change: <c>dotnet ef migrations add &lt;Name&gt; --project
/// src/Estuary.Worker.DomainName --output-dir Data/Migrations</c>; the worker applies it at start-up.</summary>
/// <param name="options">The context options.</param>
public sealed class DomainNameDbContext(DbContextOptions<DomainNameDbContext> options) : EstuaryDbContext(options)
{
    /// <summary>Gets the items.</summary>
    public DbSet<DomainNameItem> Items => Set<DomainNameItem>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<DomainNameItem>(item =>
        {
            item.ToTable("domainname_items");
            item.HasKey(i => i.Id);
            item.Property(i => i.Id).HasColumnName("id").UseIdentityByDefaultColumn();
            item.Property(i => i.Name).HasColumnName("name").HasMaxLength(200);
            item.Property(i => i.Status).HasColumnName("status").HasMaxLength(50);
            item.Property(i => i.CreatedAt).HasColumnName("created_at").HasDefaultValueSql("now()");
        });
    }
}
