using Aspire.Hosting.ApplicationModel;
using Estuary.Temporal.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Aspire.Hosting;

/// <summary>Tells the developer and the <c>estuary</c> command line where the running application's endpoints are.</summary>
public static class LocalEndpointsExtensions
{
    /// <summary>
    /// When every resource is healthy, logs one block with Temporal's address and UI, PostgreSQL's connection string
    /// (without its password) and the dashboard's URL, and writes them with the dashboard's OTLP endpoint and API key to
    /// the <see cref="LocalEndpoints"/> file (<c>Estuary:LocalEndpointsFile</c>, default
    /// <see cref="LocalEndpoints.DefaultPath"/>), which <c>estuary</c> reads when no address is given; the file is removed
    /// when the application stops. Nothing happens in publish mode.
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="temporal">The Temporal resource.</param>
    /// <param name="postgres">The PostgreSQL server.</param>
    /// <returns>The application builder.</returns>
    public static IDistributedApplicationBuilder PublishLocalEndpoints(
        this IDistributedApplicationBuilder builder,
        IResourceBuilder<TemporalResource> temporal,
        IResourceBuilder<EstuaryPostgresResource> postgres)
    {
        if (builder.ExecutionContext.IsRunMode)
        {
            var path = LocalEndpoints.PathFrom(builder.Configuration);
            builder.Services.AddHostedService(services => ActivatorUtilities.CreateInstance<LocalEndpointsPublisher>(
                services, new LocalEndpointsPublisher.Target(temporal.Resource, postgres.Resource, path)));
        }

        return builder;
    }
}
