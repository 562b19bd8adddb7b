namespace Estuary.Temporal.Schedules;

/// <summary>
/// A workflow that runs on a timetable: it declares its schedules, which discovery finds and the workers of its domain
/// keep in Temporal (created, updated, deleted with the declaration).
/// </summary>
/// <example>
/// <code>
/// [Workflow]
/// public sealed class NightlyPayoutsWorkflow : EstuaryWorkflow, IScheduledWorkflow
/// {
///     public static IReadOnlyList&lt;EstuarySchedule&gt; Schedules =>
///     [
///         EstuarySchedule.Create("payments-nightly-payouts", (NightlyPayoutsWorkflow wf) => wf.RunAsync("EUR"),
///             new ScheduleSpec { Calendars = [new ScheduleCalendarSpec { Hour = [new ScheduleRange(2)] }] })
///         with { Policy = new SchedulePolicy { Overlap = ScheduleOverlapPolicy.Skip } },
///     ];
///     …
/// }
/// </code>
/// </example>
public interface IScheduledWorkflow
{
    /// <summary>Gets the workflow's schedules.</summary>
    static abstract IReadOnlyList<EstuarySchedule> Schedules { get; }
}
