using System.Diagnostics;
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
        await worker.ExecuteAsync(async () =>
        {
            var stopwatch = Stopwatch.StartNew();
            var handle = await fixture.Client.StartWorkflowAsync((SleepWorkflow wf) => wf.RunAsync(TimeSpan.FromSeconds(1)), new(TestIds.New("wf"), taskQueue));
            await handle.GetResultAsync();
            Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
            var types = new List<EventType>();
            await foreach (var evt in handle.FetchHistoryEventsAsync())
            {
                types.Add(evt.EventType);
            }
            Assert.Contains(EventType.TimerStarted, types);
            Assert.Contains(EventType.TimerFired, types);
        });
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
