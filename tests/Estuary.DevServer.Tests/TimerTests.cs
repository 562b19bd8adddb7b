using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

[Collection(ServerGroup.Name)]
public sealed class TimerTests(ServerFixture fixture)
{
    [Fact]
    public async Task DelayAsync_WallClockServer_FiresAfterTheDuration()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(fixture.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<SleepWorkflow>());
        var (handle, wokeAt) = await worker.ExecuteAsync(async () =>
        {
            var handle = await fixture.Client.StartWorkflowAsync((SleepWorkflow wf) => wf.RunAsync(TimeSpan.FromSeconds(1)), new(TestIds.New("wf"), taskQueue));
            return (handle, await handle.GetResultAsync());
        });

        // The server's own clock says how long the timer ran: its events' times and the time the workflow woke at.
        var history = await handle.HistoryAsync();
        var started = history.Single(e => e.EventType == EventType.TimerStarted);
        var fired = history.Single(e => e.EventType == EventType.TimerFired);
        Assert.Equal(TimeSpan.FromSeconds(1), started.TimerStartedEventAttributes.StartToFireTimeout.ToTimeSpan());
        Assert.Equal(started.EventId, fired.TimerFiredEventAttributes.StartedEventId);
        Assert.True(fired.EventTime.ToDateTime() - started.EventTime.ToDateTime() >= TimeSpan.FromSeconds(1), $"started {started.EventTime}, fired {fired.EventTime}");
        Assert.True(wokeAt >= started.EventTime.ToDateTime().AddSeconds(1), $"started {started.EventTime}, woke at {wokeAt:O}");
    }

    [Fact]
    public async Task CommandsWorkflow_TimerCancelledLocalActivityAndMemo_EventsRecorded()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(fixture.Client, new TemporalWorkerOptions(taskQueue)
            .AddWorkflow<CommandsWorkflow>()
            .AddAllActivities(new FlakyActivities()));
        await worker.ExecuteAsync(async () =>
        {
            var handle = await fixture.Client.StartWorkflowAsync((CommandsWorkflow wf) => wf.RunAsync(), new(TestIds.New("wf"), taskQueue));
            Assert.Equal("local", await handle.GetResultAsync());
            var types = new List<EventType>();
            await foreach (var evt in handle.FetchHistoryEventsAsync())
            {
                types.Add(evt.EventType);
            }
            Assert.Contains(EventType.TimerCanceled, types);
            Assert.Contains(EventType.MarkerRecorded, types);
            Assert.Contains(EventType.WorkflowPropertiesModified, types);
            var description = await handle.DescribeAsync();
            Assert.Equal("done", await description.Memo["stage"].ToValueAsync<string>());
        });
    }
}
