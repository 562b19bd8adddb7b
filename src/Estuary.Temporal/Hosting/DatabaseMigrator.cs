using Estuary.Temporal.Domains;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Estuary.Temporal.Hosting;

/// <summary>
/// Applies the EF Core migrations of every served domain with a database when the host starts (called by
/// <see cref="WorkerStartup"/> before the Temporal workers poll, so no activity runs against an old schema); EF Core
/// takes a migration lock, so replicas starting together do not race.
/// </summary>
/// <remarks>
/// Most starts find every migration applied. EF Core's <c>Migrate</c> still builds the context's model and takes the
/// lock before it finds nothing to do, a large part of a worker's start. The migrator first compares the history
/// table's rows with the migrations the context's assembly defines, which needs neither, and migrates only when one is
/// missing.
/// </remarks>
/// <param name="services">The root service provider.</param>
/// <param name="domains">The served domains.</param>
/// <param name="logger">The logger.</param>
internal sealed class DatabaseMigrator(IServiceProvider services, IReadOnlyList<DomainDescriptor> domains, ILogger<DatabaseMigrator> logger)
{
    /// <summary>Applies what is missing, domain by domain.</summary>
    /// <param name="cancellationToken">Stops migrating.</param>
    /// <returns>A task completing once every domain's schema is up to date.</returns>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        foreach (var domain in domains.Select(d => d.Domain).Where(d => d.DbContextType is not null))
        {
            await using var scope = services.CreateAsyncScope();
            var db = (DbContext)scope.ServiceProvider.GetRequiredService(domain.DbContextType!);
            if (await AllAppliedAsync(db, cancellationToken))
            {
                logger.LogInformation("Migrations of domain {Domain} are all applied", domain.Name);
                continue;
            }

            logger.LogInformation("Applying migrations of domain {Domain}", domain.Name);
            await db.Database.MigrateAsync(cancellationToken);
        }
    }

    private static async Task<bool> AllAppliedAsync(DbContext db, CancellationToken cancellationToken)
    {
        var history = db.GetService<IHistoryRepository>();
        if (!await history.ExistsAsync(cancellationToken))
        {
            return false;
        }

        var applied = (await history.GetAppliedMigrationsAsync(cancellationToken)).Select(row => row.MigrationId).ToHashSet(StringComparer.Ordinal);
        return db.GetService<IMigrationsAssembly>().Migrations.Keys.All(applied.Contains);
    }
}
