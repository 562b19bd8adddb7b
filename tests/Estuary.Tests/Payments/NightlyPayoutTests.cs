using Estuary.Temporal.Hosting;
using Estuary.Tests.Infrastructure;
using Estuary.Worker.Payments;
using Estuary.Worker.Payments.Activities;
using Estuary.Worker.Payments.Data;
using Estuary.Worker.Payments.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Client.Schedules;

namespace Estuary.Tests.Payments;

/// <summary>The nightly payout schedule the Payments worker creates, run night after night on a time-skipping server.</summary>
[Collection(UsesPostgres.Name)]
public sealed class NightlyPayoutTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Schedule_ThreeNights_EachPaysThePaymentsRecordedSinceTheLastNightExactlyOnce()
    {
        await using var server = await TimeSkippingServer.StartAsync();
        var taskQueue = $"payments-nightly-{Guid.NewGuid():N}";
        var settings = PaymentsWorker.Settings();
        settings["Estuary:Worker:ReconcileSchedules"] = "true";
        await using var worker = await WorkerProcess.StartAsync(
            new PaymentsDomain(), server.Address, LocalPostgres.Pooled(await postgres.CreateDatabaseAsync("payments_nightly")), taskQueue, settings);
        try
        {
            await worker.Services.GetRequiredService<ScheduleReconciler>().Reconciled;
            var schedule = server.Client.GetScheduleHandle(PayoutBatchWorkflow.NightlyScheduleId);
            await schedule.UpdateAsync(input => new ScheduleUpdate(input.Description.Schedule with
            {
                State = input.Description.Schedule.State with { LimitedActions = true, RemainingActions = 3 },
            }));
            var now = await server.NowAsync();
            var first = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddHours(2);
            first = first > now ? first : first.AddDays(1);
            DateTimeOffset[] nights = [first, first.AddDays(1), first.AddDays(2)];
            var ada = await RecordAsync(worker, "dr-ada", 1000, nights[0].AddHours(-3));
            var bob = await RecordAsync(worker, "dr-bob", 2000, nights[0].AddHours(-1));
            await RecordAsync(worker, null, 9900, nights[0].AddHours(-2));
            var atMidnight = await RecordAsync(worker, "dr-ada", 1500, nights[0]);
            var secondDay = await RecordAsync(worker, "dr-bob", 3000, nights[0].AddHours(1));
            var thirdDay = await RecordAsync(worker, "dr-cy", 4000, nights[1].AddSeconds(1));
            var fourthDay = await RecordAsync(worker, "dr-ada", 5000, nights[2].AddHours(1));

            var description = await server.SkippingTimeAsync(() => Eventually.PollAsync(
                () => schedule.DescribeAsync(), d => d.Info.NumActions == 3 && d.Info.RunningActions.Count == 0, "three nights of payouts"));

            Assert.Equal((Temporalio.Api.Enums.V1.ScheduleOverlapPolicy.Skip, TimeSpan.FromDays(1)), (description.Schedule.Policy.Overlap, description.Schedule.Policy.CatchupWindow));
            Assert.Equal(taskQueue, ((ScheduleActionStartWorkflow)description.Schedule.Action).Options.TaskQueue);
            var runs = description.Info.RecentActions.OrderBy(a => a.ScheduledAt).ToList();
            Assert.Equal(nights, runs.Select(r => new DateTimeOffset(r.ScheduledAt, TimeSpan.Zero)));
            var results = new List<PayoutBatchResult>();
            foreach (var run in runs)
            {
                var started = (ScheduleActionExecutionStartWorkflow)run.Action;
                results.Add(await (server.Client.GetWorkflowHandle(started.WorkflowId, started.FirstExecutionRunId) with { ResultRunId = started.FirstExecutionRunId })
                    .GetResultAsync<PayoutBatchResult>());
            }

            Assert.Equal(
                [new RecordedPaymentsWindow(null, nights[0]), new RecordedPaymentsWindow(nights[0], nights[1]), new RecordedPaymentsWindow(nights[1], nights[2])],
                results.Select(r => r.Recorded));
            Assert.Equal(
                [[ada, bob, atMidnight], [secondDay], [thirdDay]],
                results.Select(r => r.Outcomes.Select(o => o.ItemId).ToList()));
            Assert.All(results, r => Assert.Equal((PayoutBatchWorkflow.NightlyBatchId, 0), (r.BatchId, r.Failed)));
            Assert.Equal([4500, 3000, 4000], results.Select(r => r.PaidAmountMinor));

            // Each payment paid once, by one call: no night asked for another night's payouts again.
            var paid = await worker.WithAsync<PaymentsDbContext, List<(string Key, string Payee, long Amount)>>(async db =>
                (await db.ProviderOperations.AsNoTracking().Where(o => o.Kind == ProviderOperationKind.Payout).ToListAsync())
                    .Select(o => (o.IdempotencyKey, o.Reference, o.AmountMinor)).ToList());
            Assert.Equal(
                new[] { (ada, "dr-ada", 1000L), (bob, "dr-bob", 2000L), (atMidnight, "dr-ada", 1500L), (secondDay, "dr-bob", 3000L), (thirdDay, "dr-cy", 4000L) }
                    .Select(p => ($"{PayoutBatchWorkflow.NightlyBatchId}/{p.Item1}", p.Item2, p.Item3)).Order(),
                paid.Order());
            var calls = await worker.WithAsync<PaymentsDbContext, List<ProviderAttemptOutcome>>(db =>
                db.ProviderAttempts.Where(a => a.Kind == ProviderOperationKind.Payout).Select(a => a.Outcome).ToListAsync());
            Assert.Equal(Enumerable.Repeat(ProviderAttemptOutcome.Succeeded, 5), calls);
            Assert.DoesNotContain(paid, p => p.Key.EndsWith($"/{fourthDay}", StringComparison.Ordinal));
        }
        finally
        {
            await server.TerminateOpenRunsAsync(taskQueue);
        }
    }

    // Records a payment as record_payment does, at a chosen time; returns the item id it is paid out under.
    private static async Task<string> RecordAsync(WorkerProcess worker, string? payee, long amountMinor, DateTimeOffset recordedAt) =>
        await worker.WithAsync<PaymentsDbContext, string>(async db =>
        {
            var payment = new Payment
            {
                Reference = $"nightly-{Guid.NewGuid():N}",
                AmountMinor = amountMinor,
                Currency = "EUR",
                Payee = payee,
                RecordedAt = recordedAt,
            };
            db.Payments.Add(payment);
            await db.SaveChangesAsync();
            return PaymentActivities.PayoutItemId(payment.Id);
        });
}
