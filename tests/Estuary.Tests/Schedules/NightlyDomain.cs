using Estuary.Temporal.Domains;
using Estuary.Temporal.Schedules;
using Temporalio.Client.Schedules;
using Temporalio.Converters;
using Temporalio.Workflows;

namespace Estuary.Tests.Schedules;

/// <summary>A domain of this test assembly whose workflow declares a nightly schedule.</summary>
internal sealed class NightlyDomain : EstuaryDomain
{
    public override string Name => "nightly";

    public override string Description => "A nightly payout run, declared as a schedule";

    public override IEnumerable<Type> Types => [typeof(NightlyPayoutWorkflow)];
}

/// <summary>What a nightly payout run did: which night it was, counted from the last run's result.</summary>
/// <param name="Night">1 for the first run, one more than the last run's for the others.</param>
/// <param name="Currency">The currency paid out.</param>
public sealed record NightlyPayoutResult(int Night, string Currency);

/// <summary>Runs every day at 02:00 UTC and counts its nights through the last completion result.</summary>
[Workflow]
public sealed class NightlyPayoutWorkflow : IScheduledWorkflow
{
    public const string ScheduleId = "nightly-payouts";

    public static IReadOnlyList<EstuarySchedule> Schedules =>
    [
        EstuarySchedule.Create(ScheduleId, (NightlyPayoutWorkflow wf) => wf.RunAsync("EUR"),
            new ScheduleSpec { Calendars = [new ScheduleCalendarSpec { Hour = [new ScheduleRange(2)] }] })
        with
        {
            Policy = new SchedulePolicy { Overlap = Temporalio.Api.Enums.V1.ScheduleOverlapPolicy.Skip },
            Description = "pays the day's payouts",
        },
    ];

    [WorkflowRun]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Temporal run methods are instance methods.")]
    public Task<NightlyPayoutResult> RunAsync(string currency)
    {
        var last = Workflow.Info.LastResult is { Count: > 0 } payloads
            ? Workflow.PayloadConverter.ToValue<NightlyPayoutResult>(payloads.First().Payload)
            : null;
        return Task.FromResult(new NightlyPayoutResult((last?.Night ?? 0) + 1, currency));
    }
}
