using Estuary.Temporal.Data;
using Microsoft.Extensions.Hosting;

namespace Estuary.Temporal.Domains;

/// <summary>
/// A domain with its own PostgreSQL database, reached through <typeparamref name="TContext"/>. The worker registers
/// the context the Aspire way (pooled, retrying execution strategy, health check, telemetry) from the connection
/// string <c>ConnectionStrings:{Name}-db</c>, and applies its migrations before polling.
/// </summary>
/// <typeparam name="TContext">The domain's EF Core context.</typeparam>
public abstract class EstuaryDomain<TContext> : EstuaryDomain
    where TContext : EstuaryDbContext
{
    /// <inheritdoc />
    public sealed override Type? DbContextType => typeof(TContext);

    /// <inheritdoc />
    internal override void AddDatabase(IHostApplicationBuilder builder) =>
        builder.AddNpgsqlDbContext<TContext>(ConnectionName);
}
