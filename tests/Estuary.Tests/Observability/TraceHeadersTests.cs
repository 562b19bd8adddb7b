using System.Diagnostics;
using System.Text;
using Estuary.Temporal.Encryption;
using Estuary.Temporal.Tracing;
using Temporalio.Api.Common.V1;

namespace Estuary.Tests.Observability;

public sealed class TraceHeadersTests
{
    private static readonly ActivityContext Context = new(
        ActivityTraceId.CreateFromString("4bf92f3577b34da6a3ce929d0e0e4736"),
        ActivitySpanId.CreateFromString("00f067aa0ba902b7"),
        ActivityTraceFlags.Recorded,
        "vendor=value");

    [Fact]
    public void Inject_Context_WritesAJsonPlainPayloadHoldingTheW3CTextMapUnderTracerData()
    {
        var headers = TraceHeaders.Inject(null, Context);

        var payload = Assert.Single(headers, h => h.Key == "_tracer-data").Value;
        Assert.Equal("json/plain", payload.Metadata["encoding"].ToStringUtf8());
        Assert.Equal(
            """{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","tracestate":"vendor=value"}""",
            payload.Data.ToStringUtf8());
    }

    [Fact]
    public void Inject_ContextNotSampledWithoutTraceState_WritesFlagsZeroAndNoTraceState()
    {
        var context = new ActivityContext(Context.TraceId, Context.SpanId, ActivityTraceFlags.None);

        var payload = TraceHeaders.Inject(null, context)["_tracer-data"];

        Assert.Equal("""{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"}""", payload.Data.ToStringUtf8());
        var extracted = TraceHeaders.Extract(new Dictionary<string, Payload> { ["_tracer-data"] = payload })!.Value;
        Assert.Equal((context.TraceId, context.SpanId, ActivityTraceFlags.None), (extracted.TraceId, extracted.SpanId, extracted.TraceFlags));
    }

    [Fact]
    public void Inject_SampledContextWithoutTraceState_WritesFlagsOneAndRoundTrips()
    {
        var context = new ActivityContext(Context.TraceId, Context.SpanId, ActivityTraceFlags.Recorded);

        var payload = TraceHeaders.Inject(null, context)["_tracer-data"];

        Assert.Equal("""{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}""", payload.Data.ToStringUtf8());
        Assert.Equal("json/plain", payload.Metadata["encoding"].ToStringUtf8());
        var extracted = TraceHeaders.Extract(new Dictionary<string, Payload> { ["_tracer-data"] = payload })!.Value;
        Assert.Equal((context.TraceId, context.SpanId, ActivityTraceFlags.Recorded), (extracted.TraceId, extracted.SpanId, extracted.TraceFlags));
    }

    [Fact]
    public void Inject_TraceStateWithCharactersJsonEscapes_RoundTrips()
    {
        // W3C trace-state values may hold a quote and a backslash.
        var context = new ActivityContext(Context.TraceId, Context.SpanId, ActivityTraceFlags.Recorded, "vendor=a\"b\\c");

        var payload = TraceHeaders.Inject(null, context)["_tracer-data"];

        Assert.Contains("\"tracestate\":\"vendor=a\\u0022b\\\\c\"", payload.Data.ToStringUtf8(), StringComparison.Ordinal);
        var extracted = TraceHeaders.Extract(new Dictionary<string, Payload> { ["_tracer-data"] = payload })!.Value;
        Assert.Equal("vendor=a\"b\\c", extracted.TraceState);
    }

    [Fact]
    public void Extract_HeaderWrittenByAnotherSdk_ReadsTheRemoteContext()
    {
        // What Temporal's Go, Java, Python and TypeScript interceptors write: a JSON object of text-map entries.
        var payload = new Payload { Data = Google.Protobuf.ByteString.CopyFrom("""{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","tracestate":"vendor=value"}""", Encoding.UTF8) };
        payload.Metadata["encoding"] = Google.Protobuf.ByteString.CopyFromUtf8("json/plain");

        var context = TraceHeaders.Extract(new Dictionary<string, Payload> { ["_tracer-data"] = payload });

        Assert.Equal(new ActivityContext(Context.TraceId, Context.SpanId, Context.TraceFlags, Context.TraceState, isRemote: true), context);
    }

    [Fact]
    public void Inject_Span_RoundTripsThroughExtract()
    {
        using var span = new Activity("outbound").SetIdFormat(ActivityIdFormat.W3C).Start();

        var context = TraceHeaders.Extract(new Dictionary<string, Payload>(TraceHeaders.Inject(null, span)));

        Assert.Equal((span.TraceId, span.SpanId, true), (context?.TraceId, context?.SpanId, context?.IsRemote));
    }

    [Fact]
    public void Extract_NoOrUnreadableHeader_ReturnsNull()
    {
        var garbage = new Payload { Data = Google.Protobuf.ByteString.CopyFromUtf8("not json") };
        garbage.Metadata["encoding"] = Google.Protobuf.ByteString.CopyFromUtf8("json/plain");

        Assert.Null(TraceHeaders.Extract(null));
        Assert.Null(TraceHeaders.Extract(new Dictionary<string, Payload>()));
        Assert.Null(TraceHeaders.Extract(new Dictionary<string, Payload> { ["_tracer-data"] = garbage }));
    }

    [Fact]
    public void Extract_HeaderWithBaggageAndOtherEntries_ReadsOnlyTheSpanContext()
    {
        var payload = JsonPlain("""{"baggage":"user=alice","x-other":{"nested":[1,2]},"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","tracestate":"vendor=value"}""");

        var context = TraceHeaders.Extract(new Dictionary<string, Payload> { ["_tracer-data"] = payload });

        Assert.Equal(new ActivityContext(Context.TraceId, Context.SpanId, Context.TraceFlags, Context.TraceState, isRemote: true), context);
    }

    [Theory]
    [InlineData("""{"traceparent":42}""")]
    [InlineData("""{"traceparent":"00-not-a-trace-id-01"}""")]
    [InlineData("""["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]""")]
    [InlineData("{\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    public void Extract_MalformedTextMap_ReturnsNull(string json)
    {
        Assert.Null(TraceHeaders.Extract(new Dictionary<string, Payload> { ["_tracer-data"] = JsonPlain(json) }));
    }

    [Fact]
    public void Extract_PayloadNotJsonPlain_ReturnsNull()
    {
        var payload = JsonPlain("""{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}""");
        payload.Metadata["encoding"] = Google.Protobuf.ByteString.CopyFromUtf8("binary/plain");

        Assert.Null(TraceHeaders.Extract(new Dictionary<string, Payload> { ["_tracer-data"] = payload }));
    }

    [Fact]
    public void Inject_SpanWithBaggage_WritesItsTraceContextWithoutTheBaggage()
    {
        using var span = new Activity("outbound").SetIdFormat(ActivityIdFormat.W3C).AddBaggage("user", "alice").Start();
        span.TraceStateString = "vendor=value";

        var payload = TraceHeaders.Inject(null, span)["_tracer-data"];

        Assert.Equal($$"""{"traceparent":"{{span.Id}}","tracestate":"vendor=value"}""", payload.Data.ToStringUtf8());
    }

    [Fact]
    public void Inject_Context_MarksThePayloadAsOneNoCodecEncodes()
    {
        var payload = TraceHeaders.Inject(null, Context)["_tracer-data"];

        Assert.True(TraceHeaders.SkipsCodec(payload));
        Assert.False(TraceHeaders.SkipsCodec(JsonPlain("""{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}""")));
    }

    [Fact]
    public async Task EncodeAsync_TraceContextAmongOtherPayloads_LeavesTheContextClearEncryptsTheOthersInOrder()
    {
        var codec = new TraceHeaderCodec(TestEncryption.DataConverter.PayloadCodec!);
        var context = TraceHeaders.Inject(null, Context)["_tracer-data"];
        var (first, last) = (JsonPlain("\"first\""), JsonPlain("\"last\""));

        var encoded = (await codec.EncodeAsync([first, context, last])).ToList();
        var decoded = (await codec.DecodeAsync(encoded)).ToList();

        Assert.Equal(3, encoded.Count);
        Assert.Same(context, encoded[1]);
        Assert.True(EncryptionPayloadCodec.IsEncrypted(encoded[0]) && EncryptionPayloadCodec.IsEncrypted(encoded[2]));
        Assert.Equal([first, context, last], decoded);
        Assert.Equal(Context.SpanId, TraceHeaders.Extract(new Dictionary<string, Payload> { ["_tracer-data"] = decoded[1] })!.Value.SpanId);
    }

    private static Payload JsonPlain(string json)
    {
        var payload = new Payload { Data = Google.Protobuf.ByteString.CopyFromUtf8(json) };
        payload.Metadata["encoding"] = Google.Protobuf.ByteString.CopyFromUtf8("json/plain");
        return payload;
    }
}
