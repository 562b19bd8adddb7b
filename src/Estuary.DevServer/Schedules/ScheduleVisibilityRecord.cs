using Estuary.DevServer.Visibility;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;

namespace Estuary.DevServer.Schedules;

/// <summary>
/// A schedule as the <c>ListSchedules</c> filter sees it: <c>ScheduleId</c> (also <c>TemporalScheduleId</c>, Keyword),
/// <c>TemporalSchedulePaused</c> (Bool) and the schedule's own custom search attributes — what Temporal's list of
/// schedules can be filtered on.
/// </summary>
internal sealed class ScheduleVisibilityRecord(string scheduleId, bool paused, DateTime createTime, SearchAttributes searchAttributes) : IVisibilityRecord
{
    /// <summary>The attributes every schedule has, with their types.</summary>
    public static readonly IReadOnlyDictionary<string, IndexedValueType> SystemAttributes = new Dictionary<string, IndexedValueType>(StringComparer.Ordinal)
    {
        ["ScheduleId"] = IndexedValueType.Keyword,
        ["TemporalScheduleId"] = IndexedValueType.Keyword,
        ["TemporalSchedulePaused"] = IndexedValueType.Bool,
    };

    public string ScheduleId { get; } = scheduleId;

    public DateTime CreateTime { get; } = createTime;

    /// <summary>What <paramref name="schedule"/> shows now (its lock held).</summary>
    public static ScheduleVisibilityRecord Of(ScheduleLifecycle schedule) =>
        new(schedule.ScheduleId, schedule.Schedule.State.Paused, schedule.Info.CreateTime.ToDateTime(), schedule.SearchAttributes);

    public object? Get(SearchAttributeRef attribute) => attribute.Name switch
    {
        "ScheduleId" or "TemporalScheduleId" => ScheduleId,
        "TemporalSchedulePaused" => paused,
        _ => searchAttributes.IndexedFields.TryGetValue(attribute.Name, out var payload)
            ? RunVisibilityRecord.Decode(payload.Data.Span, attribute.Type)
            : null,
    };
}
