using System.Buffers.Binary;
using System.Text;

namespace Estuary.Testing;

/// <summary>
/// Counts what an OTLP/gRPC export request carries: spans, log records or metric data points, by the name of their
/// instrumentation scope (the ActivitySource, the logger's category, the meter). It walks the protobuf wire format of
/// the request (uncompressed gRPC frames) and reads nothing else.
/// </summary>
public static class OtlpItems
{
    /// <summary>Counts the items of one export request body.</summary>
    /// <param name="signal">What the request exports.</param>
    /// <param name="body">The request body: gRPC frames, each an Export*ServiceRequest.</param>
    /// <param name="counts">Where each scope's count is added.</param>
    /// <exception cref="InvalidDataException">The body is not uncompressed gRPC frames of a valid protobuf message.</exception>
    public static void CountByScope(OtlpSignal signal, ReadOnlySpan<byte> body, IDictionary<string, long> counts)
    {
        while (!body.IsEmpty)
        {
            if (body.Length < 5 || body[0] != 0)
            {
                throw new InvalidDataException("Not an uncompressed gRPC frame.");
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(body[1..5]);
            if (length < 0 || length > body.Length - 5)
            {
                throw new InvalidDataException("A gRPC frame runs past the body.");
            }

            CountRequest(signal, body.Slice(5, length), counts);
            body = body[(5 + length)..];
        }
    }

    // Export*ServiceRequest: resource_spans / resource_metrics / resource_logs = 1, each with scope_* = 2, each with
    // scope = 1 (InstrumentationScope, name = 1) and spans / metrics / log_records = 2.
    private static void CountRequest(OtlpSignal signal, ReadOnlySpan<byte> request, IDictionary<string, long> counts)
    {
        for (var resources = new Fields(request); resources.Next(out var resourceField, out var resource);)
        {
            if (resourceField != 1)
            {
                continue;
            }

            for (var scopes = new Fields(resource); scopes.Next(out var scopesField, out var scoped);)
            {
                if (scopesField != 2)
                {
                    continue;
                }

                var name = string.Empty;
                long items = 0;
                for (var fields = new Fields(scoped); fields.Next(out var field, out var value);)
                {
                    if (field == 1)
                    {
                        name = ScopeName(value);
                    }
                    else if (field == 2)
                    {
                        items += signal == OtlpSignal.Metrics ? DataPoints(value) : 1;
                    }
                }

                counts[name] = counts.TryGetValue(name, out var sum) ? sum + items : items;
            }
        }
    }

    private static string ScopeName(ReadOnlySpan<byte> scope)
    {
        for (var fields = new Fields(scope); fields.Next(out var field, out var value);)
        {
            if (field == 1)
            {
                return Encoding.UTF8.GetString(value);
            }
        }

        return string.Empty;
    }

    // Metric: gauge = 5, sum = 7, histogram = 9, exponential_histogram = 10, summary = 11, each with data_points = 1.
    private static long DataPoints(ReadOnlySpan<byte> metric)
    {
        long points = 0;
        for (var fields = new Fields(metric); fields.Next(out var field, out var data);)
        {
            if (field is 5 or 7 or 9 or 10 or 11)
            {
                for (var inner = new Fields(data); inner.Next(out var point, out _);)
                {
                    points += point == 1 ? 1 : 0;
                }
            }
        }

        return points;
    }

    /// <summary>The fields of a protobuf message, in order; a length-delimited field's value is its bytes, others' empty.</summary>
    private ref struct Fields(ReadOnlySpan<byte> message)
    {
        private ReadOnlySpan<byte> _rest = message;

        public bool Next(out int field, out ReadOnlySpan<byte> value)
        {
            value = default;
            field = 0;
            if (_rest.IsEmpty)
            {
                return false;
            }

            var tag = Varint();
            field = (int)(tag >> 3);
            switch (tag & 7)
            {
                case 0:
                    Varint();
                    break;
                case 1:
                    Skip(8);
                    break;
                case 2:
                    var length = Varint();
                    if (length > (ulong)_rest.Length)
                    {
                        throw new InvalidDataException("A protobuf field runs past its message.");
                    }

                    value = _rest[..(int)length];
                    _rest = _rest[(int)length..];
                    break;
                case 5:
                    Skip(4);
                    break;
                default:
                    throw new InvalidDataException($"Protobuf wire type {tag & 7} is not supported.");
            }

            return true;
        }

        private void Skip(int bytes)
        {
            if (bytes > _rest.Length)
            {
                throw new InvalidDataException("A protobuf field runs past its message.");
            }

            _rest = _rest[bytes..];
        }

        private ulong Varint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_rest.IsEmpty)
                {
                    throw new InvalidDataException("A protobuf varint runs past its message.");
                }

                var b = _rest[0];
                _rest = _rest[1..];
                result |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return result;
                }
            }

            throw new InvalidDataException("A protobuf varint is longer than 10 bytes.");
        }
    }
}
