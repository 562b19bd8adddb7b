using System.ComponentModel.DataAnnotations;
using Estuary.Worker.Payments.Data;

namespace Estuary.Worker.Payments.Providers;

/// <summary>
/// The built-in payment provider's behaviour, section <c>Estuary:Domains:payments:Provider</c>: by default every
/// valid call succeeds; <see cref="Failures"/> injects failures so retries and compensation run for real.
/// </summary>
public sealed class PaymentProviderOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionPath = "Estuary:Domains:payments:Provider";

    /// <summary>Gets or sets the failure rules; the first rule matching a call applies.</summary>
    public IList<ProviderFailureRule> Failures { get; set; } = [];

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < Failures.Count; i++)
        {
            var rule = Failures[i];
            var key = $"{SectionPath}:Failures:{i}";
            if (rule.TransientFailures < 0)
            {
                yield return new ValidationResult($"Configuration key '{key}:TransientFailures' must not be negative, got {rule.TransientFailures}.");
            }

            if (rule.Permanent == rule.TransientFailures > 0)
            {
                yield return new ValidationResult($"Configuration key '{key}' must set either Permanent=true or TransientFailures > 0, not both.");
            }
        }
    }
}

/// <summary>Which calls fail, and how. A criterion left out matches every call.</summary>
public sealed class ProviderFailureRule
{
    /// <summary>Gets or sets the operation that fails (<c>Authorize</c>, <c>Capture</c>, <c>Void</c>, <c>Refund</c>, <c>Payout</c>).</summary>
    public ProviderOperationKind? Operation { get; set; }

    /// <summary>Gets or sets the payment reference (or payee of a payout) that fails.</summary>
    public string? Reference { get; set; }

    /// <summary>Gets or sets the amount, in minor units, that fails.</summary>
    public long? AmountMinor { get; set; }

    /// <summary>Gets or sets how many calls per idempotency key fail as unavailable before the call succeeds.</summary>
    public int TransientFailures { get; set; }

    /// <summary>Gets or sets a value indicating whether matching calls are always declined.</summary>
    public bool Permanent { get; set; }

    /// <summary>Tells whether the rule applies to a call.</summary>
    /// <param name="kind">The operation.</param>
    /// <param name="reference">The payment reference or payee.</param>
    /// <param name="amountMinor">The amount.</param>
    /// <returns>Whether every criterion given matches.</returns>
    public bool Matches(ProviderOperationKind kind, string reference, long amountMinor) =>
        (Operation is null || Operation == kind)
        && (Reference is null || string.Equals(Reference, reference, StringComparison.Ordinal))
        && (AmountMinor is null || AmountMinor == amountMinor);
}
