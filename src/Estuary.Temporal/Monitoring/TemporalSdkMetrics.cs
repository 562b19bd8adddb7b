using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Temporalio.Runtime;

namespace Estuary.Temporal.Monitoring;

/// <summary>
/// Bridges the Temporal SDK's own metrics (poll latency, schedule-to-start latency, task slots, sticky cache, request
/// counts and failures, …) into <see cref="System.Diagnostics.Metrics"/> on the meter <see cref="EstuaryTelemetry.SdkMeterName"/>,
/// so they leave the process through the same OpenTelemetry pipeline as Estuary's own metrics. Durations are
/// recorded as seconds (unit <c>s</c>).
/// </summary>
public sealed class TemporalSdkMetrics : ICustomMetricMeter
{
    private readonly Meter _meter;

    /// <summary>Initializes a new instance of the <see cref="TemporalSdkMetrics"/> class.</summary>
    /// <param name="meter">The meter the SDK's instruments are created on.</param>
    public TemporalSdkMetrics(Meter meter) => _meter = meter;

    /// <summary>Creates a Temporal runtime whose metrics go to <see cref="EstuaryTelemetry.SdkMeter"/>. A runtime is a
    /// thread pool of its own: create one per process and share it between clients.</summary>
    /// <returns>The runtime.</returns>
    public static TemporalRuntime CreateRuntime() => new(BridgeOptions());

    /// <summary>The options of the Temporal runtime that sends the SDK's metrics where <see cref="SdkMetricsSetting.ConfigurationKey"/>
    /// says (<see cref="SdkMetricsExport"/>). Read and checked at start; the runtime itself is created later, once per process.</summary>
    /// <param name="configuration">The configuration root (the <c>OTEL_…</c> variables included).</param>
    /// <returns>The runtime options.</returns>
    /// <exception cref="InvalidOperationException">The setting, or what <see cref="SdkMetricsExport.Otlp"/> needs, is invalid; the message names the key.</exception>
    public static TemporalRuntimeOptions RuntimeOptions(IConfiguration configuration) => SdkMetricsSetting.FromConfiguration(configuration) switch
    {
        SdkMetricsExport.Otlp => OtlpOptions(configuration),
        SdkMetricsExport.None => new TemporalRuntimeOptions(),
        _ => BridgeOptions(),
    };

    private static TemporalRuntimeOptions BridgeOptions() => new()
    {
        Telemetry = new TelemetryOptions
        {
            Metrics = new MetricsOptions
            {
                CustomMetricMeter = new TemporalSdkMetrics(EstuaryTelemetry.SdkMeter),
                CustomMetricMeterOptions = new CustomMetricMeterOptions
                {
                    HistogramDurationFormat = CustomMetricMeterOptions.DurationFormat.FloatSeconds,
                },
            },
        },
    };

    // The SDK core's exporter speaks OTLP/gRPC only (in 1.22.0 its Http protocol still sends gRPC), trusts the system's
    // certificate roots (SSL_CERT_FILE, SSL_CERT_DIR) and reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES itself.
    private static TemporalRuntimeOptions OtlpOptions(IConfiguration configuration)
    {
        const string Endpoint = "OTEL_EXPORTER_OTLP_ENDPOINT", Protocol = "OTEL_EXPORTER_OTLP_PROTOCOL", Headers = "OTEL_EXPORTER_OTLP_HEADERS", Interval = "OTEL_METRIC_EXPORT_INTERVAL";
        var why = $"Configuration key '{SdkMetricsSetting.ConfigurationKey}' is Otlp";
        if (!Uri.TryCreate(configuration[Endpoint], UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException($"{why}: '{Endpoint}' must be an http or https URL, got '{configuration[Endpoint]}'.");
        }

        if (configuration[Protocol] is { } protocol && !string.IsNullOrWhiteSpace(protocol) && protocol.Trim() != "grpc")
        {
            throw new InvalidOperationException($"{why}: the Temporal SDK exports over OTLP/gRPC only, but '{Protocol}' is '{protocol}'.");
        }

        if (configuration.GetSection(DurationHistograms.SectionName).GetChildren().FirstOrDefault(i => i.Key.StartsWith("temporal_", StringComparison.Ordinal)) is { } histogram)
        {
            throw new InvalidOperationException($"{why}: the SDK's histograms keep the SDK's own boundaries, so '{histogram.Path}' applies only with Bridge.");
        }

        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in (configuration[Headers] ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new InvalidOperationException($"{why}: '{Headers}' must be comma-separated name=value pairs, got '{pair}'.");
            }

            headers[pair[..equals].Trim()] = Uri.UnescapeDataString(pair[(equals + 1)..].Trim());
        }

        var options = new OpenTelemetryOptions(url) { Headers = headers, UseSecondsForDuration = true };
        if (configuration[Interval] is { } interval && !string.IsNullOrWhiteSpace(interval))
        {
            options.MetricsExportInterval = int.TryParse(interval, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds > 0
                ? TimeSpan.FromMilliseconds(milliseconds)
                : throw new InvalidOperationException($"{why}: '{Interval}' must be a positive number of milliseconds, got '{interval}'.");
        }

        return new TemporalRuntimeOptions { Telemetry = new TelemetryOptions { Metrics = new MetricsOptions(options) } };
    }

    /// <inheritdoc />
    public ICustomMetricCounter<T> CreateCounter<T>(string name, string? unit, string? description)
        where T : struct => new Counter<T>(_meter.CreateCounter<T>(name, Unit(unit), description));

    /// <inheritdoc />
    public ICustomMetricHistogram<T> CreateHistogram<T>(string name, string? unit, string? description)
        where T : struct => new Histogram<T>(_meter.CreateHistogram<T>(name, Unit(unit), description));

    /// <inheritdoc />
    public ICustomMetricGauge<T> CreateGauge<T>(string name, string? unit, string? description)
        where T : struct => new Gauge<T>(_meter.CreateGauge<T>(name, Unit(unit), description));

    /// <inheritdoc />
    /// <remarks>A tag set is the tags of <paramref name="appendFrom"/> with <paramref name="tags"/> added, a tag added
    /// under a name already there replacing it.</remarks>
    public object CreateTags(object? appendFrom, IReadOnlyCollection<KeyValuePair<string, object>> tags)
    {
        var merged = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in appendFrom as KeyValuePair<string, object?>[] ?? [])
        {
            merged[key] = value;
        }

        foreach (var (key, value) in tags)
        {
            merged[key] = value;
        }

        return merged.ToArray();
    }

    // With FloatSeconds the SDK records its "duration" histograms in seconds.
    private static string? Unit(string? unit) => unit == "duration" ? "s" : unit;

    private sealed class Counter<T>(System.Diagnostics.Metrics.Counter<T> counter) : ICustomMetricCounter<T>
        where T : struct
    {
        public void Add(T value, object tags) => counter.Add(value, (KeyValuePair<string, object?>[])tags);
    }

    private sealed class Histogram<T>(System.Diagnostics.Metrics.Histogram<T> histogram) : ICustomMetricHistogram<T>
        where T : struct
    {
        public void Record(T value, object tags) => histogram.Record(value, (KeyValuePair<string, object?>[])tags);
    }

    private sealed class Gauge<T>(System.Diagnostics.Metrics.Gauge<T> gauge) : ICustomMetricGauge<T>
        where T : struct
    {
        public void Set(T value, object tags) => gauge.Record(value, (KeyValuePair<string, object?>[])tags);
    }
}
