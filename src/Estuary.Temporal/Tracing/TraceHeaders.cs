using System.Diagnostics;
using Temporalio.Api.Common.V1;
using Temporalio.Converters;

namespace Estuary.Temporal.Tracing;

/// <summary>
/// Carries a span context in Temporal headers the way Temporal's other SDKs do: under <see cref="Key"/>, one payload
/// of the default converter holding the W3C text map (<c>{"traceparent": "00-…", "tracestate": "…", "baggage": "…"}</c>).
/// Headers are not encoded by the payload codec, so a Go, Java, Python or TypeScript worker reads the same context.
/// </summary>
public static class TraceHeaders
{
    /// <summary>The header key shared by Temporal's tracing interceptors.</summary>
    public const string Key = "_tracer-data";

    private static readonly DistributedContextPropagator Propagator = DistributedContextPropagator.CreateW3CPropagator();

    /// <summary>Writes a span's context (and its baggage) into headers.</summary>
    /// <param name="headers">The headers to add to; <c>null</c> creates them.</param>
    /// <param name="span">The span whose context travels.</param>
    /// <returns>The headers holding the context.</returns>
    public static IDictionary<string, Payload> Inject(IDictionary<string, Payload>? headers, Activity span)
    {
        var carrier = new Dictionary<string, string>(StringComparer.Ordinal);
        Propagator.Inject(span, carrier, static (state, key, value) => ((Dictionary<string, string>)state!)[key] = value);
        return Write(headers, carrier);
    }

    /// <summary>Writes a bare context (no span object, as inside a replaying workflow) into headers.</summary>
    /// <param name="headers">The headers to add to; <c>null</c> creates them.</param>
    /// <param name="context">The context that travels.</param>
    /// <returns>The headers holding the context.</returns>
    public static IDictionary<string, Payload> Inject(IDictionary<string, Payload>? headers, ActivityContext context)
    {
        var carrier = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["traceparent"] = $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{(context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded) ? "01" : "00")}",
        };
        if (!string.IsNullOrEmpty(context.TraceState))
        {
            carrier["tracestate"] = context.TraceState;
        }

        return Write(headers, carrier);
    }

    /// <summary>Reads the context carried in headers.</summary>
    /// <param name="headers">The headers of a start, a schedule, a signal, a query or an update.</param>
    /// <returns>The remote context, or <c>null</c> when the headers carry none (or an unreadable one).</returns>
    public static ActivityContext? Extract(IReadOnlyDictionary<string, Payload>? headers)
    {
        if (headers is null || !headers.TryGetValue(Key, out var payload))
        {
            return null;
        }

        Dictionary<string, string> carrier;
        try
        {
            carrier = DataConverter.Default.PayloadConverter.ToValue<Dictionary<string, string>>(payload);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
        {
            return null;
        }

        Propagator.ExtractTraceIdAndState(
            carrier,
            static (state, key, out value, out values) =>
            {
                values = null;
                value = ((Dictionary<string, string>)state!).GetValueOrDefault(key);
            },
            out var traceParent,
            out var traceState);
        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : null;
    }

    private static IDictionary<string, Payload> Write(IDictionary<string, Payload>? headers, Dictionary<string, string> carrier)
    {
        headers ??= new Dictionary<string, Payload>(StringComparer.Ordinal);
        headers[Key] = DataConverter.Default.PayloadConverter.ToPayload(carrier);
        return headers;
    }
}
