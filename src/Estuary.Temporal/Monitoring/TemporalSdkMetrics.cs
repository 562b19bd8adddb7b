using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Temporalio.Runtime;

namespace Estuary.Temporal.Monitoring;

/// <summary>
/// Bridges the Temporal SDK's own metrics (poll latency, schedule-to-start latency, task slots, sticky cache, request
/// counts and failures, …) into <see cref="System.Diagnostics.Metrics"/> on the meter <see cref="EstuaryTelemetry.SdkMeterName"/>,
/// so they leave the process through the same OpenTelemetry pipeline as Estuary's own metrics. Durations are
/// recorded as seconds (unit <c>s</c>).
/// </summary>
/// <remarks>
/// The SDK calls into .NET dozens of times per activity, on its own threads, and most of those calls are counter
/// increments and task-slot gauge updates. A measurement through a <see cref="Counter{T}"/> or <see cref="Gauge{T}"/>
/// makes every listener look its tags up again; here a tag set is looked up once, when the SDK creates it (identical
/// sets become one object), and counters and gauges keep their values in cells of that set, read by observable
/// instruments when metrics are collected. Histograms are recorded directly.
/// </remarks>
public sealed class TemporalSdkMetrics : ICustomMetricMeter
{
    private readonly Meter _meter;
    private readonly ConcurrentDictionary<TagSet, TagSet> _tagSets = new();
    private readonly TagSet _root = new([]);

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
        where T : struct =>
        typeof(T) == typeof(long)
            ? (ICustomMetricCounter<T>)(object)new CellCounter(_meter, name, Unit(unit), description)
            : new Counter<T>(_meter.CreateCounter<T>(name, Unit(unit), description));

    /// <inheritdoc />
    public ICustomMetricHistogram<T> CreateHistogram<T>(string name, string? unit, string? description)
        where T : struct => new Histogram<T>(_meter.CreateHistogram<T>(name, Unit(unit), description));

    /// <inheritdoc />
    public ICustomMetricGauge<T> CreateGauge<T>(string name, string? unit, string? description)
        where T : struct => new CellGauge<T>(_meter, name, Unit(unit), description);

    /// <inheritdoc />
    public object CreateTags(object? appendFrom, IReadOnlyCollection<KeyValuePair<string, object>> tags)
    {
        // The SDK derives most sets from the same few parents with the same few tags (a worker's set plus an activity
        // or workflow type): those come from the parent's memory of what was added to it.
        var parent = appendFrom as TagSet ?? _root;
        var added = tags as KeyValuePair<string, object>[] ?? [.. tags];
        if (parent.Derived.TryGetValue(added, out var known))
        {
            return known;
        }

        var created = new TagSet(Merge(parent.Tags, added));
        return parent.Derived.GetOrAdd(added, _tagSets.GetOrAdd(created, created));
    }

    // In name order, a later value replacing an inherited one: the same tags make the same set whatever order the SDK
    // adds them in. Inherited sets are already in that order; the SDK adds one to three tags at a time.
    private static KeyValuePair<string, object?>[] Merge(KeyValuePair<string, object?>[] inherited, KeyValuePair<string, object>[] added)
    {
        var all = new List<KeyValuePair<string, object?>>(inherited.Length + added.Length);
        all.AddRange(inherited);
        foreach (var (key, value) in added)
        {
            var at = 0;
            while (at < all.Count && string.CompareOrdinal(all[at].Key, key) < 0)
            {
                at++;
            }

            if (at == all.Count)
            {
                all.Add(new(key, value));
            }
            else if (all[at].Key == key)
            {
                all[at] = new(key, value);
            }
            else
            {
                all.Insert(at, new(key, value));
            }
        }

        return [.. all];
    }

    // With FloatSeconds the SDK records its "duration" histograms in seconds.
    private static string? Unit(string? unit) => unit == "duration" ? "s" : unit;

    /// <summary>A set of tags, compared by content; one object per distinct content, so cells can be keyed by reference.</summary>
    private sealed class TagSet(KeyValuePair<string, object?>[] tags) : IEquatable<TagSet>
    {
        private readonly int _hash = HashOf<object?>(tags);

        public KeyValuePair<string, object?>[] Tags { get; } = tags;

        /// <summary>Gets the sets made from this one, by the tags added to it.</summary>
        public ConcurrentDictionary<KeyValuePair<string, object>[], TagSet> Derived { get; } = new(AddedTagsComparer.Instance);

        public bool Equals(TagSet? other) =>
            other is not null && _hash == other._hash && SameTags<object?>(Tags, other.Tags);

        public override bool Equals(object? obj) => Equals(obj as TagSet);

        public override int GetHashCode() => _hash;
    }

    private sealed class AddedTagsComparer : IEqualityComparer<KeyValuePair<string, object>[]>
    {
        public static readonly AddedTagsComparer Instance = new();

        public bool Equals(KeyValuePair<string, object>[]? x, KeyValuePair<string, object>[]? y) =>
            x is null || y is null ? x == y : SameTags<object>(x, y);

        public int GetHashCode(KeyValuePair<string, object>[] tags) => HashOf<object>(tags);
    }

    // Tags are equal when their names (ordinal) and values are, in the same order.
    private static bool SameTags<TValue>(ReadOnlySpan<KeyValuePair<string, TValue>> x, ReadOnlySpan<KeyValuePair<string, TValue>> y)
    {
        if (x.Length != y.Length)
        {
            return false;
        }

        for (var i = 0; i < x.Length; i++)
        {
            if (!string.Equals(x[i].Key, y[i].Key, StringComparison.Ordinal) || !Equals(x[i].Value, y[i].Value))
            {
                return false;
            }
        }

        return true;
    }

    private static int HashOf<TValue>(ReadOnlySpan<KeyValuePair<string, TValue>> tags)
    {
        var hash = default(HashCode);
        foreach (var (key, value) in tags)
        {
            hash.Add(key, StringComparer.Ordinal);
            hash.Add(value);
        }

        return hash.ToHashCode();
    }

    /// <summary>A counter whose sums per tag set are read when metrics are collected.</summary>
    private sealed class CellCounter : ICustomMetricCounter<long>
    {
        private readonly ConcurrentDictionary<TagSet, StrongBox<long>> _cells = new(ReferenceEqualityComparer.Instance);

        public CellCounter(Meter meter, string name, string? unit, string? description) =>
            meter.CreateObservableCounter(name, Observe, unit, description);

        public void Add(long value, object tags) =>
            Interlocked.Add(ref _cells.GetOrAdd((TagSet)tags, static _ => new StrongBox<long>()).Value, value);

        private IEnumerable<Measurement<long>> Observe()
        {
            foreach (var (tags, cell) in _cells)
            {
                yield return new(Interlocked.Read(ref cell.Value), tags.Tags);
            }
        }
    }

    /// <summary>A gauge whose last value per tag set is read when metrics are collected.</summary>
    private sealed class CellGauge<T> : ICustomMetricGauge<T>
        where T : struct
    {
        private readonly ConcurrentDictionary<TagSet, StrongBox<T>> _cells = new(ReferenceEqualityComparer.Instance);

        public CellGauge(Meter meter, string name, string? unit, string? description) =>
            meter.CreateObservableGauge(name, Observe, unit, description);

        // long and double are written whole on 64-bit platforms: a reader sees the old value or the new one.
        public void Set(T value, object tags) => _cells.GetOrAdd((TagSet)tags, static _ => new StrongBox<T>()).Value = value;

        private IEnumerable<Measurement<T>> Observe()
        {
            foreach (var (tags, cell) in _cells)
            {
                yield return new(cell.Value, tags.Tags);
            }
        }
    }

    private sealed class Counter<T>(System.Diagnostics.Metrics.Counter<T> counter) : ICustomMetricCounter<T>
        where T : struct
    {
        public void Add(T value, object tags) => counter.Add(value, ((TagSet)tags).Tags);
    }

    private sealed class Histogram<T>(System.Diagnostics.Metrics.Histogram<T> histogram) : ICustomMetricHistogram<T>
        where T : struct
    {
        public void Record(T value, object tags) => histogram.Record(value, ((TagSet)tags).Tags);
    }
}
