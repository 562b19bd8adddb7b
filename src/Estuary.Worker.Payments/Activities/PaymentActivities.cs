using Estuary.Temporal.Activities;
using Estuary.Worker.Payments.Data;
using Microsoft.EntityFrameworkCore;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace Estuary.Worker.Payments.Activities;

/// <summary>A payment to record.</summary>
/// <param name="Reference">The payer's reference, unique across payments.</param>
/// <param name="AmountMinor">The amount in the currency's minor unit (cents); positive.</param>
/// <param name="Currency">The ISO 4217 currency code, e.g. <c>EUR</c>.</param>
public sealed record RecordPaymentInput(string Reference, long AmountMinor, string Currency);

/// <summary>A recorded payment.</summary>
/// <param name="PaymentId">The payment id.</param>
/// <param name="Reference">The payer's reference.</param>
/// <param name="Status">The payment's status.</param>
/// <param name="RecordedAt">When it was recorded.</param>
public sealed record PaymentRecorded(int PaymentId, string Reference, string Status, DateTimeOffset RecordedAt);

/// <summary>The payments domain's activities.</summary>
/// <param name="db">The domain's database, scoped to this activity execution.</param>
/// <param name="time">The clock.</param>
public sealed class PaymentActivities(PaymentsDbContext db, TimeProvider time)
{
    /// <summary>The error type of a payment that cannot be recorded as given; never retried.</summary>
    public const string InvalidPayment = "InvalidPayment";

    /// <summary>Records a payment, once, in one transaction.</summary>
    /// <param name="input">The payment.</param>
    /// <returns>The recorded payment.</returns>
    /// <exception cref="ApplicationFailureException">Non-retryable <see cref="InvalidPayment"/>: invalid amount,
    /// currency or reference, or a payment with that reference already recorded.</exception>
    [Activity("record_payment")]
    [Transactional]
    public async Task<PaymentRecorded> RecordPaymentAsync(RecordPaymentInput input)
    {
        var cancellationToken = ActivityExecutionContext.Current.CancellationToken;
        Validate(input);
        if (await db.Payments.AnyAsync(p => p.Reference == input.Reference, cancellationToken))
        {
            throw Invalid($"A payment with reference '{input.Reference}' is already recorded");
        }

        var payment = new Payment
        {
            Reference = input.Reference,
            AmountMinor = input.AmountMinor,
            Currency = input.Currency,
            RecordedAt = time.GetUtcNow(),
        };
        db.Payments.Add(payment);
        await db.SaveChangesAsync(cancellationToken);
        return new PaymentRecorded(payment.Id, payment.Reference, payment.Status, payment.RecordedAt);
    }

    private static void Validate(RecordPaymentInput input)
    {
        if (string.IsNullOrWhiteSpace(input.Reference) || input.Reference.Length > 100)
        {
            throw Invalid("A payment reference must have 1 to 100 characters");
        }

        if (input.AmountMinor <= 0)
        {
            throw Invalid($"A payment amount must be positive, got {input.AmountMinor}");
        }

        if (input.Currency is not { Length: 3 } || !input.Currency.All(char.IsAsciiLetterUpper))
        {
            throw Invalid($"A currency must be a three-letter ISO 4217 code, got '{input.Currency}'");
        }
    }

    // Invalid input stays invalid: fail at once rather than retry.
    private static ApplicationFailureException Invalid(string message) =>
        new(message, errorType: InvalidPayment, nonRetryable: true);
}
