using System.Text.Json.Serialization;
using Estuary.Temporal.Workflows;
using Estuary.Worker.Payments.Activities;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Estuary.Worker.Payments.Workflows;

/// <summary>A payment to take.</summary>
/// <param name="Reference">The payment's reference (a booking's, an invoice's).</param>
/// <param name="AmountMinor">The amount in the currency's minor unit; positive.</param>
/// <param name="Currency">The ISO 4217 currency code, e.g. <c>EUR</c>.</param>
public sealed record ProcessPaymentInput(string Reference, long AmountMinor, string Currency);

/// <summary>How a payment ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PaymentStatus>))]
public enum PaymentStatus
{
    /// <summary>Authorized and captured: the money is taken.</summary>
    Captured,

    /// <summary>The provider refused the authorization: nothing was taken.</summary>
    AuthorizationDeclined,

    /// <summary>The provider refused the capture: the authorization was voided, nothing was taken.</summary>
    CaptureDeclined,
}

/// <summary>The outcome of a payment.</summary>
/// <param name="Reference">The payment's reference.</param>
/// <param name="Status">How it ended.</param>
/// <param name="AuthorizationId">The provider's authorization, when authorized.</param>
/// <param name="CaptureId">The provider's capture (what a refund refers to), when captured.</param>
/// <param name="VoidId">The provider's void of the authorization, when the capture was declined.</param>
/// <param name="DeclineReason">Why the provider declined, when it did.</param>
public sealed record PaymentOutcome(string Reference, PaymentStatus Status, long? AuthorizationId, long? CaptureId, long? VoidId, string? DeclineReason);

/// <summary>
/// Takes a payment: authorize, then capture. Every call carries an idempotency key made of the workflow id and the
/// step, so retries (the provider unavailable, a worker lost) never charge twice. A declined authorization or capture
/// is an outcome, not a workflow failure; a declined or failed capture voids the authorization first.
/// </summary>
[Workflow]
public sealed class ProcessPaymentWorkflow : EstuaryWorkflow
{
    /// <summary>Runs the workflow.</summary>
    /// <param name="input">The payment.</param>
    /// <returns>How the payment ended.</returns>
    [WorkflowRun]
    public async Task<PaymentOutcome> RunAsync(ProcessPaymentInput input)
    {
        var key = Workflow.Info.WorkflowId;
        long authorizationId;
        try
        {
            var authorization = await ExecuteActivityAsync((ProviderActivities a) =>
                a.AuthorizeAsync(new AuthorizePaymentInput($"{key}/authorize", input.Reference, input.AmountMinor, input.Currency)));
            authorizationId = authorization.OperationId;
        }
        catch (ActivityFailureException e) when (Declined(e) is { } reason)
        {
            return new PaymentOutcome(input.Reference, PaymentStatus.AuthorizationDeclined, null, null, null, reason);
        }

        try
        {
            var capture = await ExecuteActivityAsync((ProviderActivities a) => a.CaptureAsync(new AuthorizationInput($"{key}/capture", authorizationId)));
            return new PaymentOutcome(input.Reference, PaymentStatus.Captured, authorizationId, capture.OperationId, null, null);
        }
        catch (ActivityFailureException e)
        {
            // Whatever stopped the capture, the payer's money must not stay reserved.
            Workflow.Logger.LogWarning("Capture of {Reference} failed, voiding authorization {AuthorizationId}: {Error}", input.Reference, authorizationId, e.InnerException?.Message);
            var voided = await ExecuteActivityAsync((ProviderActivities a) => a.VoidAsync(new AuthorizationInput($"{key}/void", authorizationId)));
            if (Declined(e) is { } reason)
            {
                return new PaymentOutcome(input.Reference, PaymentStatus.CaptureDeclined, authorizationId, null, voided.OperationId, reason);
            }

            throw;
        }
    }

    private static string? Declined(ActivityFailureException failure) =>
        failure.InnerException is ApplicationFailureException { ErrorType: ProviderActivities.PaymentDeclined } declined ? declined.Message : null;
}
