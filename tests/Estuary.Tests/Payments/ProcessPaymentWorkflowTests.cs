using Estuary.Tests.Infrastructure;
using Estuary.Worker.Payments;
using Estuary.Worker.Payments.Activities;
using Estuary.Worker.Payments.Data;
using Estuary.Worker.Payments.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Estuary.Tests.Payments;

[Collection(UsesTemporal.Name)]
public sealed class ProcessPaymentWorkflowTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task RunAsync_CaptureUnavailableTwice_RetriesAndCapturesOnce()
    {
        var reference = $"flaky-{Guid.NewGuid():N}";
        await using var worker = await PaymentsWorker.StartAsync(fixture, GetType(),
            new Failure("Capture", reference, TransientFailures: 2));
        var id = $"pay-{Guid.NewGuid():N}";

        var outcome = await fixture.Client.ExecuteWorkflowAsync(
            (ProcessPaymentWorkflow wf) => wf.RunAsync(new ProcessPaymentInput(reference, 4250, "EUR")), new(id, worker.TaskQueue));

        Assert.Equal(PaymentStatus.Captured, outcome.Status);
        var attempts = await AttemptsAsync(worker, $"{id}/capture");
        Assert.Equal([ProviderAttemptOutcome.TransientFailure, ProviderAttemptOutcome.TransientFailure, ProviderAttemptOutcome.Succeeded], attempts);
        var operations = await OperationsAsync(worker, reference);
        Assert.Equal(
            [(outcome.AuthorizationId!.Value, ProviderOperationKind.Authorize, 4250L), (outcome.CaptureId!.Value, ProviderOperationKind.Capture, 4250L)],
            operations.Select(o => (o.Id, o.Kind, o.AmountMinor)));
    }

    [Fact]
    public async Task RunAsync_CaptureDeclined_VoidsAuthorizationAndReportsCaptureDeclined()
    {
        var reference = $"declined-{Guid.NewGuid():N}";
        await using var worker = await PaymentsWorker.StartAsync(fixture, GetType(),
            new Failure("Capture", reference, Permanent: true));
        var id = $"pay-{Guid.NewGuid():N}";

        var outcome = await fixture.Client.ExecuteWorkflowAsync(
            (ProcessPaymentWorkflow wf) => wf.RunAsync(new ProcessPaymentInput(reference, 9900, "EUR")), new(id, worker.TaskQueue));

        Assert.Equal((PaymentStatus.CaptureDeclined, null), (outcome.Status, outcome.CaptureId));
        Assert.Contains("declined", outcome.DeclineReason, StringComparison.Ordinal);
        Assert.Equal([ProviderAttemptOutcome.Declined], await AttemptsAsync(worker, $"{id}/capture"));
        var operations = await OperationsAsync(worker, reference);
        Assert.Equal(
            [(outcome.AuthorizationId!.Value, ProviderOperationKind.Authorize, (long?)null), (outcome.VoidId!.Value, ProviderOperationKind.Void, outcome.AuthorizationId)],
            operations.Select(o => (o.Id, o.Kind, o.RelatedOperationId)));
    }

    [Fact]
    public async Task RunAsync_AuthorizationDeclined_ReportsDeclinedAndTakesNothing()
    {
        var reference = $"card-{Guid.NewGuid():N}";
        await using var worker = await PaymentsWorker.StartAsync(fixture, GetType(),
            new Failure("Authorize", AmountMinor: 666, Permanent: true));

        var outcome = await fixture.Client.ExecuteWorkflowAsync(
            (ProcessPaymentWorkflow wf) => wf.RunAsync(new ProcessPaymentInput(reference, 666, "EUR")), new($"pay-{Guid.NewGuid():N}", worker.TaskQueue));

        Assert.Equal((PaymentStatus.AuthorizationDeclined, null, null), (outcome.Status, outcome.AuthorizationId, outcome.CaptureId));
        Assert.Empty(await OperationsAsync(worker, reference));
    }

    [Fact]
    public async Task RefundRunAsync_SameWorkflowIdRunTwiceThenTooMuch_RefundsOnceThenFailsDeclined()
    {
        var reference = $"refund-{Guid.NewGuid():N}";
        await using var worker = await PaymentsWorker.StartAsync(fixture, GetType());
        var payment = await fixture.Client.ExecuteWorkflowAsync(
            (ProcessPaymentWorkflow wf) => wf.RunAsync(new ProcessPaymentInput(reference, 4250, "EUR")), new($"pay-{Guid.NewGuid():N}", worker.TaskQueue));
        var refundId = $"refund-{Guid.NewGuid():N}";
        var refund = new RefundPaymentInput(payment.CaptureId!.Value, 1000);

        var first = await fixture.Client.ExecuteWorkflowAsync((RefundPaymentWorkflow wf) => wf.RunAsync(refund), new(refundId, worker.TaskQueue));
        var again = await fixture.Client.ExecuteWorkflowAsync((RefundPaymentWorkflow wf) => wf.RunAsync(refund), new(refundId, worker.TaskQueue));
        var failure = await Assert.ThrowsAsync<WorkflowFailedException>(() => fixture.Client.ExecuteWorkflowAsync(
            (RefundPaymentWorkflow wf) => wf.RunAsync(new RefundPaymentInput(payment.CaptureId!.Value, 3251)), new($"refund-{Guid.NewGuid():N}", worker.TaskQueue)));

        Assert.Equal(first, again);
        Assert.Equal((reference, 1000L, "EUR"), (first.Reference, first.AmountMinor, first.Currency));
        var declined = Assert.IsType<ApplicationFailureException>(Assert.IsType<ActivityFailureException>(failure.InnerException).InnerException);
        Assert.Equal(ProviderActivities.PaymentDeclined, declined.ErrorType);
        var refunds = (await OperationsAsync(worker, reference)).Where(o => o.Kind == ProviderOperationKind.Refund);
        Assert.Equal([(first.RefundId, 1000L, payment.CaptureId)], refunds.Select(o => (o.Id, o.AmountMinor, o.RelatedOperationId)));
    }

    [Fact]
    public async Task StartAsync_FailureRuleBothPermanentAndTransient_FailsNamingTheKey()
    {
        using var host = WorkerHost.Build(
            fixture.Address,
            new Dictionary<string, string?>(PaymentsWorker.Settings(new Failure(TransientFailures: 2, Permanent: true)))
            {
                ["ConnectionStrings:payments-db"] = await fixture.Postgres.DatabaseForAsync(GetType()),
            },
            configure: null,
            new PaymentsDomain());

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("'Estuary:Domains:payments:Provider:Failures:0'", failure.Message, StringComparison.Ordinal);
    }

    private static Task<List<ProviderAttemptOutcome>> AttemptsAsync(WorkerProcess worker, string idempotencyKey) =>
        worker.WithAsync<PaymentsDbContext, List<ProviderAttemptOutcome>>(db =>
            db.ProviderAttempts.Where(a => a.IdempotencyKey == idempotencyKey).OrderBy(a => a.Id).Select(a => a.Outcome).ToListAsync());

    private static Task<List<ProviderOperation>> OperationsAsync(WorkerProcess worker, string reference) =>
        worker.WithAsync<PaymentsDbContext, List<ProviderOperation>>(db =>
            db.ProviderOperations.AsNoTracking().Where(o => o.Reference == reference).OrderBy(o => o.Id).ToListAsync());
}
