using System.Buffers.Binary;

namespace Estuary.DevServer.Schedules;

/// <summary>
/// A time zone defined by a TZif file (RFC 8536, versions 1 to 4), as a schedule's <c>timezone_data</c> carries it.
/// Before the first transition the first local time type applies; from each transition on, the type it names; after
/// the last one, the footer's POSIX TZ string (versions 2 and later; without one, or in version 1, the last
/// transition's type stays). A version 2+ file is read from its 64-bit data block. Leap-second records are read and
/// not applied, as Temporal (Go's time package) does.
/// </summary>
internal sealed class TzifTimeZone : ScheduleTimeZone
{
    private const int HeaderSize = 44;

    // RFC 8536: a local time type's UT offset should lie in [-89999, 93599] seconds (-25 to +26 hours).
    private const int MinOffset = -89999;
    private const int MaxOffset = 93599;

    // Instants whose wall-clock time is a given one lie within the widest offsets of it.
    private static readonly TimeSpan OffsetSpan = TimeSpan.FromHours(27);

    private readonly long[] _transitions;
    private readonly int[] _offsetsAfter;
    private readonly int _initialOffset;
    private readonly PosixTimeZoneRule? _footer;

    private TzifTimeZone(long[] transitions, int[] offsetsAfter, int initialOffset, PosixTimeZoneRule? footer)
    {
        _transitions = transitions;
        _offsetsAfter = offsetsAfter;
        _initialOffset = initialOffset;
        _footer = footer;
    }

    /// <summary>Reads TZif data; throws <see cref="FormatException"/> naming what is wrong with it.</summary>
    public static TzifTimeZone Parse(ReadOnlySpan<byte> data)
    {
        var reader = new Reader(data);
        var header = Header.Read(ref reader, "header");
        if (header.Version == 1)
        {
            var (transitions, offsets, initial) = DataBlock(ref reader, header, timeSize: 4);
            return new TzifTimeZone(transitions, offsets, initial, null);
        }
        reader.Skip(header.BlockSize(timeSize: 4), "version 1 data block");
        var second = Header.Read(ref reader, "second header");
        if (second.Version != header.Version)
        {
            throw new FormatException($"invalid TZif data: the second header's version ({second.Version}) differs from the first's ({header.Version})");
        }
        var (transitions64, offsets64, initial64) = DataBlock(ref reader, second, timeSize: 8);
        return new TzifTimeZone(transitions64, offsets64, initial64, Footer(ref reader));
    }

    /// <inheritdoc/>
    public override TimeSpan OffsetAt(DateTime utc) => TimeSpan.FromSeconds(OffsetAt(UnixSeconds(utc)));

    /// <inheritdoc/>
    public override IEnumerable<DateTime> Instants(DateTime local)
    {
        // Each offset in force near the wall-clock time gives one candidate instant; it is one of the time's
        // instants when that offset is the one in force then.
        var wall = UnixSeconds(local);
        var window = (long)OffsetSpan.TotalSeconds;
        var instants = new SortedSet<long>();
        foreach (var offset in OffsetsBetween(wall - window, wall + window))
        {
            var instant = wall - offset;
            if (OffsetAt(instant) == offset)
            {
                instants.Add(instant);
            }
        }
        return instants.Select(s => DateTime.UnixEpoch.AddSeconds(s));
    }

    private int OffsetAt(long unixSeconds)
    {
        if (_transitions.Length == 0)
        {
            return _footer?.OffsetAt(unixSeconds) ?? _initialOffset;
        }
        if (unixSeconds < _transitions[0])
        {
            return _initialOffset;
        }
        var index = Array.BinarySearch(_transitions, unixSeconds);
        if (index < 0)
        {
            index = ~index - 1;
        }
        return index == _transitions.Length - 1 && unixSeconds > _transitions[index] && _footer is not null
            ? _footer.OffsetAt(unixSeconds)
            : _offsetsAfter[index];
    }

    /// <summary>Every offset in force at some instant from <paramref name="from"/> to <paramref name="to"/> (Unix seconds).</summary>
    private IEnumerable<int> OffsetsBetween(long from, long to)
    {
        yield return OffsetAt(from);
        for (var i = 0; i < _transitions.Length; i++)
        {
            if (_transitions[i] > from && _transitions[i] <= to)
            {
                yield return _offsetsAfter[i];
            }
        }
        if (_footer is not null)
        {
            var fromYear = DateTime.UnixEpoch.AddSeconds(from).Year;
            var toYear = DateTime.UnixEpoch.AddSeconds(to).Year;
            foreach (var (at, _) in _footer.Transitions(fromYear - 1, toYear + 1))
            {
                if (at > from && at <= to)
                {
                    yield return OffsetAt(at);
                }
            }
        }
    }

    private static long UnixSeconds(DateTime time) => (time.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;

    private static (long[] Transitions, int[] OffsetsAfter, int InitialOffset) DataBlock(ref Reader reader, Header header, int timeSize)
    {
        header.Validate(timeSize == 4 ? "header" : "second header");
        if (reader.Remaining < header.BlockSize(timeSize))
        {
            throw new FormatException($"invalid TZif data: truncated: the header announces a data block of {header.BlockSize(timeSize)} bytes but {reader.Remaining} follow");
        }
        var transitions = new long[header.TimeCount];
        for (var i = 0; i < transitions.Length; i++)
        {
            var time = reader.Take(timeSize, "transition times");
            transitions[i] = timeSize == 4 ? BinaryPrimitives.ReadInt32BigEndian(time) : BinaryPrimitives.ReadInt64BigEndian(time);
            if (i > 0 && transitions[i] <= transitions[i - 1])
            {
                throw new FormatException($"invalid TZif data: transition times are not in ascending order (transition {i})");
            }
        }
        var typeIndices = reader.Take(header.TimeCount, "transition types").ToArray();
        var typeOffsets = new int[header.TypeCount];
        for (var i = 0; i < typeOffsets.Length; i++)
        {
            var record = reader.Take(6, "local time types");
            var offset = BinaryPrimitives.ReadInt32BigEndian(record);
            if (offset is < MinOffset or > MaxOffset)
            {
                throw new FormatException($"invalid TZif data: local time type {i} has a UT offset of {offset} seconds (allowed {MinOffset} to {MaxOffset})");
            }
            if (record[4] > 1)
            {
                throw new FormatException($"invalid TZif data: local time type {i} has a DST indicator of {record[4]} (0 or 1)");
            }
            if (record[5] >= header.CharCount)
            {
                throw new FormatException($"invalid TZif data: local time type {i} names designation index {record[5]} beyond the {header.CharCount} designation bytes");
            }
            typeOffsets[i] = offset;
        }
        var offsetsAfter = new int[header.TimeCount];
        for (var i = 0; i < offsetsAfter.Length; i++)
        {
            if (typeIndices[i] >= header.TypeCount)
            {
                throw new FormatException($"invalid TZif data: transition {i} names local time type {typeIndices[i]} but there are {header.TypeCount}");
            }
            offsetsAfter[i] = typeOffsets[typeIndices[i]];
        }
        reader.Skip(header.CharCount + (long)header.LeapCount * (timeSize + 4) + header.IsStdCount + header.IsUtCount, "designations and indicators");
        return (transitions, offsetsAfter, typeOffsets[0]);
    }

    /// <summary>The version 2+ footer: a POSIX TZ string between two newlines (empty: none).</summary>
    private static PosixTimeZoneRule? Footer(ref Reader reader)
    {
        if (reader.Remaining == 0 || reader.Take(1, "footer")[0] != (byte)'\n')
        {
            throw new FormatException("invalid TZif data: the footer does not start with a newline");
        }
        var rest = reader.Take(reader.Remaining, "footer");
        var end = rest.IndexOf((byte)'\n');
        if (end < 0)
        {
            throw new FormatException("invalid TZif data: the footer's TZ string does not end with a newline");
        }
        if (end == 0)
        {
            return null;
        }
        var tz = rest[..end];
        foreach (var b in tz)
        {
            if (b is < 0x20 or > 0x7e)
            {
                throw new FormatException("invalid TZif data: the footer's TZ string holds a character that is not printable ASCII");
            }
        }
        return PosixTimeZoneRule.Parse(System.Text.Encoding.ASCII.GetString(tz));
    }

    private readonly record struct Header(int Version, int IsUtCount, int IsStdCount, int LeapCount, int TimeCount, int TypeCount, int CharCount)
    {
        public long BlockSize(int timeSize) =>
            (long)TimeCount * timeSize + TimeCount + TypeCount * 6L + CharCount + LeapCount * (timeSize + 4L) + IsStdCount + IsUtCount;

        public static Header Read(ref Reader reader, string which)
        {
            var bytes = reader.Take(HeaderSize, which);
            if (!bytes[..4].SequenceEqual("TZif"u8))
            {
                throw new FormatException($"invalid TZif data: the {which} does not start with \"TZif\"");
            }
            var version = bytes[4] switch
            {
                0 => 1,
                (byte)'2' => 2,
                (byte)'3' => 3,
                (byte)'4' => 4,
                var other => throw new FormatException($"invalid TZif data: unknown version byte 0x{other:x2} in the {which}"),
            };
            var counts = new int[6];
            for (var i = 0; i < counts.Length; i++)
            {
                var count = BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(20 + 4 * i, 4));
                if (count > int.MaxValue / 16)
                {
                    throw new FormatException($"invalid TZif data: the {which} announces {count} entries, more than any TZif file holds");
                }
                counts[i] = (int)count;
            }
            return new Header(version, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
        }

        /// <summary>Checks the counts of the header whose data block is read (a version 2+ file's first one need not hold any).</summary>
        public void Validate(string which)
        {
            if (TypeCount == 0)
            {
                throw new FormatException($"invalid TZif data: the {which} announces no local time types");
            }
            if (TypeCount > 256)
            {
                throw new FormatException($"invalid TZif data: the {which} announces {TypeCount} local time types (at most 256)");
            }
            if (IsUtCount != 0 && IsUtCount != TypeCount)
            {
                throw new FormatException($"invalid TZif data: the {which}'s UT/local indicator count ({IsUtCount}) is neither 0 nor the type count ({TypeCount})");
            }
            if (IsStdCount != 0 && IsStdCount != TypeCount)
            {
                throw new FormatException($"invalid TZif data: the {which}'s standard/wall indicator count ({IsStdCount}) is neither 0 nor the type count ({TypeCount})");
            }
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly int Remaining => _data.Length - _position;

        public ReadOnlySpan<byte> Take(int count, string what)
        {
            if (count > Remaining)
            {
                throw new FormatException($"invalid TZif data: truncated in the {what} (needs {count} bytes at offset {_position}, {Remaining} left)");
            }
            var taken = _data.Slice(_position, count);
            _position += count;
            return taken;
        }

        public void Skip(long count, string what)
        {
            if (count > Remaining)
            {
                throw new FormatException($"invalid TZif data: truncated in the {what} (needs {count} bytes at offset {_position}, {Remaining} left)");
            }
            _position += (int)count;
        }
    }
}
