using System.Diagnostics.Metrics;
using Estuary.Temporal.Monitoring;
using Temporalio.Runtime;

namespace Estuary.Monitoring.Bench;

/// <summary>
/// The SDK's metrics bridged in the plain form: every counter add, gauge set and histogram record goes to a
/// System.Diagnostics.Metrics instrument with the SDK's tags, without <see cref="TemporalSdkMetrics"/>' interned tag
/// sets and cells. Timed and run (<see cref="Monitors.SdkMetricsPlain"/>) against Estuary's bridge.
/// </summary>
internal sealed class PlainSdkMetrics : ICustomMetricMeter
{
    private readonly Meter _meter;

    /// <summary>Initializes a new instance of the <see cref="PlainSdkMetrics"/> class.</summary>
    /// <param name="meter">The meter the SDK's instruments are created on.</param>
    public PlainSdkMetrics(Meter meter) => _meter = meter;

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
                    CustomMetricMeter = new PlainSdkMetrics(EstuaryTelemetry.SdkMeter),
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
    public object CreateTags(object? appendFrom, IReadOnlyCollection<KeyValuePair<string, object>> tags)
    {
        var inherited = appendFrom as KeyValuePair<string, object?>[] ?? [];
        var all = new KeyValuePair<string, object?>[inherited.Length + tags.Count];
        inherited.CopyTo(all, 0);
        var index = inherited.Length;
        foreach (var (key, value) in tags)
        {
            all[index++] = new(key, value);
        }

        return all;
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
