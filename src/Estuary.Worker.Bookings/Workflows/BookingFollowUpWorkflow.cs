using Estuary.Temporal.Workflows;
using Estuary.Worker.Bookings.Activities;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Estuary.Worker.Bookings.Workflows;

/// <summary>A follow-up of a completed booking, and how far it got (carried from one run to the next by continue-as-new).</summary>
/// <param name="BookingId">The booking.</param>
/// <param name="Reference">The booking's reference.</param>
/// <param name="Days">For how many days to look for the client's review (1 to 365).</param>
/// <param name="DaysPerRun">How many daily checks one run makes before continuing as new, to keep its history small (1 to 100).</param>
/// <param name="DaysChecked">How many days earlier runs checked; 0 at the start.</param>
/// <param name="Run">The run number, from 1.</param>
public sealed record FollowUpInput(int BookingId, string Reference, int Days = 30, int DaysPerRun = 7, int DaysChecked = 0, int Run = 1);

/// <summary>How a follow-up ended.</summary>
/// <param name="BookingId">The booking.</param>
/// <param name="Reference">The booking's reference.</param>
/// <param name="ReviewReceived">Whether the client's review came in.</param>
/// <param name="ReviewedAt">When it came in, if it did.</param>
/// <param name="DaysChecked">How many daily checks were made.</param>
/// <param name="Runs">How many runs the follow-up took (continue-as-new).</param>
public sealed record FollowUpResult(int BookingId, string Reference, bool ReviewReceived, DateTimeOffset? ReviewedAt, int DaysChecked, int Runs);

/// <summary>
/// Looks at a completed booking once a day, for up to <see cref="FollowUpInput.Days"/> days, until the client's review
/// has come in. Each run makes at most <see cref="FollowUpInput.DaysPerRun"/> checks (fewer when Temporal suggests it),
/// then continues as new with the count so far, so no run's history grows with the length of the follow-up.
/// </summary>
[Workflow]
public sealed class BookingFollowUpWorkflow : EstuaryWorkflow
{
    /// <summary>The time between two checks.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromDays(1);

    /// <summary>Runs the workflow (one run: up to <see cref="FollowUpInput.DaysPerRun"/> daily checks).</summary>
    /// <param name="input">The booking and the follow-up's progress.</param>
    /// <returns>How the follow-up ended, from the last run.</returns>
    [WorkflowRun]
    public async Task<FollowUpResult> RunAsync(FollowUpInput input)
    {
        Validate(input);
        var daysChecked = input.DaysChecked;
        for (var checkedThisRun = 0; daysChecked < input.Days; checkedThisRun++)
        {
            if (checkedThisRun == input.DaysPerRun || (checkedThisRun > 0 && Workflow.ContinueAsNewSuggested))
            {
                var next = input with { DaysChecked = daysChecked, Run = input.Run + 1 };
                throw Workflow.CreateContinueAsNewException((BookingFollowUpWorkflow wf) => wf.RunAsync(next));
            }

            await Workflow.DelayAsync(CheckInterval);
            var check = await ExecuteActivityAsync((BookingActivities a) => a.CheckFollowUpAsync(input.BookingId));
            daysChecked++;
            if (check.ReviewedAt is { } reviewedAt)
            {
                return new FollowUpResult(input.BookingId, input.Reference, true, reviewedAt, daysChecked, input.Run);
            }
        }

        return new FollowUpResult(input.BookingId, input.Reference, false, null, daysChecked, input.Run);
    }

    private static void Validate(FollowUpInput input)
    {
        string? error = input switch
        {
            { Days: < 1 or > 365 } => $"Days must be 1 to 365, got {input.Days}",
            { DaysPerRun: < 1 or > 100 } => $"DaysPerRun must be 1 to 100, got {input.DaysPerRun}",
            { DaysChecked: < 0 } => $"DaysChecked must not be negative, got {input.DaysChecked}",
            _ => null,
        };
        if (error is not null)
        {
            throw new ApplicationFailureException(error, errorType: BookingActivities.InvalidBooking, nonRetryable: true);
        }
    }
}
