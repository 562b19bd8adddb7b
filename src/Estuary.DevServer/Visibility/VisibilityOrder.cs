namespace Estuary.DevServer.Visibility;

/// <summary>
/// The order runs are listed in. Without ORDER BY it is Temporal's: open runs first, then by close time, newest first;
/// ties by start time, newest first, then by run id. ORDER BY keys come first (runs without the attribute last) and
/// that order breaks their ties.
/// </summary>
internal sealed class VisibilityOrder(IReadOnlyList<OrderByItem> orderBy) : IComparer<IVisibilityRecord>
{
    public int Compare(IVisibilityRecord? x, IVisibilityRecord? y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        foreach (var item in orderBy)
        {
            var (left, right) = (x.Get(item.Attribute), y.Get(item.Attribute));
            var order = (left, right) switch
            {
                (null, null) => 0,
                (null, _) => 1,
                (_, null) => -1,
                _ => item.Descending ? QueryValues.Compare(right, left) : QueryValues.Compare(left, right),
            };
            if (order != 0)
            {
                return order;
            }
        }
        var closed = CompareNewestFirst(x.Get(SystemSearchAttributes.CloseTime) ?? DateTime.MaxValue, y.Get(SystemSearchAttributes.CloseTime) ?? DateTime.MaxValue);
        if (closed != 0)
        {
            return closed;
        }
        var started = CompareNewestFirst(x.Get(SystemSearchAttributes.StartTime)!, y.Get(SystemSearchAttributes.StartTime)!);
        return started != 0
            ? started
            : string.CompareOrdinal((string)x.Get(SystemSearchAttributes.RunId)!, (string)y.Get(SystemSearchAttributes.RunId)!);
    }

    private static int CompareNewestFirst(object left, object right) => QueryValues.Compare(right, left);
}
