using Estuary.Temporal.Data;
using Estuary.Temporal.Monitoring;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Hosting;

namespace Estuary.Temporal.Domains;

/// <summary>
/// A domain with its own PostgreSQL database, reached through <typeparamref name="TContext"/>. The worker registers
/// the context the Aspire way (pooled, retrying execution strategy, health check, telemetry) from the connection
/// string <c>ConnectionStrings:{Name}-db</c>, and applies its migrations before polling.
/// </summary>
/// <remarks>
/// The domain is also its context's design-time factory, so <c>dotnet ef migrations add</c> builds the model without
/// starting the worker or needing a connection string (commands that connect, such as <c>dotnet ef database update</c>,
/// take <c>--connection</c>).
/// </remarks>
/// <typeparam name="TContext">The domain's EF Core context.</typeparam>
public abstract class EstuaryDomain<TContext> : EstuaryDomain, IDesignTimeDbContextFactory<TContext>
    where TContext : EstuaryDbContext
{
    /// <inheritdoc />
    public sealed override Type? DbContextType => typeof(TContext);

    /// <inheritdoc />
    /// <remarks>
    /// Migrating at start-up does not compare the model with the last migration's snapshot (EF Core's
    /// <c>PendingModelChangesWarning</c> check): building both models and diffing them would dominate a worker's
    /// start-up. A model change without its migration is caught by the tests instead (each domain's migrations
    /// must leave no pending model changes).
    /// The SQL shows in traces as <see cref="SqlTelemetrySetting.ConfigurationKey"/> says: as events on the current span
    /// (<see cref="SqlCommandEvents"/>) by default, as Npgsql's spans only when set to <see cref="SqlTelemetry.Spans"/>.
    /// </remarks>
    internal override void AddDatabase(IHostApplicationBuilder builder)
    {
        var sql = SqlTelemetrySetting.FromConfiguration(builder.Configuration);
        builder.AddNpgsqlDbContext<TContext>(
            ConnectionName,
            configureSettings: settings => settings.DisableTracing |= sql != SqlTelemetry.Spans,
            configureDbContextOptions: options =>
            {
                options.ConfigureWarnings(warnings => warnings.Ignore(RelationalEventId.PendingModelChangesWarning));
                if (sql == SqlTelemetry.Events)
                {
                    options.AddInterceptors(SqlCommandEvents.Instance);
                }
            });
    }

    /// <inheritdoc />
    TContext IDesignTimeDbContextFactory<TContext>.CreateDbContext(string[] args) =>
        (TContext)Activator.CreateInstance(typeof(TContext), new DbContextOptionsBuilder<TContext>().UseNpgsql().Options)!;
}
