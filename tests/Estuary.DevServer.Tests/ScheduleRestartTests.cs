using Estuary.DevServer.Tests.Workflows;
using Microsoft.Data.Sqlite;
using Temporalio.Client;
using Temporalio.Client.Schedules;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>Schedules on a server with a database file, stopped and started again on the same file.</summary>
public sealed class ScheduleRestartTests
{
    private static TemporalWorker Worker(TemporalClient client, string taskQueue) =>
        new(client, new TemporalWorkerOptions(taskQueue).AddWorkflow<ScheduledCounterWorkflow>());

    private static Schedule Counter(string taskQueue, ScheduleSpec spec) =>
        new(ScheduleActionStartWorkflow.Create((ScheduledCounterWorkflow wf) => wf.RunAsync(Array.Empty<int>()), new(TestIds.New("counted"), taskQueue)), spec);

    private static WorkflowHandle StartedRun(TemporalClient client, ScheduleActionResult action)
    {
        var started = (ScheduleActionExecutionStartWorkflow)action.Action;
        return client.GetWorkflowHandle(started.WorkflowId, runId: started.FirstExecutionRunId) with { ResultRunId = started.FirstExecutionRunId };
    }

    private static async Task<string> ResultOfActionAsync(TemporalClient client, ScheduleHandle handle, int number)
    {
        var description = await Eventually.PollAsync(() => handle.DescribeAsync(), d => d.Info.NumActions >= number, $"action {number} of {handle.Id}");
        return await StartedRun(client, description.Info.RecentActions.OrderBy(a => a.StartedAt).ElementAt(number - 1)).GetResultAsync<string>();
    }

    [DevServerOnlyFact]
    public async Task Restart_ScheduleWithAnAction_KeepsItsStateAndHandsOnTheLastResult()
    {
        await using var server = await RestartableServer.StartAsync();
        var client = await server.ConnectAsync();
        var taskQueue = TestIds.New("tq");
        var handle = await client.CreateScheduleAsync(TestIds.New("schedule"),
            Counter(taskQueue, new ScheduleSpec { CronExpressions = ["0 0 1 1 *"] }) with { State = new ScheduleState { Paused = true, Note = "by hand only" } },
            new ScheduleOptions { Memo = new Dictionary<string, object> { ["owner"] = "payments" } });
        using var worker = Worker(client, taskQueue);
        await worker.ExecuteAsync(async () =>
        {
            await handle.TriggerAsync();
            Assert.Equal("1", await ResultOfActionAsync(client, handle, 1));
            var before = await handle.DescribeAsync();

            await server.RestartAsync();

            var after = await handle.DescribeAsync();
            Assert.Equal((1, true, "by hand only"), (after.Info.NumActions, after.Schedule.State.Paused, after.Schedule.State.Note));
            Assert.Equal("payments", await after.Memo["owner"].ToValueAsync<string>());
            Assert.Equal(before.Info.RecentActions.Single().ScheduledAt, after.Info.RecentActions.Single().ScheduledAt);
            Assert.Equal(before.Info.NextActionTimes, after.Info.NextActionTimes);
            var listed = new List<string>();
            await foreach (var schedule in client.ListSchedulesAsync(new ScheduleListOptions { Query = $"ScheduleId = '{handle.Id}'" }))
            {
                listed.Add(schedule.Id);
            }
            Assert.Equal([handle.Id], listed);
            await handle.TriggerAsync();
            Assert.Equal("2", await ResultOfActionAsync(client, handle, 2));
        });
        await handle.DeleteAsync();
    }

    [DevServerOnlyFact]
    public async Task Restart_TimeFallsDueWhileDown_TakesItOnStartWithinTheCatchupWindow()
    {
        await using var server = await RestartableServer.StartAsync();
        var client = await server.ConnectAsync();
        var taskQueue = TestIds.New("tq");
        var now = DateTime.UtcNow;
        // The server must be down before the time falls due; a busy machine can take seconds to stop it.
        var due = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc).AddSeconds(5);
        var handle = await client.CreateScheduleAsync(TestIds.New("schedule"), Counter(taskQueue,
            new ScheduleSpec { Intervals = [new ScheduleIntervalSpec(TimeSpan.FromSeconds(1))], StartAt = due, EndAt = due }));

        await server.StopAsync();
        Assert.True(DateTime.UtcNow < due, "the server stopped only after the scheduled time");
        await Task.Delay(due - DateTime.UtcNow + TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        var restarting = DateTime.UtcNow;
        await server.RestartAsync();

        using var worker = Worker(client, taskQueue);
        await worker.ExecuteAsync(async () =>
        {
            Assert.Equal("1", await ResultOfActionAsync(client, handle, 1));
            var action = (await handle.DescribeAsync()).Info.RecentActions.Single();
            Assert.Equal(due, action.ScheduledAt);
            Assert.True(action.StartedAt >= restarting, $"taken at {action.StartedAt:O}, before the server started again at {restarting:O}");
        });
        await handle.DeleteAsync();
    }

    [DevServerOnlyFact]
    public async Task StartAsync_SchemaVersionOneFile_MigratesItKeepingItsRunsAndThenKeepsSchedules()
    {
        await using var server = await RestartableServer.StartAsync();
        var client = await server.ConnectAsync();
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("before-migration");
        using var worker = Worker(client, taskQueue);
        await worker.ExecuteAsync(() => client.ExecuteWorkflowAsync((ScheduledCounterWorkflow wf) => wf.RunAsync(Array.Empty<int>()), new(workflowId, taskQueue)));
        await server.StopAsync();
        // Schema version 1 is today's schema without the schedules and worker deployments tables: this is the file a
        // server of version 1 leaves.
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = server.DatabasePath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var downgrade = connection.CreateCommand();
            downgrade.CommandText = "DROP TABLE schedules; DROP TABLE worker_deployments; PRAGMA user_version = 1;";
            downgrade.ExecuteNonQuery();
        }

        await server.RestartAsync();
        var handle = await client.CreateScheduleAsync(TestIds.New("schedule"),
            Counter(taskQueue, new ScheduleSpec { CronExpressions = ["0 0 1 1 *"] }) with { State = new ScheduleState { Paused = true } });
        await server.RestartAsync();

        Assert.Equal("1", await client.GetWorkflowHandle(workflowId).GetResultAsync<string>());
        Assert.True((await handle.DescribeAsync()).Schedule.State.Paused);
        await server.StopAsync();
        using var migrated = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = server.DatabasePath, Pooling = false }.ToString());
        migrated.Open();
        using var version = migrated.CreateCommand();
        version.CommandText = "PRAGMA user_version;";
        Assert.Equal((long)Store.SqliteStore.SchemaVersion, version.ExecuteScalar());
    }

    [DevServerOnlyFact]
    public async Task Restart_SpecWithTimezoneData_KeepsTheDataAndItsMatchingTimes()
    {
        var data = ScheduleTimeZoneDataTests.ZoneFile("Australia/Lord_Howe");
        await using var server = await RestartableServer.StartAsync();
        var client = await server.ConnectAsync();
        var id = TestIds.New("schedule");
        await client.WorkflowService.CreateScheduleAsync(ScheduleTimeZoneDataTests.CreateWithZoneData(client, id, "Lord Howe", data, ScheduleTimeZoneDataTests.NightQuarterHoursProto));
        // Lord Howe Island moves its clocks back by half an hour on 2045-04-02, after the file's last transition.
        var (from, to) = (new DateTime(2045, 3, 30, 0, 0, 0, DateTimeKind.Utc), new DateTime(2045, 4, 5, 0, 0, 0, DateTimeKind.Utc));
        var before = await ScheduleTimeZoneDataTests.MatchingTimesAsync(client, id, from, to);

        await server.RestartAsync();

        var described = await client.WorkflowService.DescribeScheduleAsync(new() { Namespace = client.Options.Namespace, ScheduleId = id });
        Assert.Equal("Lord Howe", described.Schedule.Spec.TimezoneName);
        Assert.Equal(data, described.Schedule.Spec.TimezoneData.ToByteArray());
        Assert.Equal(before, await ScheduleTimeZoneDataTests.MatchingTimesAsync(client, id, from, to));
        var lordHowe = TimeZoneInfo.FindSystemTimeZoneById("Australia/Lord_Howe");
        Assert.All(before, time => Assert.True(TimeZoneInfo.ConvertTimeFromUtc(time, lordHowe).Hour <= 4, $"{time:O} is not a night time on Lord Howe Island"));
        await client.GetScheduleHandle(id).DeleteAsync();
    }
}
