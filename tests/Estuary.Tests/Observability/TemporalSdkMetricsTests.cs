using System.Diagnostics.Metrics;
using Estuary.Temporal.Monitoring;

namespace Estuary.Tests.Observability;

/// <summary>The bridge as the SDK drives it: instruments and tag sets created once, then records on them.</summary>
public sealed class TemporalSdkMetricsTests : IDisposable
{
    private readonly Meter _meter = new($"sdk-bridge-{Guid.NewGuid():N}");
    private readonly TemporalSdkMetrics _bridge;

    public TemporalSdkMetricsTests() => _bridge = new TemporalSdkMetrics(_meter);

    [Fact]
    public void CreateTags_SameTagsInAnotherOrderOrAnotherCall_SameSet()
    {
        var worker = _bridge.CreateTags(null, [new("task_queue", "q"), new("namespace", "default")]);

        var first = _bridge.CreateTags(worker, [new("activity_type", "a")]);
        var second = _bridge.CreateTags(_bridge.CreateTags(null, [new("namespace", "default"), new("task_queue", "q")]), [new("activity_type", "a")]);

        Assert.Same(first, second);
        Assert.NotSame(first, _bridge.CreateTags(worker, [new("activity_type", "b")]));
    }

    [Fact]
    public void Add_CounterOnEqualTagSets_OneSumPerTagSetWithTheSetsTags()
    {
        var counter = _bridge.CreateCounter<long>("temporal_activity_execution_failed", null, "failures");
        var worker = _bridge.CreateTags(null, [new("namespace", "default"), new("task_queue", "q")]);

        counter.Add(2, _bridge.CreateTags(worker, [new("activity_type", "a")]));
        counter.Add(3, _bridge.CreateTags(worker, [new("activity_type", "a")]));
        counter.Add(5, _bridge.CreateTags(worker, [new("activity_type", "b")]));

        var observed = Observe<long>("temporal_activity_execution_failed");
        Assert.Equal(2, observed.Count);
        Assert.Equal(5, observed.Single(m => m.Tags["activity_type"] == "a").Value);
        Assert.Equal(5, observed.Single(m => m.Tags["activity_type"] == "b").Value);
        Assert.Equal(["activity_type", "namespace", "task_queue"], observed[0].Tags.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Set_Gauge_LastValuePerTagSet()
    {
        var gauge = _bridge.CreateGauge<long>("temporal_worker_task_slots_available", null, null);
        var workflowSlots = _bridge.CreateTags(null, [new("task_queue", "q"), new("worker_type", "WorkflowWorker")]);
        var activitySlots = _bridge.CreateTags(null, [new("task_queue", "q"), new("worker_type", "ActivityWorker")]);

        gauge.Set(100, workflowSlots);
        gauge.Set(99, workflowSlots);
        gauge.Set(7, activitySlots);

        var observed = Observe<long>("temporal_worker_task_slots_available");
        Assert.Equal(99, observed.Single(m => m.Tags["worker_type"] == "WorkflowWorker").Value);
        Assert.Equal(7, observed.Single(m => m.Tags["worker_type"] == "ActivityWorker").Value);
    }

    [Fact]
    public void CreateTags_AddedTagAlreadyInherited_LaterValueReplacesIt()
    {
        var gauge = _bridge.CreateGauge<double>("temporal_sticky_cache_size", null, null);

        gauge.Set(1.5, _bridge.CreateTags(_bridge.CreateTags(null, [new("task_queue", "old")]), [new("task_queue", "new")]));

        var tags = Assert.Single(Observe<double>("temporal_sticky_cache_size")).Tags;
        Assert.Equal("new", Assert.Single(tags).Value);
    }

    [Fact]
    public void Record_DurationHistogram_RecordedInSecondsWithTheSetsTags()
    {
        var histogram = _bridge.CreateHistogram<double>("temporal_activity_schedule_to_start_latency", "duration", null);
        var recorded = new List<(double Value, Dictionary<string, string?> Tags, string? Unit)>();
        using var listener = Listen<double>((instrument, value, tags) => recorded.Add((value, tags, instrument.Unit)));

        histogram.Record(0.25, _bridge.CreateTags(null, [new("task_queue", "q")]));

        var (value, tags, unit) = Assert.Single(recorded);
        Assert.Equal((0.25, "q", "s"), (value, tags["task_queue"], unit));
    }

    public void Dispose() => _meter.Dispose();

    private List<(T Value, Dictionary<string, string?> Tags)> Observe<T>(string name)
        where T : struct
    {
        var observed = new List<(T, Dictionary<string, string?>)>();
        using var listener = Listen<T>((instrument, value, tags) =>
        {
            if (instrument.Name == name)
            {
                observed.Add((value, tags));
            }
        });
        listener.RecordObservableInstruments();
        return observed;
    }

    private MeterListener Listen<T>(Action<Instrument, T, Dictionary<string, string?>> onMeasurement)
        where T : struct
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter == _meter)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<T>((instrument, value, tags, _) =>
            onMeasurement(instrument, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value?.ToString(), StringComparer.Ordinal)));
        listener.Start();
        return listener;
    }
}
