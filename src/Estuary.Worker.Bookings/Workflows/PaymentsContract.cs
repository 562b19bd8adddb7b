namespace Estuary.Worker.Bookings.Workflows;

/// <summary>
/// What Bookings needs of the Payments domain's workflows, by name and shape only: the booking workflow runs them as
/// child workflows on the payments task queue, where the Payments worker serves them, without referencing the
/// Payments worker. The records carry the JSON shape of Payments' own input and result records.
/// </summary>
public static class PaymentsContract
{
    /// <summary>The task queue the Payments worker polls.</summary>
    public const string DefaultTaskQueue = "payments";

    /// <summary>The workflow type that takes a payment (authorize, capture).</summary>
    public const string ProcessPaymentWorkflow = "ProcessPaymentWorkflow";

    /// <summary>The workflow type that refunds a captured payment.</summary>
    public const string RefundPaymentWorkflow = "RefundPaymentWorkflow";

    /// <summary>The status of a payment whose money was taken.</summary>
    public const string Captured = "Captured";
}

/// <summary>The input of <see cref="PaymentsContract.ProcessPaymentWorkflow"/>.</summary>
/// <param name="Reference">The payment's reference (the booking's).</param>
/// <param name="AmountMinor">The amount in the currency's minor unit.</param>
/// <param name="Currency">The ISO 4217 currency code.</param>
public sealed record ProcessPaymentRequest(string Reference, long AmountMinor, string Currency);

/// <summary>The result of <see cref="PaymentsContract.ProcessPaymentWorkflow"/> (the fields Bookings reads).</summary>
/// <param name="Reference">The payment's reference.</param>
/// <param name="Status"><see cref="PaymentsContract.Captured"/>, <c>AuthorizationDeclined</c> or <c>CaptureDeclined</c>.</param>
/// <param name="CaptureId">The provider's capture, what a refund refers to, when captured.</param>
/// <param name="DeclineReason">Why the provider declined, when it did.</param>
public sealed record PaymentResult(string Reference, string Status, long? CaptureId, string? DeclineReason);

/// <summary>The input of <see cref="PaymentsContract.RefundPaymentWorkflow"/>.</summary>
/// <param name="CaptureId">The capture to refund.</param>
/// <param name="AmountMinor">The amount to give back.</param>
public sealed record RefundPaymentRequest(long CaptureId, long AmountMinor);

/// <summary>The result of <see cref="PaymentsContract.RefundPaymentWorkflow"/> (the fields Bookings reads).</summary>
/// <param name="RefundId">The provider's refund.</param>
/// <param name="CaptureId">The capture refunded.</param>
/// <param name="AmountMinor">The amount given back.</param>
public sealed record RefundResult(long RefundId, long CaptureId, long AmountMinor);
