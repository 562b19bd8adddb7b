namespace Estuary.DevServer.Visibility;

/// <summary>
/// A run's place in Temporal's default list order: open runs first (an open run's close time counts as the latest),
/// then by close time, newest first; ties by start time, newest first, then by run id. Run ids are unique, so no two
/// runs share a position.
/// </summary>
internal readonly record struct RunPosition(DateTime CloseTime, DateTime StartTime, string RunId) : IComparable<RunPosition>
{
    /// <summary>Where <paramref name="record"/> stands now.</summary>
    public static RunPosition Of(IVisibilityRecord record) => new(
        record.Get(SystemSearchAttributes.CloseTime) as DateTime? ?? DateTime.MaxValue,
        (DateTime)record.Get(SystemSearchAttributes.StartTime)!,
        (string)record.Get(SystemSearchAttributes.RunId)!);

    /// <summary>Negative when this position comes before <paramref name="other"/> in the list.</summary>
    public int CompareTo(RunPosition other)
    {
        var closed = other.CloseTime.CompareTo(CloseTime);
        if (closed != 0)
        {
            return closed;
        }
        var started = other.StartTime.CompareTo(StartTime);
        return started != 0 ? started : string.CompareOrdinal(RunId, other.RunId);
    }
}
