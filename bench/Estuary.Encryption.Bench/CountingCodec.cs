using System.Collections.Concurrent;
using System.Diagnostics;
using Temporalio.Api.Common.V1;
using Temporalio.Converters;

namespace Estuary.Encryption.Bench;

/// <summary>
/// Passes every call on to the codec it wraps and, while <see cref="Counting"/> is on, counts the calls, payloads and
/// bytes by direction and by who called: the SDK's client, its workflow worker (activations decoded, completions
/// encoded), its activity worker, or anything else. The caller is read from the stack (the codec completes
/// synchronously, so the SDK's frame is still on it), which is slow: count in a round of its own, not a measured one.
/// </summary>
internal sealed class CountingCodec(IPayloadCodec inner) : IPayloadCodec
{
    private readonly ConcurrentDictionary<(string Site, string Direction), Tally> _tallies = new();

    /// <summary>Gets or sets whether calls are counted.</summary>
    public bool Counting { get; set; }

    /// <summary>Gets what was counted, by caller and direction (<c>encode</c> or <c>decode</c>).</summary>
    public IReadOnlyDictionary<(string Site, string Direction), Tally> Tallies => _tallies;

    public async Task<IReadOnlyCollection<Payload>> EncodeAsync(IReadOnlyCollection<Payload> payloads)
    {
        var result = await inner.EncodeAsync(payloads);
        Count("encode", payloads, result);
        return result;
    }

    public async Task<IReadOnlyCollection<Payload>> DecodeAsync(IReadOnlyCollection<Payload> payloads)
    {
        var result = await inner.DecodeAsync(payloads);
        Count("decode", payloads, result);
        return result;
    }

    private void Count(string direction, IReadOnlyCollection<Payload> input, IReadOnlyCollection<Payload> output)
    {
        if (!Counting)
        {
            return;
        }

        var tally = _tallies.GetOrAdd((Caller(), direction), _ => new Tally());
        Interlocked.Increment(ref tally.Calls);
        Interlocked.Add(ref tally.Payloads, input.Count);
        Interlocked.Add(ref tally.BytesIn, input.Sum(p => (long)p.CalculateSize()));
        Interlocked.Add(ref tally.BytesOut, output.Sum(p => (long)p.CalculateSize()));
    }

    private static string Caller()
    {
        foreach (var frame in new StackTrace(2, false).GetFrames())
        {
            var type = frame.GetMethod()?.DeclaringType?.FullName ?? string.Empty;
            if (type.StartsWith("Temporalio.Worker.WorkflowCodecHelper", StringComparison.Ordinal))
            {
                return "workflow worker";
            }

            if (type.StartsWith("Temporalio.Worker.ActivityWorker", StringComparison.Ordinal))
            {
                return "activity worker";
            }

            if (type.StartsWith("Temporalio.Client.", StringComparison.Ordinal))
            {
                return "client";
            }
        }

        return "other";
    }

    /// <summary>Counts of one caller and direction.</summary>
    internal sealed class Tally
    {
#pragma warning disable SA1401, CA1051 // Fields, so that Interlocked can add to them.
        public long Calls;
        public long Payloads;
        public long BytesIn;
        public long BytesOut;
#pragma warning restore SA1401, CA1051
    }
}
