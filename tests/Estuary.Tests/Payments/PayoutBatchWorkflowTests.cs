using Estuary.Tests.Infrastructure;
using Estuary.Worker.Payments.Data;
using Estuary.Worker.Payments.Workflows;
using Microsoft.EntityFrameworkCore;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;

namespace Estuary.Tests.Payments;

[Collection(UsesTemporal.Name)]
public sealed class PayoutBatchWorkflowTests(EndToEndFixture fixture)
{
    // Amounts the provider is told to fail on: always declined, unavailable once, unavailable more often than retried.
    private const long Declined = 707;
    private const long FlakyOnce = 4242;
    private const long NeverAvailable = 5151;

    [Fact]
    public async Task RunAsync_ThousandItemsWithInjectedFailures_PaysEveryOtherItemExactlyOnceAndContinuesAsNew()
    {
        await using var worker = await PaymentsWorker.StartAsync(fixture, GetType(),
            new Failure("Payout", AmountMinor: Declined, Permanent: true),
            new Failure("Payout", AmountMinor: FlakyOnce, TransientFailures: 1),
            new Failure("Payout", AmountMinor: NeverAvailable, TransientFailures: 100));
        var batchId = $"batch-{Guid.NewGuid():N}";
        var items = Enumerable.Range(0, 1000).Select(i => new PayoutItem($"item-{i}", $"practitioner-{i % 97}", Amount(i), "EUR")).ToList();
        var expectedFailed = items.Where(i => i.AmountMinor is Declined or NeverAvailable).Select(i => i.ItemId).ToHashSet();
        var expectedPaid = items.Where(i => !expectedFailed.Contains(i.ItemId)).ToList();

        var handle = await fixture.Client.StartWorkflowAsync(
            (PayoutBatchWorkflow wf) => wf.RunAsync(new PayoutBatchInput(batchId, items, MaxParallelism: 20, ItemsPerRun: 100)),
            new($"payout-{batchId}", worker.TaskQueue));
        var result = await handle.GetResultAsync();

        Assert.Equal((expectedPaid.Count, expectedFailed.Count, 10), (result.Paid, result.Failed, result.Runs));
        Assert.Equal(expectedPaid.Sum(i => i.AmountMinor), result.PaidAmountMinor);
        Assert.Equal(items.Select(i => i.ItemId), result.Outcomes.Select(o => o.ItemId));
        var failed = result.Outcomes.Where(o => o.Status == PayoutStatus.Failed).ToList();
        Assert.Equal(expectedFailed.Order(), failed.Select(o => o.ItemId).Order());
        Assert.All(failed, o => Assert.False(string.IsNullOrEmpty(o.Error)));
        await AssertPaidExactlyOnceAsync(worker, batchId, expectedPaid);
        var flakyAttempts = await worker.WithAsync<PaymentsDbContext, List<ProviderAttemptOutcome>>(db => db.ProviderAttempts
            .Where(a => a.IdempotencyKey == $"{batchId}/item-42").OrderBy(a => a.Id).Select(a => a.Outcome).ToListAsync());
        Assert.Equal([ProviderAttemptOutcome.TransientFailure, ProviderAttemptOutcome.Succeeded], flakyAttempts);
        var firstRun = fixture.Client.GetWorkflowHandle(handle.Id, runId: handle.ResultRunId);
        Assert.Equal(WorkflowExecutionStatus.ContinuedAsNew, (await firstRun.DescribeAsync()).Status);
        var firstRunEvents = await firstRun.FetchHistoryEventsAsync().ToListAsync();
        Assert.Equal(EventType.WorkflowExecutionContinuedAsNew, firstRunEvents[^1].EventType);
        Assert.True(firstRunEvents.Count < 1200, $"the first run's history has {firstRunEvents.Count} events");
    }

    [Fact]
    public async Task RunAsync_WorkerRestartedMidBatch_PaysEveryItemOnce()
    {
        var database = LocalPostgres.Pooled(await fixture.Postgres.DatabaseForAsync(GetType()));
        var taskQueue = $"payments-{Guid.NewGuid():N}";
        var batchId = $"batch-{Guid.NewGuid():N}";
        var items = Enumerable.Range(0, 300).Select(i => new PayoutItem($"item-{i}", $"practitioner-{i}", 1000 + i, "EUR")).ToList();
        var first = await WorkerProcess.StartAsync(new Worker.Payments.PaymentsDomain(), fixture.Address, database, taskQueue, PaymentsWorker.Settings());
        var handle = await fixture.Client.StartWorkflowAsync(
            (PayoutBatchWorkflow wf) => wf.RunAsync(new PayoutBatchInput(batchId, items, MaxParallelism: 10, ItemsPerRun: 100)),
            new($"payout-{batchId}", taskQueue));
        var paidBeforeRestart = await handle.WaitUntilAsync(() => CountPayoutsAsync(first, batchId), paid => paid >= 50, "50 payouts");

        await first.DisposeAsync();
        await using var second = await WorkerProcess.StartAsync(new Worker.Payments.PaymentsDomain(), fixture.Address, database, taskQueue, PaymentsWorker.Settings());
        var result = await handle.GetResultAsync();

        Assert.InRange(paidBeforeRestart, 50, items.Count - 1);
        Assert.Equal((items.Count, 0, 3), (result.Paid, result.Failed, result.Runs));
        await AssertPaidExactlyOnceAsync(second, batchId, items);
    }

    [Fact]
    public async Task Progress_QueriedWhileRunningAndAfterContinueAsNew_CountsTheItemsOfEveryRun()
    {
        await using var worker = await PaymentsWorker.StartAsync(fixture, GetType(), new Failure("Payout", AmountMinor: Declined, Permanent: true));
        var batchId = $"batch-{Guid.NewGuid():N}";
        var items = Enumerable.Range(0, 60).Select(i => new PayoutItem($"item-{i}", $"practitioner-{i}", i % 10 == 7 ? Declined : 1000 + i, "EUR")).ToList();
        var handle = await fixture.Client.StartWorkflowAsync(
            (PayoutBatchWorkflow wf) => wf.RunAsync(new PayoutBatchInput(batchId, items, MaxParallelism: 5, ItemsPerRun: 20)),
            new($"payout-{batchId}", worker.TaskQueue));
        var latest = fixture.Client.GetWorkflowHandle<PayoutBatchWorkflow>(handle.Id);

        var seen = new List<PayoutBatchProgress>();
        await latest.WaitUntilAsync(
            async () =>
            {
                seen.Add(await latest.QueryAsync(wf => wf.Progress));
                return seen[^1];
            },
            progress => progress.Done == items.Count,
            "every item done");

        var result = await handle.GetResultAsync();
        var firstRun = await fixture.Client.GetWorkflowHandle<PayoutBatchWorkflow>(handle.Id, runId: handle.ResultRunId).QueryAsync(wf => wf.Progress);
        var lastRun = await latest.QueryAsync(wf => wf.Progress);

        Assert.All(seen, p => Assert.Equal((batchId, items.Count), (p.BatchId, p.Total)));
        Assert.All(seen, p => Assert.InRange(p.Done, (p.Run - 1) * 20, p.Run * 20));
        Assert.All(seen, p => Assert.InRange(p.InFlight, 0, 5));
        Assert.Equal(seen.Select(p => (p.Run, p.Done)).Order(), seen.Select(p => (p.Run, p.Done)));
        Assert.Equal(new PayoutBatchProgress(batchId, 1, 60, 18, 2, 0), firstRun);
        Assert.Equal(new PayoutBatchProgress(batchId, 3, 60, result.Paid, result.Failed, 0), lastRun);
        Assert.Equal((54, 6), (result.Paid, result.Failed));
    }

    private static long Amount(int i) => (i % 100) switch
    {
        7 => Declined,
        42 => FlakyOnce,
        77 => NeverAvailable,
        _ => 1000 + (i % 5),
    };

    private static async Task AssertPaidExactlyOnceAsync(WorkerProcess worker, string batchId, IReadOnlyList<PayoutItem> expected)
    {
        var payouts = await worker.WithAsync<PaymentsDbContext, List<ProviderOperation>>(db => db.ProviderOperations.AsNoTracking()
            .Where(o => o.Kind == ProviderOperationKind.Payout && o.IdempotencyKey.StartsWith(batchId + "/")).ToListAsync());
        Assert.Equal(
            expected.Select(i => ($"{batchId}/{i.ItemId}", i.Payee, i.AmountMinor)).Order(),
            payouts.Select(o => (o.IdempotencyKey, o.Reference, o.AmountMinor)).Order());
    }

    private static Task<int> CountPayoutsAsync(WorkerProcess worker, string batchId) =>
        worker.WithAsync<PaymentsDbContext, int>(db => db.ProviderOperations.CountAsync(o => o.IdempotencyKey.StartsWith(batchId + "/")));
}
