using System.Text.RegularExpressions;
using Estuary.DevServer.Tests.Workflows;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Client.Schedules;
using Temporalio.Common;
using Temporalio.Converters;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>
/// Schedules through the SDK's public API, on the shared server (or a real Temporal through
/// <c>ESTUARY_TEMPORAL_ADDRESS</c>, whose schedule lists and descriptions are eventually consistent: the tests wait for
/// what they read). Nothing here waits for a scheduled time to come: actions are triggered or backfilled; the clock's
/// part is in <see cref="ScheduleTimeSkippingTests"/>. Every test deletes its schedules.
/// </summary>
[Collection(ServerGroup.Name)]
public sealed class ScheduleTests(ServerFixture fixture)
{
    private static readonly SearchAttributeKey<string> Team = SearchAttributeKey.CreateKeyword("EstuaryScheduleTeam");
    private static readonly SearchAttributeKey<string> ScheduledById = SearchAttributeKey.CreateKeyword("TemporalScheduledById");
    private static readonly SearchAttributeKey<DateTimeOffset> ScheduledStartTime = SearchAttributeKey.CreateDateTimeOffset("TemporalScheduledStartTime");

    private TemporalClient Client => fixture.Client;

    private static Schedule CounterSchedule(string workflowId, string taskQueue, ScheduleSpec spec, bool paused = true) =>
        new(ScheduleActionStartWorkflow.Create((ScheduledCounterWorkflow wf) => wf.RunAsync(Array.Empty<int>()), new(workflowId, taskQueue)), spec)
        {
            State = new ScheduleState { Paused = paused, Note = paused ? "created paused" : null },
        };

    private static ScheduleSpec Yearly => new() { CronExpressions = ["0 0 1 1 *"] };

    private TemporalWorker Worker(string taskQueue) => new(Client, new TemporalWorkerOptions(taskQueue)
        .AddWorkflow<ScheduledCounterWorkflow>()
        .AddWorkflow<ScheduledUntilSignalledWorkflow>());

    private static Task<ScheduleDescription> WaitForActionsAsync(ScheduleHandle handle, int count) =>
        Eventually.PollAsync(() => handle.DescribeAsync(), d => d.Info.RecentActions.Count >= count, $"{count} actions of schedule {handle.Id}");

    private async Task<List<ScheduleListDescription>> ListAsync(string query)
    {
        var listed = new List<ScheduleListDescription>();
        await foreach (var schedule in Client.ListSchedulesAsync(new ScheduleListOptions { Query = query }))
        {
            listed.Add(schedule);
        }
        return listed;
    }

    /// <summary>How many actions wait (the SDK's description leaves it out).</summary>
    private async Task<long> BufferSizeAsync(ScheduleHandle handle) =>
        (await Client.WorkflowService.DescribeScheduleAsync(new DescribeScheduleRequest { Namespace = Client.Options.Namespace, ScheduleId = handle.Id })).Info.BufferSize;

    private static string StartedWorkflowId(ScheduleActionResult action) => ((ScheduleActionExecutionStartWorkflow)action.Action).WorkflowId;

    /// <summary>
    /// The run an action started. Its result is read from that run: a handle from <c>GetWorkflowHandle</c> alone reads the
    /// latest run of the id, and two actions of the same second share one.
    /// </summary>
    private WorkflowHandle<TWorkflow> StartedRun<TWorkflow>(ScheduleActionResult action)
    {
        var started = (ScheduleActionExecutionStartWorkflow)action.Action;
        return Client.GetWorkflowHandle<TWorkflow>(started.WorkflowId, runId: started.FirstExecutionRunId) with { ResultRunId = started.FirstExecutionRunId };
    }

    [Fact]
    public async Task CreateScheduleAsync_CalendarCronAndInterval_DescribeShowsCompiledSpecDefaultsAndMatchingNextTimes()
    {
        var paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        var handle = await Client.CreateScheduleAsync(TestIds.New("schedule"), CounterSchedule(TestIds.New("wf"), TestIds.New("tq"), new ScheduleSpec
        {
            Calendars = [new ScheduleCalendarSpec { Hour = [new ScheduleRange(9)], DayOfWeek = [new ScheduleRange(1, 5)], Comment = "weekdays at nine" }],
            CronExpressions = ["30 2 * * *"],
            Intervals = [new ScheduleIntervalSpec(TimeSpan.FromDays(7), TimeSpan.FromHours(1))],
            TimeZoneName = "Europe/Paris",
        }), new ScheduleOptions { Memo = new Dictionary<string, object> { ["owner"] = "payments" } });
        try
        {
            var description = await handle.DescribeAsync();

            var spec = description.Schedule.Spec;
            var calendars = spec.Calendars.ToList();
            Assert.Empty(spec.CronExpressions);
            Assert.Equal(2, spec.Calendars.Count);
            Assert.Equal("weekdays at nine", calendars[0].Comment);
            Assert.Equal([new ScheduleRange(2)], calendars[1].Hour);
            Assert.Equal([new ScheduleRange(30)], calendars[1].Minute);
            Assert.Equal([new ScheduleIntervalSpec(TimeSpan.FromDays(7), TimeSpan.FromHours(1))], spec.Intervals);
            Assert.Equal("Europe/Paris", spec.TimeZoneName);
            Assert.Equal((ScheduleOverlapPolicy.Skip, TimeSpan.FromDays(365), false),
                (description.Schedule.Policy.Overlap, description.Schedule.Policy.CatchupWindow, description.Schedule.Policy.PauseOnFailure));
            Assert.Equal((true, "created paused"), (description.Schedule.State.Paused, description.Schedule.State.Note));
            Assert.Equal("payments", await description.Memo["owner"].ToValueAsync<string>());
            Assert.Equal(nameof(ScheduledCounterWorkflow), ((ScheduleActionStartWorkflow)description.Schedule.Action).Workflow);
            Assert.Equal(0, description.Info.NumActions);

            var next = description.Info.NextActionTimes;
            Assert.Equal(10, next.Count);
            Assert.Equal(next.Order(), next);
            Assert.All(next, time =>
            {
                var local = TimeZoneInfo.ConvertTimeFromUtc(time, paris);
                var weekly = (time - DateTime.UnixEpoch).Ticks % TimeSpan.FromDays(7).Ticks == TimeSpan.FromHours(1).Ticks;
                Assert.True(weekly || (local.Hour, local.Minute) == (2, 30) || (local is { Hour: 9, Minute: 0, DayOfWeek: not (DayOfWeek.Saturday or DayOfWeek.Sunday) }),
                    $"{time:O} ({local:O} in Paris) is none of the spec's times");
            });
        }
        finally
        {
            await handle.DeleteAsync();
        }
    }

    [Fact]
    public async Task TriggerAsync_TwiceOneAfterTheOther_StartsWorkflowsNamedAfterTheirTimeAndHandsOnTheLastResult()
    {
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("counted");
        var handle = await Client.CreateScheduleAsync(TestIds.New("schedule"), CounterSchedule(workflowId, taskQueue, Yearly));
        try
        {
            using var worker = Worker(taskQueue);
            await worker.ExecuteAsync(async () =>
            {
                await handle.TriggerAsync();
                var first = (await WaitForActionsAsync(handle, 1)).Info.RecentActions.Single();
                Assert.Equal("1", await StartedRun<ScheduledCounterWorkflow>(first).GetResultAsync<string>());
                await handle.TriggerAsync();
                var second = (await WaitForActionsAsync(handle, 2)).Info.RecentActions.Last();
                var secondRun = StartedRun<ScheduledCounterWorkflow>(second);
                Assert.Equal("2", await secondRun.GetResultAsync<string>());

                Assert.Matches($"^{Regex.Escape(workflowId)}-\\d{{4}}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$", StartedWorkflowId(first));
                var described = await StartedRun<ScheduledCounterWorkflow>(first).DescribeAsync();
                Assert.Equal(handle.Id, described.TypedSearchAttributes.Get(ScheduledById));
                var scheduledAt = described.TypedSearchAttributes.Get(ScheduledStartTime);
                Assert.EndsWith(scheduledAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), StartedWorkflowId(first));
                var started = (await secondRun.FetchHistoryAsync()).Events.First().WorkflowExecutionStartedEventAttributes;
                Assert.Equal("1", DataConverter.Default.PayloadConverter.ToValue<string>(started.LastCompletionResult.Payloads_.Single()));
            });
            var final = await handle.DescribeAsync();
            Assert.Equal((2, 0), (final.Info.NumActions, final.Info.NumActionsSkippedOverlap));
        }
        finally
        {
            await handle.DeleteAsync();
        }
    }

    [Fact]
    public async Task TriggerAsync_BufferOneWhileOneRuns_KeepsOneWaitingSkipsTheNextAndStartsItWhenTheRunningOneCloses()
    {
        var taskQueue = TestIds.New("tq");
        var handle = await Client.CreateScheduleAsync(TestIds.New("schedule"), new Schedule(
            ScheduleActionStartWorkflow.Create((ScheduledUntilSignalledWorkflow wf) => wf.RunAsync(), new(TestIds.New("signalled"), taskQueue)), Yearly)
        {
            Policy = new SchedulePolicy { Overlap = ScheduleOverlapPolicy.BufferOne },
            State = new ScheduleState { Paused = true },
        });
        try
        {
            using var worker = Worker(taskQueue);
            await worker.ExecuteAsync(async () =>
            {
                await handle.TriggerAsync();
                var first = (await WaitForActionsAsync(handle, 1)).Info.RecentActions.Single();
                await handle.TriggerAsync();
                await handle.TriggerAsync();
                var waiting = await Eventually.PollAsync(() => handle.DescribeAsync(), d => d.Info.NumActionsSkippedOverlap == 1,
                    "the third trigger skipped");
                Assert.Equal((1, 1L), (waiting.Info.NumActions, await BufferSizeAsync(handle)));

                var firstRun = StartedRun<ScheduledUntilSignalledWorkflow>(first);
                await firstRun.SignalAsync(wf => wf.FinishAsync("first"));
                var second = (await WaitForActionsAsync(handle, 2)).Info.RecentActions.Last();
                var secondRun = StartedRun<ScheduledUntilSignalledWorkflow>(second);
                await secondRun.SignalAsync(wf => wf.FinishAsync("second"));
                Assert.Equal(("first", "second"), (await firstRun.GetResultAsync<string>(), await secondRun.GetResultAsync<string>()));
            });
            var final = await Eventually.PollAsync(() => handle.DescribeAsync(), d => d.Info.RunningActions.Count == 0, "no workflow running");
            Assert.Equal((2, 1, 0L), (final.Info.NumActions, final.Info.NumActionsSkippedOverlap, await BufferSizeAsync(handle)));
        }
        finally
        {
            await handle.DeleteAsync();
        }
    }

    [Fact]
    public async Task TriggerAsync_TerminateOtherWhileOneRuns_TerminatesItAndStartsTheNew()
    {
        var taskQueue = TestIds.New("tq");
        var handle = await Client.CreateScheduleAsync(TestIds.New("schedule"), new Schedule(
            ScheduleActionStartWorkflow.Create((ScheduledUntilSignalledWorkflow wf) => wf.RunAsync(), new(TestIds.New("signalled"), taskQueue)), Yearly)
        {
            State = new ScheduleState { Paused = true },
        });
        try
        {
            using var worker = Worker(taskQueue);
            await worker.ExecuteAsync(async () =>
            {
                await handle.TriggerAsync();
                var first = StartedRun<ScheduledUntilSignalledWorkflow>((await WaitForActionsAsync(handle, 1)).Info.RecentActions.Single());

                await handle.TriggerAsync(new ScheduleTriggerOptions { Overlap = ScheduleOverlapPolicy.TerminateOther });

                var error = await Assert.ThrowsAsync<WorkflowFailedException>(() => first.GetResultAsync<string>());
                Assert.IsType<TerminatedFailureException>(error.InnerException);
                var second = StartedRun<ScheduledUntilSignalledWorkflow>((await WaitForActionsAsync(handle, 2)).Info.RecentActions.Last());
                await second.SignalAsync(wf => wf.FinishAsync("second"));
                Assert.Equal("second", await second.GetResultAsync<string>());
            });
        }
        finally
        {
            await handle.DeleteAsync();
        }
    }

    [Fact]
    public async Task BackfillAsync_ThreeHoursAllowAll_StartsOneWorkflowPerMatchingTime()
    {
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("backfilled");
        var handle = await Client.CreateScheduleAsync(TestIds.New("schedule"),
            CounterSchedule(workflowId, taskQueue, new ScheduleSpec { Intervals = [new ScheduleIntervalSpec(TimeSpan.FromHours(1))] }));
        try
        {
            using var worker = Worker(taskQueue);
            await worker.ExecuteAsync(async () =>
            {
                var from = new DateTime(2024, 5, 1, 0, 30, 0, DateTimeKind.Utc);
                await handle.BackfillAsync([new ScheduleBackfill(from, from.AddHours(3), ScheduleOverlapPolicy.AllowAll)]);
                var actions = (await WaitForActionsAsync(handle, 3)).Info.RecentActions;

                Assert.Equal([from.AddMinutes(30), from.AddMinutes(90), from.AddMinutes(150)], actions.Select(a => a.ScheduledAt).Order());
                Assert.Equal(
                    ["01:00:00Z", "02:00:00Z", "03:00:00Z"],
                    actions.Select(a => StartedWorkflowId(a)).Order().Select(id => id[^9..]));
                foreach (var action in actions)
                {
                    Assert.Equal("1", await StartedRun<ScheduledCounterWorkflow>(action).GetResultAsync<string>());
                }
            });
        }
        finally
        {
            await handle.DeleteAsync();
        }
    }

    [Fact]
    public async Task PauseAsyncAndUnpauseAsync_ListFilteredOnTeamAndPaused_ListsWhatMatches()
    {
        await SearchAttributeRegistration.EnsureAsync(Client, Team.Name, IndexedValueType.Keyword);
        var red = TestIds.New("red");
        var blue = TestIds.New("blue");
        var taskQueue = TestIds.New("tq");
        var handles = new List<ScheduleHandle>();
        foreach (var team in new[] { red, red, blue })
        {
            handles.Add(await Client.CreateScheduleAsync(TestIds.New("schedule"), CounterSchedule(TestIds.New("wf"), taskQueue, Yearly, paused: false),
                new ScheduleOptions { TypedSearchAttributes = new SearchAttributeCollection.Builder().Set(Team, team).ToSearchAttributeCollection() }));
        }
        try
        {
            await handles[1].PauseAsync("maintenance");

            var paused = await Eventually.PollAsync(() => ListAsync($"{Team.Name} = '{red}' AND TemporalSchedulePaused = true"), l => l.Count == 1, "one red schedule paused");
            Assert.Equal(handles[1].Id, paused.Single().Id);
            Assert.Equal((true, "maintenance"), (paused.Single().Schedule!.State.Paused, paused.Single().Schedule!.State.Note));
            Assert.Equal(nameof(ScheduledCounterWorkflow), ((ScheduleListActionStartWorkflow)paused.Single().Schedule!.Action).Workflow);
            var allRed = await Eventually.PollAsync(() => ListAsync($"{Team.Name} = '{red}'"), l => l.Count == 2, "both red schedules");
            Assert.Equal(handles.Take(2).Select(h => h.Id).Order(), allRed.Select(s => s.Id).Order());

            await handles[1].UnpauseAsync("back");
            var description = await handles[1].DescribeAsync();
            Assert.Equal((false, "back"), (description.Schedule.State.Paused, description.Schedule.State.Note));
            var running = await Eventually.PollAsync(() => ListAsync($"{Team.Name} IN ('{red}', '{blue}') AND TemporalSchedulePaused = false"), l => l.Count == 3, "three unpaused");
            Assert.Equal(handles.Select(h => h.Id).Order(), running.Select(s => s.Id).Order());
        }
        finally
        {
            foreach (var handle in handles)
            {
                await handle.DeleteAsync();
            }
        }
    }

    [Fact]
    public async Task UpdateAsync_NewSpecPolicyAndSearchAttributes_DescribeShowsThem()
    {
        await SearchAttributeRegistration.EnsureAsync(Client, Team.Name, IndexedValueType.Keyword);
        var handle = await Client.CreateScheduleAsync(TestIds.New("schedule"), CounterSchedule(TestIds.New("wf"), TestIds.New("tq"), Yearly));
        try
        {
            var team = TestIds.New("team");
            await handle.UpdateAsync(input => new ScheduleUpdate(input.Description.Schedule with
            {
                Spec = new ScheduleSpec { Intervals = [new ScheduleIntervalSpec(TimeSpan.FromHours(6))] },
                Policy = new SchedulePolicy { Overlap = ScheduleOverlapPolicy.BufferAll, PauseOnFailure = true, CatchupWindow = TimeSpan.FromMinutes(5) },
            })
            {
                TypedSearchAttributes = new SearchAttributeCollection.Builder().Set(Team, team).ToSearchAttributeCollection(),
            });

            var description = await handle.DescribeAsync();
            Assert.Empty(description.Schedule.Spec.Calendars);
            Assert.Equal([new ScheduleIntervalSpec(TimeSpan.FromHours(6))], description.Schedule.Spec.Intervals);
            Assert.Equal((ScheduleOverlapPolicy.BufferAll, true, TimeSpan.FromMinutes(5)),
                (description.Schedule.Policy.Overlap, description.Schedule.Policy.PauseOnFailure, description.Schedule.Policy.CatchupWindow));
            Assert.Equal(team, description.TypedSearchAttributes.Get(Team));
            Assert.NotNull(description.Info.LastUpdatedAt);
            Assert.All(description.Info.NextActionTimes, t => Assert.Equal(0, (t - DateTime.UnixEpoch).Ticks % TimeSpan.FromHours(6).Ticks));
            var listed = await Eventually.PollAsync(() => ListAsync($"{Team.Name} = '{team}'"), l => l.Count == 1, "the updated schedule listed by its new team");
            Assert.Equal(handle.Id, listed.Single().Id);
        }
        finally
        {
            await handle.DeleteAsync();
        }
    }

    [Fact]
    public async Task ListScheduleMatchingTimes_EverySixHoursOverADay_ListsTheTimesAfterTheStartUpToTheEnd()
    {
        var handle = await Client.CreateScheduleAsync(TestIds.New("schedule"),
            CounterSchedule(TestIds.New("wf"), TestIds.New("tq"), new ScheduleSpec { CronExpressions = ["0 */6 * * *"] }));
        try
        {
            var from = new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc);
            var response = await Client.WorkflowService.ListScheduleMatchingTimesAsync(new ListScheduleMatchingTimesRequest
            {
                Namespace = Client.Options.Namespace,
                ScheduleId = handle.Id,
                StartTime = Timestamp.FromDateTime(from),
                EndTime = Timestamp.FromDateTime(from.AddDays(1)),
            });

            Assert.Equal([from.AddHours(6), from.AddHours(12), from.AddHours(18), from.AddHours(24)], response.StartTime.Select(t => t.ToDateTime()));
        }
        finally
        {
            await handle.DeleteAsync();
        }
    }

    [Fact]
    public async Task DeleteAsync_ThenDescribeAndList_TheScheduleIsGone()
    {
        var handle = await Client.CreateScheduleAsync(TestIds.New("schedule"), CounterSchedule(TestIds.New("wf"), TestIds.New("tq"), Yearly));

        await handle.DeleteAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => handle.DescribeAsync());
        Assert.Equal(RpcException.StatusCode.NotFound, error.Code);
        await Eventually.PollAsync(() => ListAsync($"ScheduleId = '{handle.Id}'"), l => l.Count == 0, "the deleted schedule no longer listed");
    }

    [Fact]
    public async Task CreateScheduleAsync_IdTaken_ThrowsScheduleAlreadyRunning()
    {
        var id = TestIds.New("schedule");
        var handle = await Client.CreateScheduleAsync(id, CounterSchedule(TestIds.New("wf"), TestIds.New("tq"), Yearly));
        try
        {
            await Assert.ThrowsAsync<ScheduleAlreadyRunningException>(() =>
                Client.CreateScheduleAsync(id, CounterSchedule(TestIds.New("wf"), TestIds.New("tq"), Yearly)));
        }
        finally
        {
            await handle.DeleteAsync();
        }
    }

    [Theory]
    [InlineData("61 * * * *")]
    [InlineData("0 0 * *")]
    [InlineData("TZ=Nowhere/Atlantis 0 2 * * *")]
    public async Task CreateScheduleAsync_InvalidCronString_FailsWithInvalidArgument(string cron)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.CreateScheduleAsync(TestIds.New("schedule"),
            CounterSchedule(TestIds.New("wf"), TestIds.New("tq"), new ScheduleSpec { CronExpressions = [cron] })));

        Assert.Equal(RpcException.StatusCode.InvalidArgument, error.Code);
    }
}
