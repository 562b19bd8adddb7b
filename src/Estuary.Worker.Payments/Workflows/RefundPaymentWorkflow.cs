using Estuary.Temporal.Workflows;
using Estuary.Worker.Payments.Activities;
using Temporalio.Workflows;

namespace Estuary.Worker.Payments.Workflows;

/// <summary>A refund to make.</summary>
/// <param name="CaptureId">The capture to refund (<see cref="PaymentOutcome.CaptureId"/>).</param>
/// <param name="AmountMinor">The amount to give back; at most what the capture has left.</param>
public sealed record RefundPaymentInput(long CaptureId, long AmountMinor);

/// <summary>A refund made.</summary>
/// <param name="RefundId">The provider's refund.</param>
/// <param name="CaptureId">The capture refunded.</param>
/// <param name="Reference">The payment's reference.</param>
/// <param name="AmountMinor">The amount given back.</param>
/// <param name="Currency">The ISO 4217 currency code.</param>
public sealed record RefundOutcome(long RefundId, long CaptureId, string Reference, long AmountMinor, string Currency);

/// <summary>
/// Refunds part or all of a captured payment, once: the idempotency key is the workflow id, so retries and a rerun of
/// the same workflow id never refund twice. A refund the provider declines (more than the capture has left, no such
/// capture) fails the workflow with a <c>PaymentDeclined</c> activity failure.
/// </summary>
[Workflow]
public sealed class RefundPaymentWorkflow : EstuaryWorkflow
{
    /// <summary>Runs the workflow.</summary>
    /// <param name="input">The refund.</param>
    /// <returns>The refund made.</returns>
    [WorkflowRun]
    public async Task<RefundOutcome> RunAsync(RefundPaymentInput input)
    {
        var refund = await ExecuteActivityAsync((ProviderActivities a) =>
            a.RefundAsync(new RefundInput($"{Workflow.Info.WorkflowId}/refund", input.CaptureId, input.AmountMinor)));
        return new RefundOutcome(refund.OperationId, input.CaptureId, refund.Reference, refund.AmountMinor, refund.Currency);
    }
}
