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
    public static void Run(int iterations)
    {
        using var pipeline = new MonitoringPipeline();
        var logger = pipeline.LoggerFactory.CreateLogger<MonitoringInterceptor>();
        var tags = new TagList { { TracingTags.WorkflowId, "wf" }, { TracingTags.RunId, "run" }, { TracingTags.ActivityType, "bench_step" }, { TracingTags.Domain, "bench" } };

        Measure("headers: inject + extract", iterations, () =>
        {
            using var span = EstuaryTelemetry.ActivitySource.StartActivity("StartActivity:bench_step", ActivityKind.Client, parentContext: default, tags);
            _ = TraceHeaders.Extract(new Dictionary<string, Temporalio.Api.Common.V1.Payload>(TraceHeaders.Inject(null, span!)));
        });
        Measure("two spans (StartActivity + RunActivity)", iterations, () =>
        {
            using var schedule = EstuaryTelemetry.ActivitySource.StartActivity("StartActivity:bench_step", ActivityKind.Client, parentContext: default, tags);
            using var run = EstuaryTelemetry.ActivitySource.StartActivity("RunActivity:bench_step", ActivityKind.Server, schedule!.Context, tags);
        });
        Measure("scope + two log lines + counters", iterations, () =>
        {
            using var scope = logger.BeginScope("Domain:{Domain} WorkflowId:{WorkflowId} ActivityType:{ActivityType} Attempt:{Attempt}", "bench", "wf", "bench_step", 1);
            logger.LogInformation("Activity {ActivityType} started (attempt {Attempt})", "bench_step", 1);
            EstuaryTelemetry.Started.Add(1, new TagList { { "estuary.kind", "activity" }, { "estuary.domain", "bench" }, { "estuary.type", "bench_step" } });
            EstuaryTelemetry.Completed.Add(1, new TagList { { "estuary.kind", "activity" }, { "estuary.domain", "bench" }, { "estuary.type", "bench_step" } });
            EstuaryTelemetry.Duration.Record(0.001, new TagList { { "estuary.kind", "activity" }, { "estuary.domain", "bench" }, { "estuary.type", "bench_step" }, { "estuary.outcome", "completed" } });
            logger.LogInformation("Activity {ActivityType} {Outcome} in {DurationMs} ms (attempt {Attempt})", "bench_step", "completed", 0.5, 1);
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
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            action();
        }

        var elapsed = clock.Elapsed;
        process.Refresh();
        var used = process.TotalProcessorTime - cpu;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{name,-40} {elapsed.TotalMicroseconds / iterations,8:F2} µs wall, {used.TotalMicroseconds / iterations,8:F2} µs CPU per activity"));
    }
}
