using Estuary.Tests.Infrastructure;
using Estuary.Worker.Payments;
using Estuary.Worker.Payments.Activities;
using Estuary.Worker.Payments.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Exceptions;

namespace Estuary.Tests.Temporal;

[Collection(UsesPostgres.Name)]
public sealed class PaymentActivitiesTests(PostgresFixture postgres) : IAsyncLifetime
{
    private DomainHarness _harness = null!;

    public async ValueTask InitializeAsync() =>
        _harness = await DomainHarness.CreateAsync(new PaymentsDomain(), await postgres.DatabaseForAsync(GetType()));

    public async ValueTask DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task RecordPayment_RetryAfterCommittedAttempt_RecordsOnePaymentAndReturnsTheSameResult()
    {
        var input = new RecordPaymentInput("INV-1", 12_50, "EUR");

        var first = await _harness.RunActivityAsync<PaymentRecorded>(_harness.Info("record_payment", "wf-pay"), input);
        var second = await _harness.RunActivityAsync<PaymentRecorded>(_harness.Info("record_payment", "wf-pay", attempt: 2), input);

        Assert.Equal(first, second);
        await using var scope = _harness.Services.CreateAsyncScope();
        var payments = await ((PaymentsDbContext)_harness.DbContext(scope)).Payments.Where(p => p.Reference == "INV-1").ToListAsync();
        var payment = Assert.Single(payments);
        Assert.Equal((first.PaymentId, "INV-1", 1250L, "EUR"), (payment.Id, payment.Reference, payment.AmountMinor, payment.Currency));
    }

    [Fact]
    public async Task RecordPayment_ReferenceAlreadyRecordedByAnotherWorkflow_FailsWithoutRetry()
    {
        var input = new RecordPaymentInput("INV-2", 100, "USD");
        await _harness.RunActivityAsync<PaymentRecorded>(_harness.Info("record_payment", "wf-a"), input);

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(
            () => _harness.RunActivityAsync<PaymentRecorded>(_harness.Info("record_payment", "wf-b"), input));

        Assert.True(failure.NonRetryable);
        Assert.Equal(PaymentActivities.InvalidPayment, failure.ErrorType);
    }

    [Fact]
    public async Task RecordPayment_NegativeAmount_FailsWithoutRetryAndRecordsNothing()
    {
        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(
            () => _harness.RunActivityAsync<PaymentRecorded>(_harness.Info("record_payment", "wf-neg"), new RecordPaymentInput("INV-3", -1, "EUR")));

        Assert.True(failure.NonRetryable);
        await using var scope = _harness.Services.CreateAsyncScope();
        Assert.Empty(await _harness.DbContext(scope).ActivityResults.Where(r => r.WorkflowId == "wf-neg").ToListAsync());
        Assert.Empty(await ((PaymentsDbContext)_harness.DbContext(scope)).Payments.Where(p => p.Reference == "INV-3").ToListAsync());
    }
}
