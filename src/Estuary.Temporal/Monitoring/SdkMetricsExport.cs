using Microsoft.Extensions.Configuration;

namespace Estuary.Temporal.Monitoring;

/// <summary>
/// Where the Temporal SDK's own metrics go, set by <see cref="SdkMetricsSetting.ConfigurationKey"/>:
/// <see cref="Bridge"/> (the default), <see cref="Otlp"/> or <see cref="None"/>.
/// </summary>
public enum SdkMetricsExport
{
    /// <summary>Into <see cref="System.Diagnostics.Metrics"/> on <see cref="EstuaryTelemetry.SdkMeterName"/>, and from there
    /// through the host's OpenTelemetry pipeline with its exporters, resource and histogram boundaries (<see cref="TemporalSdkMetrics"/>).</summary>
    Bridge,

    /// <summary>Exported by the SDK's core itself over OTLP/gRPC to <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, with
    /// <c>OTEL_EXPORTER_OTLP_HEADERS</c>, <c>OTEL_METRIC_EXPORT_INTERVAL</c> and the resource of <c>OTEL_SERVICE_NAME</c> and
    /// <c>OTEL_RESOURCE_ATTRIBUTES</c>; cheaper on the worker, but outside the host's pipeline.</summary>
    Otlp,

    /// <summary>Not recorded.</summary>
    None,
}

/// <summary>Reads <see cref="SdkMetricsExport"/> from configuration.</summary>
public static class SdkMetricsSetting
{
    /// <summary>The configuration key.</summary>
    public const string ConfigurationKey = "Estuary:Telemetry:SdkMetrics";

    /// <summary>Reads the setting.</summary>
    /// <param name="configuration">The configuration root.</param>
    /// <returns>The configured value, <see cref="SdkMetricsExport.Bridge"/> when unset.</returns>
    /// <exception cref="InvalidOperationException">The value is not one of <see cref="SdkMetricsExport"/>'s names; the message names the key.</exception>
    public static SdkMetricsExport FromConfiguration(IConfiguration configuration)
    {
        var value = configuration[ConfigurationKey];
        if (string.IsNullOrWhiteSpace(value))
        {
            return SdkMetricsExport.Bridge;
        }

        // By name only: Enum.TryParse would also take numbers and comma-separated combinations.
        return Enum.GetValues<SdkMetricsExport>().Cast<SdkMetricsExport?>().FirstOrDefault(v => string.Equals(v.ToString(), value.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException(
                $"Configuration key '{ConfigurationKey}' must be {string.Join(", ", Enum.GetNames<SdkMetricsExport>())}, got '{value}'.");
    }
}
