namespace Estuary.Worker.Payments.Data;

/// <summary>What a payment provider operation does.</summary>
public enum ProviderOperationKind
{
    /// <summary>Reserves an amount on the payer's means of payment.</summary>
    Authorize,

    /// <summary>Takes the authorized amount.</summary>
    Capture,

    /// <summary>Releases an authorization that was not captured.</summary>
    Void,

    /// <summary>Gives back (part of) a captured amount.</summary>
    Refund,

    /// <summary>Pays an amount to a payee (a practitioner).</summary>
    Payout,
}

/// <summary>An operation the built-in payment provider carried out: one row per idempotency key, so a retried call
/// never charges or pays twice.</summary>
public sealed class ProviderOperation
{
    /// <summary>Gets or sets the id, the provider's reference of the operation.</summary>
    public long Id { get; set; }

    /// <summary>Gets or sets the caller's idempotency key, unique across operations.</summary>
    public required string IdempotencyKey { get; set; }

    /// <summary>Gets or sets what the operation did.</summary>
    public ProviderOperationKind Kind { get; set; }

    /// <summary>Gets or sets the payment's reference (authorize, capture, void, refund) or the payee (payout).</summary>
    public required string Reference { get; set; }

    /// <summary>Gets or sets the amount in the currency's minor unit.</summary>
    public long AmountMinor { get; set; }

    /// <summary>Gets or sets the ISO 4217 currency code.</summary>
    public required string Currency { get; set; }

    /// <summary>Gets or sets the operation this one acts on: the authorization of a capture or void, the capture of a refund.</summary>
    public long? RelatedOperationId { get; set; }

    /// <summary>Gets or sets when the operation was carried out.</summary>
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>How one call to the provider ended.</summary>
public enum ProviderAttemptOutcome
{
    /// <summary>The operation was carried out.</summary>
    Succeeded,

    /// <summary>The operation had already been carried out under the same idempotency key; nothing was done again.</summary>
    Replayed,

    /// <summary>The provider was unavailable; the call may be retried.</summary>
    TransientFailure,

    /// <summary>The provider refused the operation; retrying will not help.</summary>
    Declined,
}

/// <summary>One call to the built-in payment provider, whatever its outcome: retries are visible here.</summary>
public sealed class ProviderAttempt
{
    /// <summary>Gets or sets the id.</summary>
    public long Id { get; set; }

    /// <summary>Gets or sets the caller's idempotency key.</summary>
    public required string IdempotencyKey { get; set; }

    /// <summary>Gets or sets what the call asked for.</summary>
    public ProviderOperationKind Kind { get; set; }

    /// <summary>Gets or sets how the call ended.</summary>
    public ProviderAttemptOutcome Outcome { get; set; }

    /// <summary>Gets or sets why it failed, when it did.</summary>
    public string? Error { get; set; }

    /// <summary>Gets or sets when the call was made.</summary>
    public DateTimeOffset At { get; set; }
}
