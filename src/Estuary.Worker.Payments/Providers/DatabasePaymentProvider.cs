using Estuary.Worker.Payments.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Estuary.Worker.Payments.Providers;

/// <summary>
/// The built-in payment provider: keeps its ledger in the payments database (<see cref="ProviderOperation"/>, one row
/// per idempotency key, enforced by a unique index; <see cref="ProviderAttempt"/>, one row per call) and fails the way
/// <see cref="PaymentProviderOptions.Failures"/> says. Each call commits on its own, as an external provider would:
/// it is not part of the calling activity's transaction, so failed calls stay recorded.
/// </summary>
/// <param name="db">The payments database.</param>
/// <param name="options">The failure rules.</param>
/// <param name="time">The clock.</param>
public sealed class DatabasePaymentProvider(PaymentsDbContext db, IOptionsMonitor<PaymentProviderOptions> options, TimeProvider time) : IPaymentProvider
{
    /// <inheritdoc />
    public Task<ProviderReceipt> AuthorizeAsync(string idempotencyKey, string reference, long amountMinor, string currency, CancellationToken cancellationToken) =>
        ExecuteAsync(new Request(idempotencyKey, ProviderOperationKind.Authorize, reference, amountMinor, currency, null), cancellationToken);

    /// <inheritdoc />
    public async Task<ProviderReceipt> CaptureAsync(string idempotencyKey, long authorizationId, CancellationToken cancellationToken)
    {
        var authorization = await FindAsync(authorizationId, ProviderOperationKind.Authorize, cancellationToken);
        return await ExecuteAsync(
            new Request(idempotencyKey, ProviderOperationKind.Capture, authorization.Reference, authorization.AmountMinor, authorization.Currency, authorizationId),
            cancellationToken,
            async ct => await SettledAsync(authorizationId, ct) is { } settled ? $"Authorization {authorizationId} is already settled by {settled}" : null);
    }

    /// <inheritdoc />
    public async Task<ProviderReceipt> VoidAsync(string idempotencyKey, long authorizationId, CancellationToken cancellationToken)
    {
        var authorization = await FindAsync(authorizationId, ProviderOperationKind.Authorize, cancellationToken);
        return await ExecuteAsync(
            new Request(idempotencyKey, ProviderOperationKind.Void, authorization.Reference, authorization.AmountMinor, authorization.Currency, authorizationId),
            cancellationToken,
            async ct => await SettledAsync(authorizationId, ct) is { } settled ? $"Authorization {authorizationId} is already settled by {settled}" : null);
    }

    /// <inheritdoc />
    public async Task<ProviderReceipt> RefundAsync(string idempotencyKey, long captureId, long amountMinor, CancellationToken cancellationToken)
    {
        var capture = await FindAsync(captureId, ProviderOperationKind.Capture, cancellationToken);
        return await ExecuteAsync(
            new Request(idempotencyKey, ProviderOperationKind.Refund, capture.Reference, amountMinor, capture.Currency, captureId),
            cancellationToken,
            async ct =>
            {
                var refunded = await db.ProviderOperations
                    .Where(o => o.RelatedOperationId == captureId && o.Kind == ProviderOperationKind.Refund)
                    .SumAsync(o => o.AmountMinor, ct);
                return refunded + amountMinor > capture.AmountMinor
                    ? $"Refund of {amountMinor} exceeds what capture {captureId} has left ({capture.AmountMinor - refunded})"
                    : null;
            });
    }

    /// <inheritdoc />
    public Task<ProviderReceipt> PayoutAsync(string idempotencyKey, string payee, long amountMinor, string currency, CancellationToken cancellationToken) =>
        ExecuteAsync(new Request(idempotencyKey, ProviderOperationKind.Payout, payee, amountMinor, currency, null), cancellationToken);

    private async Task<ProviderReceipt> ExecuteAsync(Request request, CancellationToken cancellationToken, Func<CancellationToken, Task<string?>>? check = null)
    {
        Validate(request);
        if (await ReplayAsync(request, cancellationToken) is { } replayed)
        {
            return replayed;
        }

        var rule = options.CurrentValue.Failures.FirstOrDefault(r => r.Matches(request.Kind, request.Reference, request.AmountMinor));
        if (rule is { Permanent: true })
        {
            throw await FailAsync(request, ProviderAttemptOutcome.Declined, $"{request.Kind} of {request.AmountMinor} {request.Currency} for '{request.Reference}' declined", cancellationToken);
        }

        if (rule is { TransientFailures: > 0 })
        {
            var failures = await db.ProviderAttempts.CountAsync(
                a => a.IdempotencyKey == request.IdempotencyKey && a.Outcome == ProviderAttemptOutcome.TransientFailure, cancellationToken);
            if (failures < rule.TransientFailures)
            {
                throw await FailAsync(request, ProviderAttemptOutcome.TransientFailure, $"Payment provider unavailable (failure {failures + 1} of {rule.TransientFailures})", cancellationToken);
            }
        }

        if (check is not null && await check(cancellationToken) is { } refusal)
        {
            throw await FailAsync(request, ProviderAttemptOutcome.Declined, refusal, cancellationToken);
        }

        var now = time.GetUtcNow();
        var operation = new ProviderOperation
        {
            IdempotencyKey = request.IdempotencyKey,
            Kind = request.Kind,
            Reference = request.Reference,
            AmountMinor = request.AmountMinor,
            Currency = request.Currency,
            RelatedOperationId = request.RelatedOperationId,
            CreatedAt = now,
        };
        db.ProviderOperations.Add(operation);
        db.ProviderAttempts.Add(Attempt(request, ProviderAttemptOutcome.Succeeded, null));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // A concurrent call with the same key won the race: it did the operation, this call reports it.
            db.ChangeTracker.Clear();
            return await ReplayAsync(request, cancellationToken) ?? throw new InvalidOperationException($"Idempotency key '{request.IdempotencyKey}' conflicted but no operation holds it", e);
        }

        return Receipt(operation);
    }

    private async Task<ProviderReceipt?> ReplayAsync(Request request, CancellationToken cancellationToken)
    {
        var existing = await db.ProviderOperations.AsNoTracking().SingleOrDefaultAsync(o => o.IdempotencyKey == request.IdempotencyKey, cancellationToken);
        if (existing is null)
        {
            return null;
        }

        if (existing.Kind != request.Kind || existing.AmountMinor != request.AmountMinor || existing.Reference != request.Reference
            || existing.Currency != request.Currency || existing.RelatedOperationId != request.RelatedOperationId)
        {
            throw await FailAsync(request, ProviderAttemptOutcome.Declined, $"Idempotency key '{request.IdempotencyKey}' was used for a different request (operation {existing.Id})", cancellationToken);
        }

        db.ProviderAttempts.Add(Attempt(request, ProviderAttemptOutcome.Replayed, null));
        await db.SaveChangesAsync(cancellationToken);
        return Receipt(existing);
    }

    private async Task<ProviderOperation> FindAsync(long id, ProviderOperationKind kind, CancellationToken cancellationToken) =>
        await db.ProviderOperations.AsNoTracking().SingleOrDefaultAsync(o => o.Id == id && o.Kind == kind, cancellationToken)
        ?? throw new PaymentProviderException($"No {kind} operation {id}", isTransient: false);

    private async Task<string?> SettledAsync(long authorizationId, CancellationToken cancellationToken) =>
        await db.ProviderOperations
            .Where(o => o.RelatedOperationId == authorizationId && (o.Kind == ProviderOperationKind.Capture || o.Kind == ProviderOperationKind.Void))
            .Select(o => $"{o.Kind} {o.Id}")
            .FirstOrDefaultAsync(cancellationToken);

    private async Task<PaymentProviderException> FailAsync(Request request, ProviderAttemptOutcome outcome, string error, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        db.ProviderAttempts.Add(Attempt(request, outcome, error));
        await db.SaveChangesAsync(cancellationToken);
        return new PaymentProviderException(error, isTransient: outcome == ProviderAttemptOutcome.TransientFailure);
    }

    private ProviderAttempt Attempt(Request request, ProviderAttemptOutcome outcome, string? error) => new()
    {
        IdempotencyKey = request.IdempotencyKey,
        Kind = request.Kind,
        Outcome = outcome,
        Error = error,
        At = time.GetUtcNow(),
    };

    private static ProviderReceipt Receipt(ProviderOperation o) => new(o.Id, o.Kind, o.Reference, o.AmountMinor, o.Currency, o.CreatedAt);

    private static void Validate(Request request)
    {
        string? error = request switch
        {
            { IdempotencyKey: null or "" } or { IdempotencyKey.Length: > 200 } => "An idempotency key must have 1 to 200 characters",
            { Reference: null or "" } or { Reference.Length: > 200 } => "A reference must have 1 to 200 characters",
            { AmountMinor: <= 0 } => $"An amount must be positive, got {request.AmountMinor}",
            _ when request.Currency is not { Length: 3 } || !request.Currency.All(char.IsAsciiLetterUpper) =>
                $"A currency must be a three-letter ISO 4217 code, got '{request.Currency}'",
            _ => null,
        };
        if (error is not null)
        {
            throw new PaymentProviderException(error, isTransient: false);
        }
    }

    private sealed record Request(string IdempotencyKey, ProviderOperationKind Kind, string Reference, long AmountMinor, string Currency, long? RelatedOperationId);
}
