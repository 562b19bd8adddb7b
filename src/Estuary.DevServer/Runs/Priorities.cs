using Temporalio.Api.Common.V1;

namespace Estuary.DevServer.Runs;

/// <summary>
/// Temporal's priority inheritance: an activity or child takes each field of its workflow's priority (priority key,
/// fairness key, fairness weight) that its own command leaves unset (zero or empty).
/// </summary>
internal static class Priorities
{
    /// <summary>
    /// <paramref name="own"/> with its unset fields taken from <paramref name="inherited"/>; null when neither sets any.
    /// </summary>
    public static Priority? Merge(Priority? inherited, Priority? own)
    {
        var merged = new Priority
        {
            PriorityKey = own?.PriorityKey is > 0 ? own.PriorityKey : inherited?.PriorityKey ?? 0,
            FairnessKey = own?.FairnessKey is { Length: > 0 } ? own.FairnessKey : inherited?.FairnessKey ?? "",
            FairnessWeight = own?.FairnessWeight is > 0 ? own.FairnessWeight : inherited?.FairnessWeight ?? 0,
        };
        return merged.Equals(new Priority()) ? null : merged;
    }
}
