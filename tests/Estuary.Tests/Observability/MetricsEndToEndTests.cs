using Estuary.Temporal.Domains;
using Estuary.Temporal.Monitoring;
using Estuary.Tests.Infrastructure;
using OpenTelemetry.Metrics;
using Temporalio.Client;
using TemporalConnectionOptions = Estuary.Temporal.Configuration.TemporalConnectionOptions;

namespace Estuary.Tests.Observability;

/// <summary>Metric values exported through the service defaults' OpenTelemetry pipeline by a real worker.</summary>
[Collection(UsesTemporal.Name)]
public sealed class MetricsEndToEndTests(EndToEndFixture fixture)
{
    private readonly TelemetryCapture _capture = new();

    [Fact]
    public async Task Run_ActivityRetriedOnce_CountsAndTimesEachAttemptAndTheWorkflowByDomainTypeAndOutcome()
    {
        var taskQueue = $"metrics-{Guid.NewGuid():N}";
        var domain = new TracedDomain($"metrics{Guid.NewGuid():N}");
        await using var host = await StartWorkerAsync(taskQueue, domain);

        await (await ClientAsync()).ExecuteWorkflowAsync((RetriedWorkflow wf) => wf.RunAsync("counted"), new($"metrics-{Guid.NewGuid():N}", taskQueue));

        var metrics = _capture.CollectMetrics(host.Services);
        Assert.Equal(2, Sum(metrics, "estuary.executions.started", domain, "activity", "traced_fail_first_attempt"));
        Assert.Equal(1, Sum(metrics, "estuary.executions.completed", domain, "activity", "traced_fail_first_attempt"));
        Assert.Equal(1, Sum(metrics, "estuary.executions.failed", domain, "activity", "traced_fail_first_attempt", Outcome.Failed));
        Assert.Equal(1, Sum(metrics, "estuary.executions.completed", domain, "activity", "traced_echo"));
        Assert.Equal(0, Sum(metrics, "estuary.executions.failed", domain, "activity", "traced_echo"));
        Assert.Equal(1, Sum(metrics, "estuary.executions.started", domain, "workflow", "RetriedWorkflow"));
        Assert.Equal(1, Sum(metrics, "estuary.executions.completed", domain, "workflow", "RetriedWorkflow"));
        Assert.Equal(1, Count(metrics, "estuary.executions.duration", domain, "activity", "traced_fail_first_attempt", Outcome.Failed));
        Assert.Equal(1, Count(metrics, "estuary.executions.duration", domain, "activity", "traced_fail_first_attempt", Outcome.Completed));
        Assert.Equal(1, Count(metrics, "estuary.executions.duration", domain, "workflow", "RetriedWorkflow", Outcome.Completed));
        Assert.Equal("s", metrics["estuary.executions.duration"].Unit);
    }

    [Fact]
    public async Task Run_Workflow_TheTemporalSdkMetricsOfTheWorkerReachTheSamePipeline()
    {
        var taskQueue = $"sdk-metrics-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(taskQueue, new TracedDomain());

        await (await ClientAsync()).ExecuteWorkflowAsync((RetriedWorkflow wf) => wf.RunAsync("sdk"), new($"sdk-metrics-{Guid.NewGuid():N}", taskQueue));

        // The worker's SDK counts the completion once the server has acknowledged the workflow task, which may be
        // after the client has the result.
        var sdk = await Eventually.PollAsync(
            () => Task.FromResult(_capture.CollectMetrics(host.Services).Values
                .Where(m => m.MeterName == EstuaryTelemetry.SdkMeterName).ToDictionary(m => m.Name, StringComparer.Ordinal)),
            metrics => metrics.TryGetValue("temporal_workflow_completed", out var completed) && SumOnQueue(completed, taskQueue) > 0,
            "the worker's SDK counting the workflow's completion");
        Assert.Equal(1, SumOnQueue(sdk["temporal_workflow_completed"], taskQueue));
        Assert.Equal(1, SumOnQueue(sdk["temporal_activity_execution_failed"], taskQueue));
        var latency = sdk["temporal_workflow_task_schedule_to_start_latency"];
        Assert.Equal("s", latency.Unit);
        Assert.True(HistogramCountOnQueue(latency, taskQueue) >= 3);
        Assert.Equal(DurationHistograms.DefaultBoundaries, Bounds(latency));
        var slots = sdk["temporal_worker_task_slots_available"].MetricPoints.Where(p => p.Tag("task_queue") == taskQueue).ToList();
        Assert.Contains(slots, p => p.Tag("worker_type") == "WorkflowWorker" && p.GetGaugeLastValueLong() > 0);
    }

    [Fact]
    public async Task Run_BoundariesConfiguredForAnSdkHistogram_ThatHistogramIsExportedInThemAndEstuarysInTheDefaults()
    {
        var taskQueue = $"sdk-buckets-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(taskQueue, new TracedDomain(), ("Estuary:Telemetry:Histograms:temporal_activity_execution_latency:Boundaries", "0.01,0.1,1"));

        await (await ClientAsync()).ExecuteWorkflowAsync((RetriedWorkflow wf) => wf.RunAsync("buckets"), new($"sdk-buckets-{Guid.NewGuid():N}", taskQueue));

        var metrics = _capture.CollectMetrics(host.Services);
        Assert.Equal([0.01, 0.1, 1], Bounds(metrics["temporal_activity_execution_latency"]));
        Assert.Equal(DurationHistograms.DefaultBoundaries, Bounds(metrics["temporal_workflow_task_schedule_to_start_latency"]));
        Assert.Equal(DurationHistograms.DefaultBoundaries, Bounds(metrics[EstuaryTelemetry.InstrumentNames.Duration]));
    }

    // The bounds of a histogram's first point (the last bucket, to +infinity, left out): every point of a metric has the same.
    private static List<double> Bounds(MetricSnapshot metric)
    {
        var bounds = new List<double>();
        foreach (var bucket in metric.MetricPoints[0].GetHistogramBuckets())
        {
            if (double.IsFinite(bucket.ExplicitBound))
            {
                bounds.Add(bucket.ExplicitBound);
            }
        }

        return bounds;
    }

    private static long Sum(IReadOnlyDictionary<string, MetricSnapshot> metrics, string name, TracedDomain domain, string kind, string type, string? outcome = null) =>
        !metrics.TryGetValue(name, out var metric) ? 0 : Points(metric, domain, kind, type, outcome).Sum(p => p.GetSumLong());

    private static long Count(IReadOnlyDictionary<string, MetricSnapshot> metrics, string name, TracedDomain domain, string kind, string type, string outcome) =>
        Points(metrics[name], domain, kind, type, outcome).Sum(p => p.GetHistogramCount());

    private static IEnumerable<MetricPoint> Points(MetricSnapshot metric, TracedDomain domain, string kind, string type, string? outcome) =>
        metric.MetricPoints.Where(p =>
            p.Tag("estuary.kind") == kind && p.Tag("estuary.type") == type && p.Tag("estuary.domain") == domain.Name
            && (outcome is null || p.Tag("estuary.outcome") == outcome));

    private static long SumOnQueue(MetricSnapshot metric, string taskQueue) =>
        metric.MetricPoints.Where(p => p.Tag("task_queue") == taskQueue).Sum(p => p.GetSumLong());

    private static long HistogramCountOnQueue(MetricSnapshot metric, string taskQueue) =>
        metric.MetricPoints.Where(p => p.Tag("task_queue") == taskQueue).Sum(p => p.GetHistogramCount());

    private Task<TemporalClient> ClientAsync() =>
        TemporalClient.ConnectAsync(new TemporalConnectionOptions { Address = fixture.Address, Encryption = TestEncryption.Options }.ToConnectOptions(new DomainCatalog([new TracedDomain()])));

    private async Task<WorkerProcess> StartWorkerAsync(string taskQueue, TracedDomain domain, params (string Key, string Value)[] settings)
    {
        var configuration = new Dictionary<string, string?> { ["Estuary:Worker:TaskQueue"] = taskQueue };
        foreach (var (key, value) in settings)
        {
            configuration[key] = value;
        }

        return await WorkerProcess.StartAsync(WorkerHost.Build(fixture.Address, configuration, _capture.AddTo, domain), taskQueue);
    }
}
