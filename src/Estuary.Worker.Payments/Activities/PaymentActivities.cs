using Estuary.Temporal.Activities;
using Estuary.Worker.Payments.Data;
using Estuary.Worker.Payments.Workflows;
using Microsoft.EntityFrameworkCore;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace Estuary.Worker.Payments.Activities;

/// <summary>A payment to record.</summary>
/// <param name="Reference">The payer's reference, unique across payments.</param>
/// <param name="AmountMinor">The amount in the currency's minor unit (cents); positive.</param>
/// <param name="Currency">The ISO 4217 currency code, e.g. <c>EUR</c>.</param>
/// <param name="Payee">Who the payment is for (a practitioner's reference), when it is to be paid on: the nightly payout
/// batch pays it out to them; <c>null</c> when it is not.</param>
public sealed record RecordPaymentInput(string Reference, long AmountMinor, string Currency, string? Payee = null);

/// <summary>Which recorded payments to pay out: those recorded after <paramref name="After"/>, up to and including
/// <paramref name="Until"/>, that name a payee.</summary>
/// <param name="After">The previous batch's <paramref name="Until"/>; <c>null</c> for every payment recorded so far.</param>
/// <param name="Until">The end of the window.</param>
public sealed record RecordedPaymentsInput(DateTimeOffset? After, DateTimeOffset Until);

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
            Payee = input.Payee,
            RecordedAt = time.GetUtcNow(),
        };
        db.Payments.Add(payment);
        await db.SaveChangesAsync(cancellationToken);
        return new PaymentRecorded(payment.Id, payment.Reference, payment.Status, payment.RecordedAt);
    }

    /// <summary>
    /// Lists the payouts owed for the payments recorded in a window: one per payment that names a payee, item id
    /// <c>payment-{id}</c>, in the order they were recorded. Reads only.
    /// </summary>
    /// <param name="input">The window.</param>
    /// <returns>The payouts to make.</returns>
    [Activity("list_recorded_payouts")]
    public async Task<IReadOnlyList<PayoutItem>> ListRecordedPayoutsAsync(RecordedPaymentsInput input)
    {
        var cancellationToken = ActivityExecutionContext.Current.CancellationToken;
        var recorded = db.Payments.AsNoTracking().Where(p => p.Payee != null && p.RecordedAt <= input.Until);
        if (input.After is { } after)
        {
            recorded = recorded.Where(p => p.RecordedAt > after);
        }

        var payments = await recorded.OrderBy(p => p.RecordedAt).ThenBy(p => p.Id)
            .Select(p => new { p.Id, p.Payee, p.AmountMinor, p.Currency })
            .ToListAsync(cancellationToken);
        return payments.Select(p => new PayoutItem(PayoutItemId(p.Id), p.Payee!, p.AmountMinor, p.Currency)).ToList();
    }

    /// <summary>The item id a recorded payment is paid out under.</summary>
    /// <param name="paymentId">The payment.</param>
    /// <returns>The item id.</returns>
    public static string PayoutItemId(int paymentId) => $"payment-{paymentId.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

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

        if (input.Payee is { } payee && (string.IsNullOrWhiteSpace(payee) || payee.Length > 100))
        {
            throw Invalid("A payee must have 1 to 100 characters");
        }
    }

    // Invalid input stays invalid: fail at once rather than retry.
    private static ApplicationFailureException Invalid(string message) =>
        new(message, errorType: InvalidPayment, nonRetryable: true);
}
