using Estuary.Temporal.Tracing;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Stamps a log record written by workflow code with the trace and span ids of the workflow's span
/// (<see cref="TracingInterceptor.CurrentWorkflowContext"/>). OpenTelemetry takes them from
/// <see cref="System.Diagnostics.Activity.Current"/>, which inside a workflow is not the workflow's span: workflow spans
/// end as soon as they start, since a workflow may continue on another worker after any await. Outside workflows it
/// changes nothing. It runs where the record is written, before any exporting processor sees it; it reads an async
/// local and writes the record, so workflow code stays deterministic.
/// </summary>
internal sealed class WorkflowTraceLogProcessor : BaseProcessor<LogRecord>
{
    /// <inheritdoc />
    public override void OnEnd(LogRecord data)
    {
        if (TracingInterceptor.CurrentWorkflowContext is { } context)
        {
            data.TraceId = context.TraceId;
            data.SpanId = context.SpanId;
            data.TraceFlags = context.TraceFlags;
            data.TraceState = context.TraceState;
        }
    }
}
