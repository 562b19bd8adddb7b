using Estuary.Temporal.Workflows;
using Estuary.Worker.Payments.Activities;
using Temporalio.Workflows;

namespace Estuary.Worker.Payments.Workflows;

/// <summary>Records a payment received.</summary>
[Workflow]
public sealed class RecordPaymentWorkflow : EstuaryWorkflow
{
    /// <summary>Runs the workflow.</summary>
    /// <param name="input">The payment.</param>
    /// <returns>The recorded payment.</returns>
    [WorkflowRun]
    public Task<PaymentRecorded> RunAsync(RecordPaymentInput input) =>
        ExecuteActivityAsync((PaymentActivities a) => a.RecordPaymentAsync(input), TimeSpan.FromSeconds(30));
}
