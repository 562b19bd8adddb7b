using Estuary.Worker.Payments.Providers;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace Estuary.Worker.Payments.Activities;

/// <summary>An authorization to ask for.</summary>
/// <param name="IdempotencyKey">Identifies the request across retries.</param>
/// <param name="Reference">The payment's reference.</param>
/// <param name="AmountMinor">The amount in the currency's minor unit.</param>
/// <param name="Currency">The ISO 4217 currency code.</param>
public sealed record AuthorizePaymentInput(string IdempotencyKey, string Reference, long AmountMinor, string Currency);

/// <summary>A capture or void of an authorization.</summary>
/// <param name="IdempotencyKey">Identifies the request across retries.</param>
/// <param name="AuthorizationId">The authorization's operation id.</param>
public sealed record AuthorizationInput(string IdempotencyKey, long AuthorizationId);

/// <summary>A refund to ask for.</summary>
/// <param name="IdempotencyKey">Identifies the request across retries.</param>
/// <param name="CaptureId">The capture's operation id.</param>
/// <param name="AmountMinor">The amount to give back.</param>
public sealed record RefundInput(string IdempotencyKey, long CaptureId, long AmountMinor);

/// <summary>A payout to make.</summary>
/// <param name="IdempotencyKey">Identifies the request across retries.</param>
/// <param name="Payee">Who is paid.</param>
/// <param name="AmountMinor">The amount in the currency's minor unit.</param>
/// <param name="Currency">The ISO 4217 currency code.</param>
public sealed record PayoutInput(string IdempotencyKey, string Payee, long AmountMinor, string Currency);

/// <summary>
/// The payment provider's operations as activities. They are not <c>[Transactional]</c>: the provider's idempotency
/// key is what makes a retried call harmless, and its ledger must keep failed calls that a rollback would erase.
/// </summary>
/// <param name="provider">The payment provider.</param>
public sealed class ProviderActivities(IPaymentProvider provider)
{
    /// <summary>The error type of a call the provider refused; never retried.</summary>
    public const string PaymentDeclined = "PaymentDeclined";

    /// <summary>The error type of a call the provider could not take now; retried.</summary>
    public const string ProviderUnavailable = "ProviderUnavailable";

    /// <summary>Authorizes a payment.</summary>
    /// <param name="input">The authorization.</param>
    /// <returns>The provider's receipt.</returns>
    [Activity("authorize_payment")]
    public Task<ProviderReceipt> AuthorizeAsync(AuthorizePaymentInput input) =>
        CallAsync(ct => provider.AuthorizeAsync(input.IdempotencyKey, input.Reference, input.AmountMinor, input.Currency, ct));

    /// <summary>Captures an authorization.</summary>
    /// <param name="input">The authorization.</param>
    /// <returns>The provider's receipt.</returns>
    [Activity("capture_payment")]
    public Task<ProviderReceipt> CaptureAsync(AuthorizationInput input) =>
        CallAsync(ct => provider.CaptureAsync(input.IdempotencyKey, input.AuthorizationId, ct));

    /// <summary>Voids an authorization (the compensation of <c>authorize_payment</c>).</summary>
    /// <param name="input">The authorization.</param>
    /// <returns>The provider's receipt.</returns>
    [Activity("void_authorization")]
    public Task<ProviderReceipt> VoidAsync(AuthorizationInput input) =>
        CallAsync(ct => provider.VoidAsync(input.IdempotencyKey, input.AuthorizationId, ct));

    /// <summary>Refunds part or all of a capture.</summary>
    /// <param name="input">The refund.</param>
    /// <returns>The provider's receipt.</returns>
    [Activity("refund_payment")]
    public Task<ProviderReceipt> RefundAsync(RefundInput input) =>
        CallAsync(ct => provider.RefundAsync(input.IdempotencyKey, input.CaptureId, input.AmountMinor, ct));

    /// <summary>Pays a payee.</summary>
    /// <param name="input">The payout.</param>
    /// <returns>The provider's receipt.</returns>
    [Activity("pay_out")]
    public Task<ProviderReceipt> PayoutAsync(PayoutInput input) =>
        CallAsync(ct => provider.PayoutAsync(input.IdempotencyKey, input.Payee, input.AmountMinor, input.Currency, ct));

    // Declined stays declined: fail at once; unavailable is left to the retry policy.
    private static async Task<ProviderReceipt> CallAsync(Func<CancellationToken, Task<ProviderReceipt>> call)
    {
        try
        {
            return await call(ActivityExecutionContext.Current.CancellationToken);
        }
        catch (PaymentProviderException e)
        {
            throw e.IsTransient
                ? new ApplicationFailureException(e.Message, errorType: ProviderUnavailable)
                : new ApplicationFailureException(e.Message, errorType: PaymentDeclined, nonRetryable: true);
        }
    }
}
