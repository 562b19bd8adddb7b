using Estuary.Temporal.Monitoring;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Npgsql;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Aspire service defaults shared by every Estuary process: OpenTelemetry (logs, traces, metrics exported over
/// OTLP to the Aspire dashboard when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set), health checks, service discovery
/// and resilient HTTP clients.
/// </summary>
public static class Extensions
{
    /// <summary>The path of the readiness endpoint (every health check).</summary>
    public const string HealthEndpointPath = "/health";

    /// <summary>The path of the liveness endpoint (checks tagged <c>live</c>).</summary>
    public const string AlivenessEndpointPath = "/alive";

    /// <summary>Adds the service defaults to a host.</summary>
    /// <typeparam name="TBuilder">The host builder type.</typeparam>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    /// <summary>
    /// Configures OpenTelemetry logging (scopes included, trace and span ids on every record written inside a span or by
    /// workflow code), tracing (Estuary's client, workflow and activity spans, ASP.NET Core, HTTP; the SQL as
    /// <see cref="SqlTelemetrySetting.ConfigurationKey"/> says, by default as events on the activity's span) and metrics (Estuary's executions, the Temporal SDK's own metrics, Npgsql, ASP.NET Core, HTTP,
    /// runtime; durations in the buckets of <see cref="DurationHistograms"/>).
    /// </summary>
    /// <typeparam name="TBuilder">The host builder type.</typeparam>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="InvalidOperationException">The histograms' or the SQL's configuration is invalid; the message names the key.</exception>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var histograms = DurationHistograms.FromConfiguration(builder.Configuration);

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;

            // First, so exporters added later see the record with the workflow's ids.
            logging.AddProcessor(new WorkflowTraceLogProcessor());
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddMeter(EstuaryTelemetry.Name, EstuaryTelemetry.SdkMeterName)
                .AddView(instrument => histograms.BoundariesOf(instrument) is { } boundaries
                    ? new ExplicitBucketHistogramConfiguration { Boundaries = boundaries }
                    : null)
                .AddNpgsqlInstrumentation()
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation())
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(EstuaryTelemetry.Name)
                .AddAspNetCoreInstrumentation(options =>
                    options.Filter = context =>
                        !context.Request.Path.StartsWithSegments(HealthEndpointPath, StringComparison.Ordinal)
                        && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath, StringComparison.Ordinal))
                .AddHttpClientInstrumentation());

        // Npgsql's span per SQL command only on request: by default the SQL is a cheaper event on the activity's span.
        if (SqlTelemetrySetting.FromConfiguration(builder.Configuration) == SqlTelemetry.Spans)
        {
            builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddNpgsql());
        }

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>Adds a liveness check; domains and the Temporal worker add readiness checks of their own.</summary>
    /// <typeparam name="TBuilder">The host builder type.</typeparam>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (ready: every check; 200 only when all are Healthy, 503 when one is Degraded or Unhealthy, so a
    /// worker not yet polling is not ready), <c>/alive</c> (live: the <c>live</c> checks, 200 unless Unhealthy) and, in an
    /// Estuary worker, its workflow catalog (<see cref="WorkflowCatalogEndpoints.MapWorkflowCatalog"/>).
    /// </summary>
    /// <param name="app">The web application.</param>
    /// <returns>The same application.</returns>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions { ResultStatusCodes = ReadinessStatusCodes });
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });
        app.MapWorkflowCatalog();
        return app;
    }

    // ASP.NET Core answers 200 for Degraded; readiness means every check is Healthy.
    private static Dictionary<HealthStatus, int> ReadinessStatusCodes => new()
    {
        [HealthStatus.Healthy] = StatusCodes.Status200OK,
        [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
        [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
    };
}
