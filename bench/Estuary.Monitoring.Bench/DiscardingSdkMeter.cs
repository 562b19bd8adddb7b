using Temporalio.Runtime;

namespace Estuary.Monitoring.Bench;

/// <summary>A meter for the SDK that drops every measurement: with it the SDK core does all its metric work (instruments,
/// tag sets, a call into .NET per measurement) and Estuary's bridge does none, which tells the two costs apart.</summary>
internal sealed class DiscardingSdkMeter : ICustomMetricMeter
{
    private static readonly object Tags = new();

    public static TemporalRuntime CreateRuntime() =>
        new(new TemporalRuntimeOptions { Telemetry = new() { Metrics = new() { CustomMetricMeter = new DiscardingSdkMeter() } } });

    public ICustomMetricCounter<T> CreateCounter<T>(string name, string? unit, string? description)
        where T : struct => new Instrument<T>();

    public ICustomMetricHistogram<T> CreateHistogram<T>(string name, string? unit, string? description)
        where T : struct => new Instrument<T>();

    public ICustomMetricGauge<T> CreateGauge<T>(string name, string? unit, string? description)
        where T : struct => new Instrument<T>();

    public object CreateTags(object? appendFrom, IReadOnlyCollection<KeyValuePair<string, object>> tags) => Tags;

    private sealed class Instrument<T> : ICustomMetricCounter<T>, ICustomMetricHistogram<T>, ICustomMetricGauge<T>
        where T : struct
    {
        public void Add(T value, object tags)
        {
        }

        public void Record(T value, object tags)
        {
        }

        public void Set(T value, object tags)
        {
        }
    }
}
