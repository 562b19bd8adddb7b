using System.Collections.Concurrent;
using System.Diagnostics;
using Estuary.Temporal.Monitoring;
using Estuary.Temporal.Tracing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Estuary.Tests.Observability;

/// <summary>A log record as OpenTelemetry exported it: the fields a test looks at, copied (records are pooled).</summary>
/// <param name="Category">The logger's category.</param>
/// <param name="Message">The formatted message.</param>
/// <param name="TraceId">The record's trace id.</param>
/// <param name="SpanId">The record's span id.</param>
/// <param name="Scopes">The values of the record's scopes, by key (the innermost value of a key repeated).</param>
public sealed record CapturedLog(string Category, string Message, ActivityTraceId TraceId, ActivitySpanId SpanId, IReadOnlyDictionary<string, object?> Scopes);

/// <summary>
/// What a worker host exports through the service defaults' OpenTelemetry pipeline, captured in memory: spans (every
/// source the service defaults register), metric snapshots and log records. The span and log processors are this
/// host's, but ActivitySources are process-wide: select spans by trace id.
/// </summary>
public sealed class TelemetryCapture
{
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ConcurrentQueue<CapturedLog> _logs = new();
    private readonly List<MetricSnapshot> _metrics = [];

    /// <summary>Gets the spans exported so far.</summary>
    public IReadOnlyList<Activity> Spans => [.. _spans];

    /// <summary>Gets the log records exported so far.</summary>
    public IReadOnlyList<CapturedLog> Logs => [.. _logs];

    /// <summary>Adds the service defaults' OpenTelemetry and this capture to a worker host builder.</summary>
    /// <param name="builder">The host builder.</param>
    public void AddTo(HostApplicationBuilder builder)
    {
        builder.ConfigureOpenTelemetry();
        // Monitoring's start lines are at Debug.
        builder.Logging.AddFilter<OpenTelemetryLoggerProvider>(typeof(MonitoringInterceptor).FullName, LogLevel.Debug);
        builder.Logging.AddFilter<OpenTelemetryLoggerProvider>("Temporalio.Workflow", LogLevel.Debug);
        builder.Logging.AddOpenTelemetry(logging => logging.AddProcessor(new LogProcessor(_logs)));
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddProcessor(new SpanProcessor(_spans)))
            .WithMetrics(metrics => metrics.AddInMemoryExporter(_metrics));
    }

    /// <summary>Collects the metrics now and returns the latest snapshot of each.</summary>
    /// <param name="services">The host's services.</param>
    /// <returns>Metric snapshots by name.</returns>
    public IReadOnlyDictionary<string, MetricSnapshot> CollectMetrics(IServiceProvider services)
    {
        services.GetRequiredService<MeterProvider>().ForceFlush();
        lock (_metrics)
        {
            return _metrics.GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        }
    }

    /// <summary>Gets the spans of the trace a client started for a workflow id.</summary>
    /// <param name="workflowId">The workflow id.</param>
    /// <returns>The trace's spans, in the order they ended.</returns>
    public IReadOnlyList<Activity> TraceOf(string workflowId)
    {
        var spans = Spans;
        var root = spans.Single(s => s.Kind == ActivityKind.Client && s.OperationName.StartsWith("StartWorkflow:", StringComparison.Ordinal)
            && Equals(s.GetTagItem(TracingTags.WorkflowId), workflowId));
        return spans.Where(s => s.TraceId == root.TraceId).ToList();
    }

    private sealed class SpanProcessor(ConcurrentQueue<Activity> spans) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data) => spans.Enqueue(data);
    }

    private sealed class LogProcessor(ConcurrentQueue<CapturedLog> logs) : BaseProcessor<LogRecord>
    {
        public override void OnEnd(LogRecord data)
        {
            var scopes = new Dictionary<string, object?>(StringComparer.Ordinal);
            data.ForEachScope(
                static (scope, values) =>
                {
                    foreach (var (key, value) in scope)
                    {
                        values[key] = value;
                    }
                },
                scopes);
            logs.Enqueue(new CapturedLog(data.CategoryName ?? string.Empty, data.FormattedMessage ?? string.Empty, data.TraceId, data.SpanId, scopes));
        }
    }
}
