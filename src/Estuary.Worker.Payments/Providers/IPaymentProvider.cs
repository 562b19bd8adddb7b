using Estuary.Worker.Payments.Data;

namespace Estuary.Worker.Payments.Providers;

/// <summary>What the provider did for one operation.</summary>
/// <param name="OperationId">The provider's reference of the operation.</param>
/// <param name="Kind">What the operation did.</param>
/// <param name="Reference">The payment's reference, or the payee of a payout.</param>
/// <param name="AmountMinor">The amount in the currency's minor unit.</param>
/// <param name="Currency">The ISO 4217 currency code.</param>
/// <param name="CreatedAt">When the operation was carried out (the first time, for a replayed call).</param>
public sealed record ProviderReceipt(
    long OperationId, ProviderOperationKind Kind, string Reference, long AmountMinor, string Currency, DateTimeOffset CreatedAt);

/// <summary>
/// A payment provider (card acquirer, bank). Every call takes an idempotency key: calling again with the same key
/// returns the first call's receipt without charging, releasing, refunding or paying again, so a retried activity is
/// safe. Failures are <see cref="PaymentProviderException"/>s, transient (retry) or declined (do not).
/// </summary>
public interface IPaymentProvider
{
    /// <summary>Reserves an amount for a payment.</summary>
    /// <param name="idempotencyKey">Identifies this request across retries.</param>
    /// <param name="reference">The payment's reference.</param>
    /// <param name="amountMinor">The amount in the currency's minor unit; positive.</param>
    /// <param name="currency">The ISO 4217 currency code.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The authorization.</returns>
    Task<ProviderReceipt> AuthorizeAsync(string idempotencyKey, string reference, long amountMinor, string currency, CancellationToken cancellationToken);

    /// <summary>Takes the whole amount of an authorization.</summary>
    /// <param name="idempotencyKey">Identifies this request across retries.</param>
    /// <param name="authorizationId">The authorization's operation id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The capture.</returns>
    Task<ProviderReceipt> CaptureAsync(string idempotencyKey, long authorizationId, CancellationToken cancellationToken);

    /// <summary>Releases an authorization that was not captured.</summary>
    /// <param name="idempotencyKey">Identifies this request across retries.</param>
    /// <param name="authorizationId">The authorization's operation id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The void.</returns>
    Task<ProviderReceipt> VoidAsync(string idempotencyKey, long authorizationId, CancellationToken cancellationToken);

    /// <summary>Gives back part or all of a capture.</summary>
    /// <param name="idempotencyKey">Identifies this request across retries.</param>
    /// <param name="captureId">The capture's operation id.</param>
    /// <param name="amountMinor">The amount to give back; positive, at most what the capture has left.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The refund.</returns>
    Task<ProviderReceipt> RefundAsync(string idempotencyKey, long captureId, long amountMinor, CancellationToken cancellationToken);

    /// <summary>Pays an amount to a payee.</summary>
    /// <param name="idempotencyKey">Identifies this request across retries.</param>
    /// <param name="payee">Who is paid (a practitioner's reference).</param>
    /// <param name="amountMinor">The amount in the currency's minor unit; positive.</param>
    /// <param name="currency">The ISO 4217 currency code.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The payout.</returns>
    Task<ProviderReceipt> PayoutAsync(string idempotencyKey, string payee, long amountMinor, string currency, CancellationToken cancellationToken);
}

/// <summary>A call the provider did not carry out.</summary>
/// <param name="message">Why.</param>
/// <param name="isTransient">Whether the same call may succeed later (provider unavailable) rather than never (declined).</param>
public sealed class PaymentProviderException(string message, bool isTransient) : Exception(message)
{
    /// <summary>Gets a value indicating whether the same call may succeed later.</summary>
    public bool IsTransient { get; } = isTransient;
}
