using Temporalio.Api.Common.V1;
using Temporalio.Converters;

namespace Estuary.Temporal.Tracing;

/// <summary>
/// A payload codec around another (the encryption codec) that passes the trace context of <see cref="TraceHeaders"/>
/// through unencoded, and every other payload to the codec it wraps. The .NET SDK 1.22.0 encodes all headers with the
/// client's codec and has no setting to leave some out; Temporal's other SDKs read headers without their codec, so an
/// encrypted context would end cross-language traces. The context is not a secret: the span ids of the caller.
/// </summary>
/// <param name="inner">The codec of every other payload.</param>
public sealed class TraceHeaderCodec(IPayloadCodec inner) : IPayloadCodec
{
    /// <summary>Gets the codec every payload but the trace context goes through.</summary>
    public IPayloadCodec Inner => inner;

    /// <inheritdoc />
    public Task<IReadOnlyCollection<Payload>> EncodeAsync(IReadOnlyCollection<Payload> payloads) =>
        ApplyAsync(payloads, inner.EncodeAsync);

    /// <inheritdoc />
    public Task<IReadOnlyCollection<Payload>> DecodeAsync(IReadOnlyCollection<Payload> payloads) =>
        ApplyAsync(payloads, inner.DecodeAsync);

    // The SDK hands each header to the codec alone; other calls hold no trace context and go to the inner codec as
    // they are, without a state machine of this codec's around them. A mixed call keeps the payloads' order.
    private static Task<IReadOnlyCollection<Payload>> ApplyAsync(
        IReadOnlyCollection<Payload> payloads, Func<IReadOnlyCollection<Payload>, Task<IReadOnlyCollection<Payload>>> codec) =>
        payloads.Any(TraceHeaders.SkipsCodec) ? ApplyAroundAsync(payloads, codec) : codec(payloads);

    private static async Task<IReadOnlyCollection<Payload>> ApplyAroundAsync(
        IReadOnlyCollection<Payload> payloads, Func<IReadOnlyCollection<Payload>, Task<IReadOnlyCollection<Payload>>> codec)
    {
        var others = payloads.Where(p => !TraceHeaders.SkipsCodec(p)).ToList();
        var coded = others.Count == 0 ? others : (await codec(others).ConfigureAwait(false)).ToList();
        var next = 0;
        return payloads.Select(p => TraceHeaders.SkipsCodec(p) ? p : coded[next++]).ToList();
    }
}
