using System.Diagnostics.Metrics;
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
    public static TemporalRuntime CreateRuntime() =>
        new(new TemporalRuntimeOptions
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
        });

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
