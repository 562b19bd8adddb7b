namespace Estuary.Worker.Payments.Data;

/// <summary>A payment received.</summary>
public sealed class Payment
{
    /// <summary>The status of a payment just recorded.</summary>
    public const string RecordedStatus = "recorded";

    /// <summary>Gets or sets the id.</summary>
    public int Id { get; set; }

    /// <summary>Gets or sets the payer's reference, unique across payments.</summary>
    public required string Reference { get; set; }

    /// <summary>Gets or sets the amount in the currency's minor unit (cents).</summary>
    public long AmountMinor { get; set; }

    /// <summary>Gets or sets the ISO 4217 currency code.</summary>
    public required string Currency { get; set; }

    /// <summary>Gets or sets who the payment is for (a practitioner's reference), when it is paid on to someone: the nightly
    /// payout batch pays it out to them.</summary>
    public string? Payee { get; set; }

    /// <summary>Gets or sets the status.</summary>
    public string Status { get; set; } = RecordedStatus;

    /// <summary>Gets or sets when the payment was recorded.</summary>
    public DateTimeOffset RecordedAt { get; set; }
}
