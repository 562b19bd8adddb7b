using System.Globalization;
using System.Text.Json;

namespace Estuary.DevServer.Visibility;

/// <summary>
/// The order runs are listed in, and paging through it. Without ORDER BY the order is Temporal's default
/// (<see cref="RunPosition"/>). ORDER BY keys come first (runs without the attribute last) and the default order breaks
/// their ties.
/// </summary>
/// <remarks>
/// A page cursor holds the sort keys of the last run listed and the next page starts after that position, as
/// Temporal's stores page (search-after). So a run that changes between calls (closes, upserts, is dropped) may move
/// from one side of the cursor to the other, but the others are neither repeated nor skipped.
/// </remarks>
internal sealed class VisibilityOrder(IReadOnlyList<OrderByItem> orderBy)
{
    /// <summary>
    /// Up to <paramref name="size"/> records after <paramref name="cursor"/> (null: from the first), in order, and
    /// the cursor of the next page (null after the last page). Costs one pass plus a heap of <paramref name="size"/>.
    /// </summary>
    /// <exception cref="FormatException"><paramref name="cursor"/> was not made by this order.</exception>
    public (List<T> Page, byte[]? Next) Page<T>(IEnumerable<T> records, int size, byte[]? cursor)
        where T : IVisibilityRecord
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        var after = cursor is null ? (SortKey?)null : ReadCursor(cursor);
        // Keep the size + 1 first records (the extra one tells whether another page follows): the heap's top is the
        // last of them, replaced whenever a record comes before it.
        var heap = new PriorityQueue<(T Record, SortKey Key), SortKey>(size + 2, Comparer<SortKey>.Create((x, y) => Compare(y, x)));
        foreach (var record in records)
        {
            var key = Key(record);
            if (after is { } start && Compare(key, start) <= 0)
            {
                continue;
            }
            heap.Enqueue((record, key), key);
            if (heap.Count > size + 1)
            {
                heap.Dequeue();
            }
        }
        var more = heap.Count > size;
        if (more)
        {
            heap.Dequeue();
        }
        var page = new List<(T Record, SortKey Key)>(heap.Count);
        while (heap.TryDequeue(out var item, out _))
        {
            page.Add(item);
        }
        page.Reverse();
        return (page.ConvertAll(item => item.Record), more ? WriteCursor(page[^1].Key) : null);
    }

    /// <summary>A record's position: the ORDER BY values, then its place in the default order.</summary>
    private readonly record struct SortKey(object?[] Values, RunPosition Position);

    private SortKey Key(IVisibilityRecord record) => new(
        orderBy.Count == 0 ? [] : orderBy.Select(item => SortValue(record.Get(item.Attribute))).ToArray(),
        RunPosition.Of(record));

    /// <summary>A Keyword written as several values sorts by its smallest, as Elasticsearch sorts multi-valued fields.</summary>
    private static object? SortValue(object? value) =>
        value is IReadOnlyList<string> list ? list.Order(StringComparer.Ordinal).FirstOrDefault() : value;

    private int Compare(SortKey x, SortKey y)
    {
        for (var i = 0; i < orderBy.Count; i++)
        {
            var order = (x.Values[i], y.Values[i]) switch
            {
                (null, null) => 0,
                (null, _) => 1,
                (_, null) => -1,
                var (left, right) => orderBy[i].Descending ? QueryValues.Compare(right, left) : QueryValues.Compare(left, right),
            };
            if (order != 0)
            {
                return order;
            }
        }
        return x.Position.CompareTo(y.Position);
    }

    /// <summary>The cursor of a page of the default order that ends at <paramref name="position"/>.</summary>
    public static byte[] WriteDefaultCursor(RunPosition position) => WriteCursor(new SortKey([], position));

    /// <summary>The position a cursor of the default order names.</summary>
    /// <exception cref="FormatException"><paramref name="cursor"/> was not made by the default order.</exception>
    public static RunPosition ReadDefaultCursor(byte[] cursor) => new VisibilityOrder([]).ReadCursor(cursor).Position;

    // A cursor is a JSON array of tagged strings: the ORDER BY values, close time, start time, run id.
    private static byte[] WriteCursor(SortKey key)
    {
        var parts = key.Values.Select(Tag)
            .Append(Tag(key.Position.CloseTime)).Append(Tag(key.Position.StartTime)).Append(Tag(key.Position.RunId));
        return JsonSerializer.SerializeToUtf8Bytes(parts.ToArray());
    }

    private SortKey ReadCursor(byte[] cursor)
    {
        string[]? parts;
        try
        {
            parts = JsonSerializer.Deserialize<string[]>(cursor);
        }
        catch (JsonException e)
        {
            throw new FormatException("The page cursor is not JSON.", e);
        }
        if (parts is null || parts.Length != orderBy.Count + 3)
        {
            throw new FormatException("The page cursor does not fit the query's ORDER BY.");
        }
        var values = parts.Take(orderBy.Count).Select(Untag).ToArray();
        return Untag(parts[^3]) is DateTime close && Untag(parts[^2]) is DateTime start && Untag(parts[^1]) is string runId
            ? new SortKey(values, new RunPosition(close, start, runId))
            : throw new FormatException("The page cursor does not name a run.");
    }

    private static string Tag(object? value) => value switch
    {
        null => "n",
        string text => "s" + text,
        long integer => "i" + integer.ToString(CultureInfo.InvariantCulture),
        double number => "d" + number.ToString("R", CultureInfo.InvariantCulture),
        bool flag => flag ? "b1" : "b0",
        DateTime time => "t" + time.Ticks.ToString(CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException($"Cannot page by a {value.GetType().Name}."),
    };

    private static object? Untag(string part) => part.Length == 0 ? throw new FormatException("Empty page cursor value.") : part[0] switch
    {
        'n' => null,
        's' => part[1..],
        'i' => long.Parse(part.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
        'd' => double.Parse(part.AsSpan(1), NumberStyles.Float, CultureInfo.InvariantCulture),
        'b' => part == "b1",
        't' => new DateTime(long.Parse(part.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture), DateTimeKind.Utc),
        _ => throw new FormatException($"Unknown page cursor value '{part}'."),
    };
}
