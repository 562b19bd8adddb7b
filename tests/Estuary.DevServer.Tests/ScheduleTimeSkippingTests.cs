using Estuary.DevServer.Tests.Workflows;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.TestService.V1;
using Temporalio.Client;
using Temporalio.Client.Schedules;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>
/// Schedules on a time-skipping server: the clock jumps to each scheduled time once nothing else is to be done, so
/// days of a schedule pass in moments. Each schedule has a limited number of actions or an end time, so the clock stops
/// once it has done them, and every workflow it starts has ended before the test does (a run left waiting for a worker
/// that is gone would stop this class's clock).
/// </summary>
public sealed class ScheduleTimeSkippingTests(TimeSkippingFixture fixture) : IClassFixture<TimeSkippingFixture>
{
    private static readonly SearchAttributeKey<string> ScheduledById = SearchAttributeKey.CreateKeyword("TemporalScheduledById");
    private static readonly SearchAttributeKey<DateTimeOffset> ScheduledStartTime = SearchAttributeKey.CreateDateTimeOffset("TemporalScheduledStartTime");

    private TemporalClient Client => fixture.Client;

    private TemporalWorker Worker(string taskQueue) => new(Client, new TemporalWorkerOptions(taskQueue)
        .AddWorkflow<ScheduledCounterWorkflow>()
        .AddWorkflow<ScheduledSleepWorkflow>());

    private async Task<DateTime> ServerNowAsync() =>
        (await Client.Connection.TestService.GetCurrentTimeAsync(new Empty())).Time.ToDateTime();

    private static Schedule Counter(string workflowId, string taskQueue, ScheduleSpec spec, int[] failAt, int actions) =>
        new(ScheduleActionStartWorkflow.Create((ScheduledCounterWorkflow wf) => wf.RunAsync(failAt), new(workflowId, taskQueue)), spec)
        {
            State = new ScheduleState { LimitedActions = true, RemainingActions = actions },
        };

    /// <summary>The description once <paramref name="count"/> actions were taken and none of their workflows runs.</summary>
    private static Task<ScheduleDescription> WaitForFinishedActionsAsync(ScheduleHandle handle, int count) =>
        Eventually.PollAsync(() => handle.DescribeAsync(), d => d.Info.NumActions >= count && d.Info.RunningActions.Count == 0,
            $"{count} finished actions of schedule {handle.Id}");

    private WorkflowHandle StartedRun(ScheduleActionResult action)
    {
        var started = (ScheduleActionExecutionStartWorkflow)action.Action;
        return Client.GetWorkflowHandle(started.WorkflowId, runId: started.FirstExecutionRunId) with { ResultRunId = started.FirstExecutionRunId };
    }

    private async Task<List<string>> OutcomesAsync(IEnumerable<ScheduleActionResult> actions)
    {
        var outcomes = new List<string>();
        foreach (var action in actions.OrderBy(a => a.ScheduledAt))
        {
            try
            {
                outcomes.Add(await StartedRun(action).GetResultAsync<string>());
            }
            catch (WorkflowFailedException e)
            {
                outcomes.Add($"failed: {e.InnerException?.Message}");
            }
        }
        return outcomes;
    }

    [DevServerOnlyFact]
    public async Task CreateScheduleAsync_EveryDayAtTwoForThreeActions_RunsThreeNightsHandingOnTheLastResult()
    {
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("nightly");
        using var worker = Worker(taskQueue);
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.CreateScheduleAsync(TestIds.New("schedule"), Counter(workflowId, taskQueue,
                new ScheduleSpec { Calendars = [new ScheduleCalendarSpec { Hour = [new ScheduleRange(2)] }] }, [], actions: 3));
            try
            {
                var description = await WaitForFinishedActionsAsync(handle, 3);

                var actions = description.Info.RecentActions.OrderBy(a => a.ScheduledAt).ToList();
                Assert.All(actions, a => Assert.Equal(TimeSpan.FromHours(2), a.ScheduledAt.TimeOfDay));
                Assert.Equal([TimeSpan.FromDays(1), TimeSpan.FromDays(1)], actions.Skip(1).Select((a, i) => a.ScheduledAt - actions[i].ScheduledAt));
                // The earlier nights' runs are past the namespace's retention by now; the last one counted them.
                var last = StartedRun(actions[2]);
                Assert.Equal("3", await last.GetResultAsync<string>());
                var described = await last.DescribeAsync();
                Assert.Equal(handle.Id, described.TypedSearchAttributes.Get(ScheduledById));
                Assert.Equal(actions[2].ScheduledAt, described.TypedSearchAttributes.Get(ScheduledStartTime).UtcDateTime);
                Assert.Equal((0L, true), (description.Schedule.State.RemainingActions, description.Info.NextActionTimes.Count == 0));
            }
            finally
            {
                await handle.DeleteAsync();
            }
        });
    }

    [DevServerOnlyFact]
    public async Task CreateScheduleAsync_HourlyWithStartEndExclusionAndJitter_RunsOnlyTheIncludedHoursWithinTheJitter()
    {
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("hourly");
        var now = await ServerNowAsync();
        var start = new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc).AddHours(5);
        var excluded = start.AddHours(1);
        using var worker = Worker(taskQueue);
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.CreateScheduleAsync(TestIds.New("schedule"), new Schedule(
                ScheduleActionStartWorkflow.Create((ScheduledCounterWorkflow wf) => wf.RunAsync(Array.Empty<int>()), new(workflowId, taskQueue)),
                new ScheduleSpec
                {
                    Intervals = [new ScheduleIntervalSpec(TimeSpan.FromHours(1))],
                    Skip = [new ScheduleCalendarSpec { Hour = [new ScheduleRange(excluded.Hour)], DayOfMonth = [new ScheduleRange(excluded.Day)] }],
                    StartAt = start,
                    EndAt = start.AddHours(3),
                    Jitter = TimeSpan.FromMinutes(10),
                }));
            try
            {
                var description = await WaitForFinishedActionsAsync(handle, 3);

                var actions = description.Info.RecentActions.OrderBy(a => a.ScheduledAt).ToList();
                DateTime[] nominal = [start, start.AddHours(2), start.AddHours(3)];
                Assert.Equal(3, actions.Count);
                Assert.All(actions.Zip(nominal), pair =>
                {
                    Assert.InRange(pair.First.ScheduledAt, pair.Second, pair.Second.AddMinutes(10));
                    Assert.EndsWith(pair.Second.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
                        ((ScheduleActionExecutionStartWorkflow)pair.First.Action).WorkflowId);
                });
                Assert.Equal(["1", "2", "3"], await OutcomesAsync(actions));
                Assert.Empty(description.Info.NextActionTimes);
            }
            finally
            {
                await handle.DeleteAsync();
            }
        });
    }

    [DevServerOnlyFact]
    public async Task CreateScheduleAsync_ARunFails_TheNextGetsTheFailureAndTheLastSuccessfulResult()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = Worker(taskQueue);
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.CreateScheduleAsync(TestIds.New("schedule"), Counter(TestIds.New("counted"), taskQueue,
                new ScheduleSpec { Intervals = [new ScheduleIntervalSpec(TimeSpan.FromHours(1))] }, [2], actions: 4));
            try
            {
                var description = await WaitForFinishedActionsAsync(handle, 4);

                Assert.Equal(["1", "failed: run 2 fails", "2 after run 2 fails", "3"], await OutcomesAsync(description.Info.RecentActions));
                Assert.False(description.Schedule.State.Paused);
            }
            finally
            {
                await handle.DeleteAsync();
            }
        });
    }

    [DevServerOnlyFact]
    public async Task CreateScheduleAsync_PauseOnFailure_PausesAtTheFailureAndTakesNothingWhileTimePasses()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = Worker(taskQueue);
        await worker.ExecuteAsync(async () =>
        {
            var schedule = Counter(TestIds.New("counted"), taskQueue, new ScheduleSpec { Intervals = [new ScheduleIntervalSpec(TimeSpan.FromHours(1))] }, [2], actions: 5)
                with { Policy = new SchedulePolicy { PauseOnFailure = true } };
            var handle = await Client.CreateScheduleAsync(TestIds.New("schedule"), schedule);
            try
            {
                var paused = await Eventually.PollAsync(() => handle.DescribeAsync(), d => d.Schedule.State.Paused, "the schedule paused");
                Assert.Equal(2, paused.Info.NumActions);
                Assert.Contains("run 2 fails", paused.Schedule.State.Note, StringComparison.Ordinal);

                await Client.Connection.TestService.SleepAsync(new SleepRequest { Duration = Duration.FromTimeSpan(TimeSpan.FromDays(1)) });

                var later = await handle.DescribeAsync();
                Assert.Equal((2, true, 3L), (later.Info.NumActions, later.Schedule.State.Paused, later.Schedule.State.RemainingActions));
            }
            finally
            {
                await handle.DeleteAsync();
            }
        });
    }

    [DevServerOnlyFact]
    public async Task CreateScheduleAsync_SkipWhileTheLastRuns_SkipsTheHoursItStillRuns()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = Worker(taskQueue);
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.CreateScheduleAsync(TestIds.New("schedule"), new Schedule(
                ScheduleActionStartWorkflow.Create((ScheduledSleepWorkflow wf) => wf.RunAsync(TimeSpan.FromMinutes(150)), new(TestIds.New("sleeper"), taskQueue)),
                new ScheduleSpec { Intervals = [new ScheduleIntervalSpec(TimeSpan.FromHours(1))] })
            {
                State = new ScheduleState { LimitedActions = true, RemainingActions = 2 },
            });
            try
            {
                var description = await WaitForFinishedActionsAsync(handle, 2);

                var actions = description.Info.RecentActions.OrderBy(a => a.ScheduledAt).ToList();
                Assert.Equal(TimeSpan.FromHours(3), actions[1].ScheduledAt - actions[0].ScheduledAt);
                Assert.Equal(2, description.Info.NumActionsSkippedOverlap);
            }
            finally
            {
                await handle.DeleteAsync();
            }
        });
    }

    [DevServerOnlyFact]
    public async Task CreateScheduleAsync_BufferOneWhileTheLastRuns_StartsTheBufferedOneWhenTheLastCloses()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = Worker(taskQueue);
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.CreateScheduleAsync(TestIds.New("schedule"), new Schedule(
                ScheduleActionStartWorkflow.Create((ScheduledSleepWorkflow wf) => wf.RunAsync(TimeSpan.FromMinutes(150)), new(TestIds.New("sleeper"), taskQueue)),
                new ScheduleSpec { Intervals = [new ScheduleIntervalSpec(TimeSpan.FromHours(1))] })
            {
                Policy = new SchedulePolicy { Overlap = Temporalio.Api.Enums.V1.ScheduleOverlapPolicy.BufferOne },
                State = new ScheduleState { LimitedActions = true, RemainingActions = 2 },
            });
            try
            {
                var description = await WaitForFinishedActionsAsync(handle, 2);

                var actions = description.Info.RecentActions.OrderBy(a => a.ScheduledAt).ToList();
                Assert.Equal(TimeSpan.FromHours(1), actions[1].ScheduledAt - actions[0].ScheduledAt);
                // The second waited for the first, which slept two and a half hours.
                var started = (await OutcomesAsync(actions)).Select(o => DateTime.Parse(o, System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.RoundtripKind)).ToList();
                Assert.InRange(started[1] - started[0], TimeSpan.FromMinutes(150), TimeSpan.FromMinutes(151));
                Assert.Equal(1, description.Info.NumActionsSkippedOverlap);
            }
            finally
            {
                await handle.DeleteAsync();
            }
        });
    }
}
