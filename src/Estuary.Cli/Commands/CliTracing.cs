using Estuary.Temporal.Configuration;
using Estuary.Temporal.Monitoring;
using Microsoft.Extensions.Configuration;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Estuary.Cli.Commands;

/// <summary>
/// Exports the spans of a <c>trigger</c> (its <c>StartWorkflow</c> span is the root of the workflow's trace) over OTLP
/// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, so the dashboard shows one trace from the command to the SQL. The
/// exporter's endpoint, protocol and headers come from the command line's configuration: the environment, or a local
/// AppHost's endpoints file.
/// </summary>
internal static class CliTracing
{
    /// <summary>Starts exporting, or does nothing without an endpoint.</summary>
    /// <param name="configuration">The CLI's configuration (environment variables included).</param>
    /// <returns>The provider to dispose (which flushes) when the command ends, or <c>null</c>.</returns>
    /// <exception cref="UsageException">The endpoint or the protocol is invalid.</exception>
    public static TracerProvider? Start(IConfiguration configuration)
    {
        if (string.IsNullOrWhiteSpace(configuration[LocalOtlp.EndpointKey]))
        {
            return null;
        }

        if (!Uri.TryCreate(configuration[LocalOtlp.EndpointKey], UriKind.Absolute, out var endpoint))
        {
            throw new UsageException($"{LocalOtlp.EndpointKey} must be an absolute URL such as http://localhost:4317, got '{configuration[LocalOtlp.EndpointKey]}'.");
        }

        // As the exporter reads the variables itself: the HTTP protocol posts to the endpoint's /v1/traces.
        var protocol = configuration[LocalOtlp.ProtocolKey]?.Trim() switch
        {
            null or "" or "grpc" => OtlpExportProtocol.Grpc,
            "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            var other => throw new UsageException($"{LocalOtlp.ProtocolKey} must be grpc or http/protobuf, got '{other}'."),
        };
        if (protocol == OtlpExportProtocol.HttpProtobuf)
        {
            endpoint = new Uri($"{endpoint.AbsoluteUri.TrimEnd('/')}/v1/traces");
        }

        var serviceName = configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : "estuary-cli";
        return Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .AddSource(EstuaryTelemetry.Name)
            .AddOtlpExporter(exporter =>
            {
                exporter.Endpoint = endpoint;
                exporter.Protocol = protocol;
                exporter.Headers = configuration[LocalOtlp.HeadersKey];
            })
            .Build();
    }
}
