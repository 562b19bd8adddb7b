using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Temporalio.Converters;

namespace Estuary.Temporal.Tracing;

/// <summary>
/// Carries a span context in Temporal headers the way Temporal's other SDKs do: under <see cref="Key"/>, one payload
/// of the default converter holding the W3C text map (<c>{"traceparent": "00-…", "tracestate": "…"}</c>).
/// The .NET SDK passes every header through the payload codec, while Go, Java and TypeScript never decode headers
/// (Python only when told to): the payload is marked so that <see cref="TraceHeaderCodec"/> leaves it out of encryption,
/// and any SDK's tracing interceptor reads it. Being in clear, it holds the trace context only, never the span's baggage.
/// </summary>
public static class TraceHeaders
{
    /// <summary>The header key shared by Temporal's tracing interceptors.</summary>
    public const string Key = "_tracer-data";

    /// <summary>The metadata entry (with the value <c>skip</c>) marking the context's payload as one no codec encodes.</summary>
    public const string CodecMetadata = "estuary-codec";

    private static readonly ByteString Skip = ByteString.CopyFromUtf8("skip");

    /// <summary>Writes a span's context into headers.</summary>
    /// <param name="headers">The headers to add to; <c>null</c> creates them.</param>
    /// <param name="span">The span whose context travels.</param>
    /// <returns>The headers holding the context.</returns>
    public static IDictionary<string, Payload> Inject(IDictionary<string, Payload>? headers, Activity span) =>
        Inject(headers, span.Context);

    /// <summary>Writes a bare context (no span object, as inside a replaying workflow) into headers.</summary>
    /// <param name="headers">The headers to add to; <c>null</c> creates them.</param>
    /// <param name="context">The context that travels.</param>
    /// <returns>The headers holding the context.</returns>
    public static IDictionary<string, Payload> Inject(IDictionary<string, Payload>? headers, ActivityContext context)
    {
        var flags = context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded) ? "01" : "00";
        var textMap = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["traceparent"] = $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{flags}",
        };
        if (!string.IsNullOrEmpty(context.TraceState))
        {
            textMap["tracestate"] = context.TraceState;
        }

        return Put(headers, textMap);
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

        // Entries other than the two W3C ones (baggage, another SDK's) may hold any JSON value: read them as elements.
        Dictionary<string, JsonElement> textMap;
        try
        {
            textMap = DataConverter.Default.PayloadConverter.ToValue<Dictionary<string, JsonElement>>(payload);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            return null;
        }

        return ActivityContext.TryParse(Text(textMap, "traceparent"), Text(textMap, "tracestate"), isRemote: true, out var context)
            ? context
            : null;
    }

    /// <summary>Whether <paramref name="payload"/> is a context written by <see cref="Inject(IDictionary{string, Payload}?, ActivityContext)"/>,
    /// to be left unencoded.</summary>
    /// <param name="payload">A payload on its way to a codec.</param>
    /// <returns>True when it carries the <see cref="CodecMetadata"/> mark.</returns>
    public static bool SkipsCodec(Payload payload) =>
        payload.Metadata.TryGetValue(CodecMetadata, out var value) && value.Equals(Skip);

    private static string? Text(Dictionary<string, JsonElement> textMap, string key) =>
        textMap.TryGetValue(key, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static IDictionary<string, Payload> Put(IDictionary<string, Payload>? headers, Dictionary<string, string> textMap)
    {
        headers ??= new Dictionary<string, Payload>(StringComparer.Ordinal);
        var payload = DataConverter.Default.PayloadConverter.ToPayload(textMap);
        payload.Metadata[CodecMetadata] = Skip;
        headers[Key] = payload;
        return headers;
    }
}
