using System.Diagnostics.Metrics;
using Estuary.Temporal.Monitoring;

namespace Estuary.Tests.Observability;

/// <summary>The bridge as the SDK drives it: instruments and tag sets created once, then records on them.</summary>
public sealed class TemporalSdkMetricsTests : IDisposable
{
    private readonly Meter _meter = new($"sdk-bridge-{Guid.NewGuid():N}");
    private readonly TemporalSdkMetrics _bridge;
    private readonly List<(string Instrument, object Value, string? Unit, Dictionary<string, string?> Tags)> _measured = [];
    private readonly MeterListener _listener;

    public TemporalSdkMetricsTests()
    {
        _bridge = new TemporalSdkMetrics(_meter);
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter == _meter)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Measured(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Measured(instrument, value, tags));
        _listener.Start();
    }

    [Fact]
    public void Add_CounterOnDerivedTagSets_EachAdditionCarriesTheInheritedAndAddedTags()
    {
        var counter = _bridge.CreateCounter<long>("temporal_activity_execution_failed", null, "failures");
        var worker = _bridge.CreateTags(null, [new("namespace", "default"), new("task_queue", "q")]);

        counter.Add(2, _bridge.CreateTags(worker, [new("activity_type", "a")]));
        counter.Add(5, _bridge.CreateTags(worker, [new("activity_type", "b")]));

        Assert.Equal(
            new (long, string?)[] { (2, "a"), (5, "b") },
            _measured.Select(m => ((long)m.Value, m.Tags["activity_type"])));
        Assert.All(_measured, m => Assert.Equal(("default", "q", 3), (m.Tags["namespace"], m.Tags["task_queue"], m.Tags.Count)));
    }

    [Fact]
    public void Set_Gauge_RecordsEachValueWithItsTagSet()
    {
        var gauge = _bridge.CreateGauge<long>("temporal_worker_task_slots_available", null, null);
        var workflowSlots = _bridge.CreateTags(null, [new("task_queue", "q"), new("worker_type", "WorkflowWorker")]);
        var activitySlots = _bridge.CreateTags(null, [new("task_queue", "q"), new("worker_type", "ActivityWorker")]);

        gauge.Set(100, workflowSlots);
        gauge.Set(7, activitySlots);

        Assert.Equal(
            new (long, string?)[] { (100, "WorkflowWorker"), (7, "ActivityWorker") },
            _measured.Select(m => ((long)m.Value, m.Tags["worker_type"])));
    }

    [Fact]
    public void CreateTags_AddedTagAlreadyInherited_LaterValueReplacesIt()
    {
        var gauge = _bridge.CreateGauge<double>("temporal_sticky_cache_size", null, null);

        gauge.Set(1.5, _bridge.CreateTags(_bridge.CreateTags(null, [new("task_queue", "old")]), [new("task_queue", "new")]));

        var tags = Assert.Single(_measured).Tags;
        Assert.Equal("new", Assert.Single(tags).Value);
    }

    [Fact]
    public void Record_DurationHistogram_RecordedInSecondsWithTheSetsTags()
    {
        var histogram = _bridge.CreateHistogram<double>("temporal_activity_schedule_to_start_latency", "duration", null);

        histogram.Record(0.25, _bridge.CreateTags(null, [new("task_queue", "q")]));

        var (_, value, unit, tags) = Assert.Single(_measured);
        Assert.Equal((0.25, "q", "s"), ((double)value, tags["task_queue"], unit));
    }

    public void Dispose()
    {
        _listener.Dispose();
        _meter.Dispose();
    }

    private void Measured(Instrument instrument, object value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        _measured.Add((instrument.Name, value, instrument.Unit, tags.ToArray().ToDictionary(t => t.Key, t => t.Value?.ToString(), StringComparer.Ordinal)));
}
