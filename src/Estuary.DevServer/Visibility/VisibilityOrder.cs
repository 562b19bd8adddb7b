namespace Estuary.DevServer.Visibility;

/// <summary>
/// The order runs are listed in. Without ORDER BY it is Temporal's: open runs first, then by close time, newest first;
/// ties by start time, newest first, then by run id. ORDER BY keys come first (runs without the attribute last) and
/// that order breaks their ties.
/// </summary>
internal sealed class VisibilityOrder(IReadOnlyList<OrderByItem> orderBy)
{
    /// <summary>Sorts <paramref name="records"/>, reading each record's sort keys once rather than at every comparison.</summary>
    public List<T> Sort<T>(IEnumerable<T> records)
        where T : IVisibilityRecord
    {
        var keyed = records.Select(record => new Keyed<T>(
            record,
            orderBy.Count == 0 ? [] : orderBy.Select(item => record.Get(item.Attribute)).ToArray(),
            record.Get(SystemSearchAttributes.CloseTime) as DateTime? ?? DateTime.MaxValue,
            (DateTime)record.Get(SystemSearchAttributes.StartTime)!,
            (string)record.Get(SystemSearchAttributes.RunId)!)).ToArray();
        Array.Sort(keyed, Compare);
        return keyed.Select(k => k.Record).ToList();
    }

    private readonly record struct Keyed<T>(T Record, object?[] Keys, DateTime CloseTime, DateTime StartTime, string RunId);

    private int Compare<T>(Keyed<T> x, Keyed<T> y)
    {
        for (var i = 0; i < x.Keys.Length; i++)
        {
            var order = (x.Keys[i], y.Keys[i]) switch
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
        var closed = y.CloseTime.CompareTo(x.CloseTime);
        if (closed != 0)
        {
            return closed;
        }
        var started = y.StartTime.CompareTo(x.StartTime);
        return started != 0 ? started : string.CompareOrdinal(x.RunId, y.RunId);
    }
}
