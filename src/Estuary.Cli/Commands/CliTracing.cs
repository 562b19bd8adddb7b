using Estuary.Temporal.Monitoring;
using Microsoft.Extensions.Configuration;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Estuary.Cli.Commands;

/// <summary>
/// Exports the spans of a <c>trigger</c> (its <c>StartWorkflow</c> span is the root of the workflow's trace) over OTLP
/// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, so the dashboard shows one trace from the command to the SQL.
/// </summary>
internal static class CliTracing
{
    /// <summary>Starts exporting, or does nothing without an endpoint.</summary>
    /// <param name="configuration">The CLI's configuration (environment variables included).</param>
    /// <returns>The provider to dispose (which flushes) when the command ends, or <c>null</c>.</returns>
    public static TracerProvider? Start(IConfiguration configuration)
    {
        if (string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return null;
        }

        var serviceName = configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : "estuary-cli";
        return Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .AddSource(EstuaryTelemetry.Name)
            .AddOtlpExporter()
            .Build();
    }
}
