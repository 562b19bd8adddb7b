using System.Diagnostics.Tracing;
using System.Globalization;

namespace Estuary.Monitoring.Bench;

/// <summary>
/// Listens to the OTLP exporter's event source for warnings and errors (an export the receiver refused or answered
/// wrongly, a connection lost), so the bench can show that every export it measured succeeded: an exporter whose
/// requests fail does less work than one that is answered.
/// </summary>
internal sealed class ExportFailures : EventListener
{
    private const string ExporterSource = "OpenTelemetry-Exporter-OpenTelemetryProtocol";

    private long _count;
    private string? _first;

    /// <summary>Gets the warnings and errors the exporter reported so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Gets the first of them, formatted, or null.</summary>
    public string? First => Volatile.Read(ref _first);

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == ExporterSource)
        {
            EnableEvents(eventSource, EventLevel.Warning);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        Interlocked.Increment(ref _count);
        var message = eventData.Message is { } format && eventData.Payload is { } payload
            ? string.Format(CultureInfo.InvariantCulture, format, [.. payload])
            : eventData.EventName;
        Interlocked.CompareExchange(ref _first, $"{eventData.Level} {eventData.EventName}: {message}", null);
    }
}
