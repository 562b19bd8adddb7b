using Estuary.Temporal.Domains;
using Estuary.Temporal.Hosting;
using Estuary.Temporal.Schedules;
using Estuary.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Temporalio.Client;
using Temporalio.Client.Schedules;
using Temporalio.Exceptions;

namespace Estuary.Tests.Schedules;

/// <summary>Schedules declared by a domain's workflow, kept in Temporal by the domain's worker when it starts.</summary>
public sealed class ScheduleReconcilerTests
{
    private static IHost Worker(string address, string taskQueue, RecordingLoggerProvider logs) =>
        WorkerHost.Build(
            address,
            new Dictionary<string, string?> { ["Estuary:Worker:TaskQueue"] = taskQueue },
            builder => builder.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Information),
            new NightlyDomain());

    private static List<string> Changes(RecordingLoggerProvider logs) =>
        logs.Entries.Where(e => e.Category == typeof(ScheduleReconciler).FullName).Select(e => e.Message).ToList();

    private static async Task StartAndReconcileAsync(IHost host)
    {
        await host.StartAsync();
        await host.Services.GetRequiredService<ScheduleReconciler>().Reconciled;
    }

    private static Schedule Yearly(string taskQueue) =>
        new(ScheduleActionStartWorkflow.Create((NightlyPayoutWorkflow wf) => wf.RunAsync("USD"), new("by-hand", taskQueue)),
            new ScheduleSpec { CronExpressions = ["0 0 1 1 *"] });

    private static ScheduleOptions OwnedBy(string domain) =>
        new() { Memo = new Dictionary<string, object> { [ScheduleReconciler.DomainMemo] = domain } };

    [Fact]
    public void Discover_WorkflowDeclaresASchedule_FindsItWithItsWorkflowArgumentsAndPolicy()
    {
        var schedule = Assert.Single(DomainCatalog.Discover(new NightlyDomain()).Schedules);

        Assert.Equal((NightlyPayoutWorkflow.ScheduleId, nameof(NightlyPayoutWorkflow), "EUR"), (schedule.Id, schedule.Workflow, (string?)schedule.Args.Single()));
        Assert.Equal(Temporalio.Api.Enums.V1.ScheduleOverlapPolicy.Skip, schedule.Policy.Overlap);
    }

    [Fact]
    public void Catalog_TwoDomainsDeclareTheSameSchedule_ThrowsNamingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => new DomainCatalog([new NightlyDomain(), new SecondNightlyDomain()]));

        Assert.StartsWith($"Schedule '{NightlyPayoutWorkflow.ScheduleId}' is declared more than once (domains nightly, nightly-copy).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_NightlyScheduleDeclared_CreatesItAndItRunsNightsHandingOnTheLastResult()
    {
        await using var server = await TimeSkippingServer.StartAsync();
        var taskQueue = $"nightly-{Guid.NewGuid():N}";
        var logs = new RecordingLoggerProvider();
        using var host = Worker(server.Address, taskQueue, logs);
        await StartAndReconcileAsync(host);
        try
        {
            var handle = server.Client.GetScheduleHandle(NightlyPayoutWorkflow.ScheduleId);
            await server.SkippingTimeAsync(() => Eventually.PollAsync(() => handle.DescribeAsync(), d => d.Info.NumActions >= 3, "three nights of payouts"));

            // While time skips, the schedule takes night after night as fast as the worker runs them (it is never seen
            // between nights for long), so its last three are read once time is locked again and the nights stop.
            var description = await handle.DescribeAsync();

            var nights = description.Info.RecentActions.OrderBy(a => a.ScheduledAt).TakeLast(3).ToList();
            Assert.All(nights, night => Assert.Equal(TimeSpan.FromHours(2), night.ScheduledAt.TimeOfDay));
            Assert.Equal([TimeSpan.FromDays(1), TimeSpan.FromDays(1)], nights.Skip(1).Select((night, i) => night.ScheduledAt - nights[i].ScheduledAt));
            var results = new List<NightlyPayoutResult>();
            foreach (var night in nights)
            {
                var started = (ScheduleActionExecutionStartWorkflow)night.Action;
                results.Add(await (server.Client.GetWorkflowHandle(started.WorkflowId, started.FirstExecutionRunId) with { ResultRunId = started.FirstExecutionRunId })
                    .GetResultAsync<NightlyPayoutResult>());
            }

            Assert.Equal([results[0].Night + 1, results[0].Night + 2], results.Skip(1).Select(r => r.Night));
            Assert.All(results, r => Assert.Equal("EUR", r.Currency));
            Assert.Equal("pays the day's payouts", description.Schedule.State.Note);
            Assert.Equal(taskQueue, ((ScheduleActionStartWorkflow)description.Schedule.Action).Options.TaskQueue);
            Assert.Equal([$"Created schedule {NightlyPayoutWorkflow.ScheduleId} of domain nightly: NightlyPayoutWorkflow 1 calendar(s)"], Changes(logs));
        }
        finally
        {
            await host.StopAsync();
            await server.TerminateOpenRunsAsync(taskQueue);
        }
    }

    [Fact]
    public async Task StartAsync_SchedulesDifferFromTheDeclarations_UpdatesAndDeletesOnlyTheDomainsOwnAndKeepsThePause()
    {
        await using var server = await TimeSkippingServer.StartAsync();
        var client = server.Client;
        var taskQueue = $"nightly-{Guid.NewGuid():N}";
        var outdated = await client.CreateScheduleAsync(NightlyPayoutWorkflow.ScheduleId,
            Yearly(taskQueue) with { State = new ScheduleState { Paused = true, Note = "held by operations" } }, OwnedBy("nightly"));
        await client.CreateScheduleAsync("nightly-retired", Yearly(taskQueue), OwnedBy("nightly"));
        await client.CreateScheduleAsync("hand-made", Yearly(taskQueue));
        await client.CreateScheduleAsync("bookings-reminders", Yearly(taskQueue), OwnedBy("bookings"));
        var logs = new RecordingLoggerProvider();

        using (var host = Worker(server.Address, taskQueue, logs))
        {
            await StartAndReconcileAsync(host);
            await host.StopAsync();
        }

        var updated = await outdated.DescribeAsync();
        Assert.Equal([new ScheduleRange(2)], updated.Schedule.Spec.Calendars.Single().Hour);
        Assert.Equal("EUR", await ((ScheduleActionStartWorkflow)updated.Schedule.Action).Args.Cast<Temporalio.Converters.IEncodedRawValue>().Single().ToValueAsync<string>());
        Assert.Equal((true, "held by operations"), (updated.Schedule.State.Paused, updated.Schedule.State.Note));
        var retired = await Assert.ThrowsAsync<RpcException>(() => client.GetScheduleHandle("nightly-retired").DescribeAsync());
        Assert.Equal(RpcException.StatusCode.NotFound, retired.Code);
        await client.GetScheduleHandle("hand-made").DescribeAsync();
        await client.GetScheduleHandle("bookings-reminders").DescribeAsync();
        Assert.Equal(
            [
                $"Updated schedule {NightlyPayoutWorkflow.ScheduleId} of domain nightly to its declaration: NightlyPayoutWorkflow 1 calendar(s)",
                "Deleted schedule nightly-retired of domain nightly: no workflow declares it any more",
            ],
            Changes(logs));

        // Started again with the same declaration, the worker finds nothing to change.
        var again = new RecordingLoggerProvider();
        using (var host = Worker(server.Address, taskQueue, again))
        {
            await StartAndReconcileAsync(host);
            await host.StopAsync();
        }

        Assert.Empty(Changes(again));
    }

    private sealed class SecondNightlyDomain : EstuaryDomain
    {
        public override string Name => "nightly-copy";

        public override string Description => "Declares the nightly schedule a second time";

        public override IEnumerable<Type> Types => [typeof(NightlyPayoutWorkflow)];
    }
}
