using Estuary.Temporal.Domains;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Estuary.Temporal.Hosting;

/// <summary>
/// Applies the EF Core migrations of every served domain with a database when the host starts. Registered before
/// the Temporal workers, so no activity runs against an old schema; EF Core takes a migration lock, so replicas
/// starting together do not race.
/// </summary>
/// <param name="services">The root service provider.</param>
/// <param name="domains">The served domains.</param>
/// <param name="logger">The logger.</param>
internal sealed class DatabaseMigrator(IServiceProvider services, IReadOnlyList<DomainDescriptor> domains, ILogger<DatabaseMigrator> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var domain in domains.Select(d => d.Domain).Where(d => d.DbContextType is not null))
        {
            await using var scope = services.CreateAsyncScope();
            var db = (DbContext)scope.ServiceProvider.GetRequiredService(domain.DbContextType!);
            logger.LogInformation("Applying migrations of domain {Domain}", domain.Name);
            await db.Database.MigrateAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
