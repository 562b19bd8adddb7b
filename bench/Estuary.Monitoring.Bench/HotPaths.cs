using System.Diagnostics;
using System.Globalization;
using Estuary.Temporal.Monitoring;
using Estuary.Temporal.Tracing;
using Microsoft.Extensions.Logging;

namespace Estuary.Monitoring.Bench;

/// <summary>
/// The per-activity work monitoring adds, timed alone in a loop (no server): what an activity costs in headers, spans,
/// log lines and counters, to compare with the end-to-end difference.
/// </summary>
internal static class HotPaths
{
    public static async Task RunAsync(string sink, int iterations)
    {
        await using var pipeline = await MonitoringPipeline.StartAsync(sink);
        Run(pipeline, iterations);
        RunSdkMetricsBridge(iterations / 4);
    }

    private static void Run(MonitoringPipeline pipeline, int iterations)
    {
        var logger = pipeline.LoggerFactory.CreateLogger<MonitoringInterceptor>();
        var tags = new TagList { { TracingTags.WorkflowId, "wf" }, { TracingTags.RunId, "run" }, { TracingTags.ActivityType, "bench_step" }, { TracingTags.Domain, "bench" } };

        // As an activity's trip goes: the workflow injects its StartActivity span's context, the activity extracts it.
        var context = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        Measure("headers: inject + extract", iterations, () =>
            _ = TraceHeaders.Extract(new Dictionary<string, Temporalio.Api.Common.V1.Payload>(TraceHeaders.Inject(null, context))));
        Measure("two spans (StartActivity + RunActivity)", iterations, () =>
        {
            using var schedule = EstuaryTelemetry.ActivitySource.StartActivity("StartActivity:bench_step", ActivityKind.Client, parentContext: default, tags);
            using var run = EstuaryTelemetry.ActivitySource.StartActivity("RunActivity:bench_step", ActivityKind.Server, schedule!.Context, tags);
        });
        Measure("scope + log lines (start at Debug) + counters", iterations, () =>
        {
            using var scope = logger.BeginScope("Domain:{Domain} WorkflowId:{WorkflowId} ActivityType:{ActivityType} Attempt:{Attempt}", "bench", "wf", "bench_step", 1);
            logger.LogDebug("Activity {ActivityType} started (attempt {Attempt})", "bench_step", 1);
            EstuaryTelemetry.Started.Add(1, new TagList { { "estuary.kind", "activity" }, { "estuary.domain", "bench" }, { "estuary.type", "bench_step" } });
            EstuaryTelemetry.Completed.Add(1, new TagList { { "estuary.kind", "activity" }, { "estuary.domain", "bench" }, { "estuary.type", "bench_step" } });
            EstuaryTelemetry.Duration.Record(0.001, new TagList { { "estuary.kind", "activity" }, { "estuary.domain", "bench" }, { "estuary.type", "bench_step" }, { "estuary.outcome", "completed" } });
            logger.LogInformation("Activity {ActivityType} {Outcome} in {DurationMs} ms (attempt {Attempt})", "bench_step", "completed", 0.5, 1);
        });
    }

    /// <summary>What the SDK's metrics cost on the .NET side of the bridge for one activity (its workflow task
    /// included): counted with the bench, the SDK makes about 31 records and 10 tag sets per activity, 12 of the
    /// records being the task-slot gauges.</summary>
    private static void RunSdkMetricsBridge(int iterations)
    {
        var meter = new TemporalSdkMetrics(EstuaryTelemetry.SdkMeter);
        var common = meter.CreateTags(null, [new("namespace", "default"), new("service_name", "temporal-core-sdk"), new("task_queue", "bench")]);
        var counters = Enumerable.Range(0, 9).Select(i => meter.CreateCounter<long>($"hot_counter_{i}", null, null)).ToArray();
        var histograms = Enumerable.Range(0, 8).Select(i => meter.CreateHistogram<double>($"hot_histogram_{i}", "duration", null)).ToArray();
        var gauges = Enumerable.Range(0, 4).Select(i => meter.CreateGauge<long>($"hot_gauge_{i}", null, null)).ToArray();
        Measure("SDK metrics bridge: 31 records, 10 tag sets", iterations, () =>
        {
            object tags = common;
            for (var i = 0; i < 10; i++)
            {
                tags = meter.CreateTags(common, [new("workflow_type", "ChainWorkflow"), new("activity_type", "bench_step")]);
            }

            foreach (var counter in counters)
            {
                counter.Add(1, tags);
            }

            foreach (var histogram in histograms)
            {
                histogram.Record(0.002, tags);
            }

            for (var i = 0; i < 14; i++)
            {
                gauges[i % gauges.Length].Set(i, common);
            }
        });
    }

    private static void Measure(string name, int iterations, Action action)
    {
        for (var i = 0; i < 1000; i++)
        {
            action();
        }

        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            action();
        }

        var elapsed = clock.Elapsed;
        var bytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
        process.Refresh();
        var used = process.TotalProcessorTime - cpu;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{name,-40} {elapsed.TotalMicroseconds / iterations,8:F2} µs wall, {used.TotalMicroseconds / iterations,8:F2} µs CPU, {(double)bytes / iterations,6:F0} B allocated per activity"));
    }
}
