using Estuary.Temporal.Workflows;
using Estuary.Worker.Bookings.Activities;
using Temporalio.Workflows;

namespace Estuary.Worker.Bookings.Workflows;

/// <summary>Takes a booking request.</summary>
[Workflow]
public sealed class RequestBookingWorkflow : EstuaryWorkflow
{
    /// <summary>Runs the workflow.</summary>
    /// <param name="input">The request.</param>
    /// <returns>The requested booking.</returns>
    [WorkflowRun]
    public Task<BookingRequested> RunAsync(RequestBookingInput input) =>
        ExecuteActivityAsync((BookingActivities a) => a.RequestBookingAsync(input), TimeSpan.FromSeconds(30));
}
